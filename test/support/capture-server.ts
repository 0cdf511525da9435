/**
 * A server that only listens: every request it gets is kept (method, URL, headers), answered with a
 * small JSON body or the bytes a test gives. What a redirect lured a client into sending shows up here.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface CaptureServer {
  /** `http://127.0.0.1:<port>`: another origin than any simulator. */
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

export async function startCaptureServer(
  answer: {
    status?: number;
    body?: string | Buffer;
    headers?: Record<string, string>;
    /** Sent in chunks without a Content-Length (a body whose size nobody announced). */
    chunked?: boolean;
  } = {},
): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    request.resume();
    request.on('end', () => {
      const body = Buffer.from(answer.body ?? '{"captured":true}');
      response.writeHead(answer.status ?? 200, {
        'Content-Type': 'application/json',
        ...(answer.chunked ? {} : { 'Content-Length': body.length }),
        ...answer.headers,
      });
      if (!answer.chunked) return response.end(body);
      for (let at = 0; at < body.length; at += 16_384) response.write(body.subarray(at, at + 16_384));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
