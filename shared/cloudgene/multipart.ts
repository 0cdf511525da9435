/**
 * A multipart/form-data body generated as a stream: fields first, then each file's bytes pulled from
 * its source only when the request gets there, so a multi-GB submission never sits in memory. When every
 * file size is known the exact Content-Length is computed up front (chunked uploads are not accepted by
 * every server in front of Cloudgene), and a source that delivers a different length aborts the request.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Readable;

export interface MultipartFile {
  field: string;
  fileName: string;
  contentType?: string;
  size?: number;
  open: () => ByteSource | Promise<ByteSource>;
}

export interface MultipartBody {
  contentType: string;
  contentLength: number | null;
  stream: ReadableStream<Uint8Array>;
}

const CRLF = '\r\n';
const quote = (value: string) => value.replace(/["\r\n\\]/g, '_');

export function multipartBody(fields: [string, string][], files: MultipartFile[]): MultipartBody {
  const boundary = `----imputation-gateway-${randomBytes(12).toString('hex')}`;
  const fieldParts = fields.map(([name, value]) =>
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${quote(name)}"${CRLF}${CRLF}${value}${CRLF}`,
    ),
  );
  const fileHeaders = files.map((file) =>
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.fileName)}"${CRLF}` +
        `Content-Type: ${file.contentType ?? 'application/octet-stream'}${CRLF}${CRLF}`,
    ),
  );
  const closing = Buffer.from(`--${boundary}--${CRLF}`);
  const crlf = Buffer.from(CRLF);

  const sizesKnown = files.every((file) => typeof file.size === 'number');
  const contentLength = sizesKnown
    ? fieldParts.reduce((n, part) => n + part.length, 0) +
      fileHeaders.reduce((n, part) => n + part.length, 0) +
      files.reduce((n, file) => n + (file.size as number) + crlf.length, 0) +
      closing.length
    : null;

  async function* generate(): AsyncGenerator<Uint8Array> {
    for (const part of fieldParts) yield part;
    for (const [index, file] of files.entries()) {
      yield fileHeaders[index]!;
      let sent = 0;
      const source = await file.open();
      const iterable = source instanceof ReadableStream ? Readable.fromWeb(source as never) : source;
      for await (const chunk of iterable as AsyncIterable<Uint8Array>) {
        sent += chunk.length;
        yield chunk;
      }
      if (file.size !== undefined && sent !== file.size) {
        throw new Error(`${file.fileName}: expected ${file.size} bytes, the source delivered ${sent}`);
      }
      yield crlf;
    }
    yield closing;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    stream: Readable.toWeb(Readable.from(generate(), { objectMode: false })) as ReadableStream<Uint8Array>,
  };
}
