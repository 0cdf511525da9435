/**
 * A tiny S3-compatible endpoint that reads every body and throws it away, so a copy benchmark measures
 * the copy's own code and not an emulator's disk. Path-style requests only; it answers what
 * `@aws-sdk/lib-storage` Upload and the copy task send: CreateMultipartUpload, UploadPart (ETag),
 * CompleteMultipartUpload, AbortMultipartUpload, PutObject, HeadObject (404 for an unknown key),
 * DeleteObject. Completed objects are remembered by size only; `GET /__stats` reports them.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscardS3 {
  url: string;
  /** Completed objects (`bucket/key` → bytes) and the total of body bytes read. */
  stats(): { objects: Record<string, number>; bytes: number };
  close(): Promise<void>;
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startDiscardS3(options: { port?: number } = {}): Promise<DiscardS3> {
  const objects = new Map<string, number>();
  const uploads = new Map<string, { key: string; parts: Map<number, number> }>();
  let bytes = 0;
  let nextUpload = 0;

  const drain = async (request: IncomingMessage): Promise<number> => {
    let length = 0;
    for await (const chunk of request) length += (chunk as Buffer).length;
    bytes += length;
    return length;
  };
  const send = (
    response: ServerResponse,
    status: number,
    body = '',
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, {
      'Content-Length': String(Buffer.byteLength(body)),
      ...(body ? { 'Content-Type': 'application/xml' } : {}),
      ...headers,
    });
    response.end(body);
  };
  const notFound = (response: ServerResponse, code: string, head = false) =>
    send(response, 404, head ? '' : xml(`<Error><Code>${code}</Code><Message>${code}</Message></Error>`));

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, xml(`<Error><Code>InternalError</Code></Error>`));
      else response.destroy(error as Error);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://sink');
    const method = request.method ?? 'GET';
    if (url.pathname === '/__stats') {
      const body = JSON.stringify({ objects: Object.fromEntries(objects), bytes });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(body);
      return;
    }
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const object = `${bucket}/${key}`;
    const params = url.searchParams;
    const uploadId = params.get('uploadId');

    if (method === 'POST' && params.has('uploads')) {
      await drain(request);
      const id = `upload-${++nextUpload}`;
      uploads.set(id, { key: object, parts: new Map() });
      return send(
        response,
        200,
        xml(
          `<InitiateMultipartUploadResult><Bucket>${xmlText(bucket)}</Bucket><Key>${xmlText(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        ),
      );
    }
    if (method === 'PUT' && uploadId) {
      const upload = uploads.get(uploadId);
      const part = Number(params.get('partNumber'));
      const length = await drain(request);
      if (!upload) return notFound(response, 'NoSuchUpload');
      upload.parts.set(part, length);
      return send(response, 200, '', { ETag: `"${uploadId}-${part}"` });
    }
    if (method === 'POST' && uploadId) {
      await drain(request);
      const upload = uploads.get(uploadId);
      if (!upload) return notFound(response, 'NoSuchUpload');
      uploads.delete(uploadId);
      objects.set(
        upload.key,
        [...upload.parts.values()].reduce((sum, length) => sum + length, 0),
      );
      return send(
        response,
        200,
        xml(
          `<CompleteMultipartUploadResult><Location>http://sink/${xmlText(object)}</Location><Bucket>${xmlText(bucket)}</Bucket><Key>${xmlText(key)}</Key><ETag>"${uploadId}"</ETag></CompleteMultipartUploadResult>`,
        ),
      );
    }
    if (method === 'DELETE' && uploadId) {
      await drain(request);
      uploads.delete(uploadId);
      return send(response, 204);
    }
    if (method === 'PUT') {
      objects.set(object, await drain(request));
      return send(response, 200, '', { ETag: '"put"' });
    }
    await drain(request);
    if (method === 'HEAD') {
      const size = objects.get(object);
      if (size === undefined) return notFound(response, 'NoSuchKey', true);
      response.writeHead(200, {
        'Content-Length': String(size),
        ETag: '"discarded"',
        'Last-Modified': new Date().toUTCString(),
        'Content-Type': 'application/octet-stream',
      });
      response.end();
      return;
    }
    if (method === 'DELETE') {
      objects.delete(object);
      return send(response, 204);
    }
    // Nothing is kept to read back (the copy's resume state included): every GET finds no such key.
    if (method === 'GET') return notFound(response, 'NoSuchKey');
    send(response, 405, xml('<Error><Code>MethodNotAllowed</Code></Error>'));
  }

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => ({ objects: Object.fromEntries(objects), bytes }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
