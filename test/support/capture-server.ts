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
  answer: { status?: number; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    request.resume();
    request.on('end', () => {
      const body = answer.body ?? '{"captured":true}';
      response.writeHead(answer.status ?? 200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        ...answer.headers,
      });
      response.end(body);
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
