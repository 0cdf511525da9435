/**
 * A streaming multipart/form-data parser for the simulator: file parts are hashed and counted as they
 * arrive, only a boundary-sized tail is ever held, so a multi-GB submission costs no memory. A caller
 * that reads file parts too (`readFile`) gets their bytes as they pass; when its sink is behind, the
 * parser waits for it, and so does the upload.
 */
import { createHash } from 'node:crypto';

export interface ParsedPart {
  name: string;
  fileName?: string;
  /** Text value of a field (not kept for files). */
  value?: string;
  bytes: number;
  sha256?: string;
}

/** Where the bytes of a file part go as they arrive; a returned promise holds the parser until it settles. */
export interface FilePartSink {
  write(data: Buffer): Promise<void> | undefined;
}

export async function parseMultipart(
  source: AsyncIterable<Buffer>,
  contentType: string,
  readFile?: (part: { name: string; fileName: string }) => FilePartSink | undefined,
): Promise<ParsedPart[]> {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new Error('multipart body without boundary');
  const dashBoundary = Buffer.from(`--${match[1]}`);
  const delimiter = Buffer.from(`\r\n--${match[1]}`);
  const parts: ParsedPart[] = [];
  let state: 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done' = 'preamble';
  let buffer: Buffer = Buffer.alloc(0);
  let part: ParsedPart | undefined;
  let hash: ReturnType<typeof createHash> | undefined;
  let sink: FilePartSink | undefined;
  let text: Buffer[] = [];

  const emit = (data: Buffer): Promise<void> | undefined => {
    if (!part || data.length === 0) return undefined;
    part.bytes += data.length;
    if (!hash) {
      text.push(Buffer.from(data));
      return undefined;
    }
    hash.update(data);
    return sink?.write(data);
  };
  const finishPart = () => {
    if (!part) return;
    if (hash) part.sha256 = hash.digest('hex');
    else part.value = Buffer.concat(text).toString('utf8');
    parts.push(part);
    part = undefined;
    hash = undefined;
    sink = undefined;
    text = [];
  };

  for await (const chunk of source) {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (let progressed = true; progressed && state !== 'done'; ) {
      progressed = false;
      if (state === 'preamble') {
        const index = buffer.indexOf(dashBoundary);
        if (index === -1) {
          buffer = buffer.subarray(Math.max(0, buffer.length - dashBoundary.length));
        } else {
          buffer = buffer.subarray(index + dashBoundary.length);
          state = 'after-boundary';
          progressed = true;
        }
      } else if (state === 'after-boundary') {
        if (buffer.length < 2) break;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          state = 'done';
        } else {
          buffer = buffer.subarray(buffer[0] === 0x0d ? 2 : 0);
          state = 'headers';
          progressed = true;
        }
      } else if (state === 'headers') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) break;
        const headers = buffer.subarray(0, end).toString('utf8');
        buffer = buffer.subarray(end + 4);
        const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
        const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
        const fileName = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
        part = { name, fileName, bytes: 0 };
        hash = fileName !== undefined ? createHash('sha256') : undefined;
        sink = fileName !== undefined ? readFile?.({ name, fileName }) : undefined;
        state = 'body';
        progressed = true;
      } else if (state === 'body') {
        const index = buffer.indexOf(delimiter);
        if (index === -1) {
          const keep = delimiter.length;
          if (buffer.length > keep) {
            const data = buffer.subarray(0, buffer.length - keep);
            buffer = buffer.subarray(buffer.length - keep);
            await emit(data);
          }
        } else {
          await emit(buffer.subarray(0, index));
          finishPart();
          buffer = buffer.subarray(index + delimiter.length);
          state = 'after-boundary';
          progressed = true;
        }
      }
    }
  }
  if (state !== 'done') throw new Error('multipart body ended early');
  return parts;
}
