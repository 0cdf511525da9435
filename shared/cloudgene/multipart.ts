/**
 * A multipart/form-data body generated as a stream: fields first, then each file's bytes pulled from
 * its source only when the request asks for more, so a multi-GB submission never sits in memory. When
 * every file size is known the exact Content-Length is computed up front (chunked uploads are not
 * accepted by every proxy in front of Cloudgene), and a source that delivers a different length aborts
 * the request instead of sending a body that contradicts its own header.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

export type ByteSource =
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | ReadableStream<Uint8Array>
  | Readable;

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
  /** Set when a file source failed (or lied about its size): the cause of the aborted upload. */
  readonly sourceError: Error | undefined;
}

const CRLF = '\r\n';
/** Quotes and line breaks cannot be escaped portably in a Content-Disposition value; replace them. */
const dispositionValue = (value: string) => value.replace(/["\r\n\\]/g, '_');

/**
 * @param onProgress called whenever the consumer pulls another chunk; the client uses it to keep an
 *   idle timeout from firing while a long upload is still moving.
 */
export function multipartBody(
  fields: [string, string][],
  files: MultipartFile[],
  onProgress: () => void = () => {},
): MultipartBody {
  const boundary = `----imputation-gateway-${randomBytes(12).toString('hex')}`;
  const fieldParts = fields.map(([name, value]) =>
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${dispositionValue(name)}"${CRLF}${CRLF}${value}${CRLF}`,
    ),
  );
  const fileHeaders = files.map((file) =>
    Buffer.from(
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${dispositionValue(file.field)}"; ` +
        `filename="${dispositionValue(file.fileName)}"${CRLF}` +
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

  let sourceError: Error | undefined;

  async function* generate(): AsyncGenerator<Uint8Array> {
    for (const part of fieldParts) yield part;
    for (const [index, file] of files.entries()) {
      yield fileHeaders[index]!;
      let sent = 0;
      try {
        const source = await file.open();
        for await (const chunk of source as AsyncIterable<Uint8Array>) {
          if (chunk.length === 0) continue;
          sent += chunk.length;
          if (file.size !== undefined && sent > file.size) break;
          yield chunk;
        }
      } catch (error) {
        sourceError = error instanceof Error ? error : new Error(String(error));
        throw sourceError;
      }
      if (file.size !== undefined && sent !== file.size) {
        sourceError = new Error(
          `${file.fileName}: expected ${file.size} bytes, the source delivered ${sent > file.size ? 'more' : sent}`,
        );
        throw sourceError;
      }
      yield crlf;
    }
    yield closing;
  }

  const chunks = generate();
  // highWaterMark 0: nothing is read ahead of the socket, so backpressure reaches the file source.
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        onProgress();
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    stream,
    get sourceError() {
      return sourceError;
    },
  };
}
