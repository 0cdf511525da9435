/**
 * Result downloads as the services serve them: share URLs outside /api/v2 that need no token, count
 * downloads against a per-file limit and may 302 to a presigned-looking URL (TOPMed's S3), which checks
 * a signature instead. A job's own files are served from what was made for it; seeded files are
 * generated as they stream, so a GB costs no memory. A `truncate` or `stall` fault sends half of either.
 *
 * Byte ranges as upstream serves them: Cloudgene 3's share route answers an InputStream
 * (`HttpResponse.ok(workspace.download(path))`, DownloadController/DownloadService), which Micronaut
 * never cuts to a `Range`, and counts a download for every request, ranged or not — so the share route
 * here ignores `Range` and always answers 200 with the whole file. The redirect target stands in for an
 * S3 presigned GET, which honours a single `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` with 206 and
 * `Content-Range` (416 past the end; several ranges are ignored, as S3 does), sends `Accept-Ranges` and an
 * `ETag`, and counts nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pathOf } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { ADMIN_ONLY_PARAMS } from './fixtures';
import { LISTING_STATES } from './jobs';
import { resultChunks } from './result-bytes';
import type { SimulatedResultFile } from './types';

/** `GET /share/results/{hash}/{name…}`. */
export function shareDownload(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) {
  const { answers, state } = sim;
  const match = /^\/share\/results\/([^/]+)\/(.+)$/.exec(path);
  const found = match ? state.findResult(decodeURIComponent(match[1]!)) : undefined;
  const name = match ? match[2]!.split('/').map(decodeURIComponent).join('/') : '';
  if (
    !found ||
    found.file.name !== name ||
    !LISTING_STATES.has(sim.stateOf(found.job)) ||
    ADMIN_ONLY_PARAMS.has(found.file.param ?? 'output')
  ) {
    return answers.error(response, 404, 'download not found.');
  }
  if (found.file.unavailable || !available(sim, found.job.id, found.file)) {
    return answers.error(response, 404, found.file.unavailable ?? 'File not found in workspace.');
  }
  if (found.file.downloads >= sim.maxDownloadsPerFile) {
    return answers.error(response, 400, 'number of max downloads exceeded.');
  }
  found.file.downloads++;
  state.persist();
  if (found.file.redirect ?? sim.redirectDownloads) {
    const signature = presignature(sim, found.file.hash);
    const encodedName = found.file.name.split('/').map(encodeURIComponent).join('/');
    response.setHeader(
      'Location',
      `${sim.url}/presigned/${found.file.hash}/${encodedName}?X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
    );
    return answers.answer(response, 302, 'text/plain', '');
  }
  stream(sim, request, response, found.job.id, found.file, null);
}

/** The redirect target, standing in for a presigned S3 URL: no token, a signature instead. */
export function presignedDownload(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  url: URL,
) {
  const hash = /^\/presigned\/([^/]+)\//.exec(path)?.[1] ?? '';
  const found = sim.state.findResult(hash);
  if (!found || url.searchParams.get('X-Amz-Signature') !== presignature(sim, hash)) {
    response.writeHead(403, { 'Content-Type': 'application/xml' });
    response.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    return;
  }
  const range = byteRange(request.headers.range, found.file.size);
  if (range === 'unsatisfiable') {
    response.writeHead(416, {
      'Content-Type': 'application/xml',
      'Content-Range': `bytes */${found.file.size}`,
    });
    response.end(
      '<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>',
    );
    return;
  }
  stream(sim, request, response, found.job.id, found.file, range, {
    'Accept-Ranges': 'bytes',
    ETag: `"${presignature(sim, found.file.hash).slice(0, 32)}"`,
  });
}

/** Bytes `start`..`end` (inclusive) of a file. */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * A single byte range as S3 reads `Range`: `bytes=a-b`, `bytes=a-` or `bytes=-n` (clipped to the file);
 * null (the whole file) for no header, several ranges or anything else; unsatisfiable from the end on.
 */
function byteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

function presignature(sim: CloudgeneSimulator, hash: string): string {
  return sim.state.sign(`presigned:${hash}`);
}

function contentType(name: string): string {
  if (name.endsWith('.txt')) return 'text/plain';
  if (name.endsWith('.html')) return 'text/html';
  if (name.endsWith('.zip')) return 'application/zip';
  return 'application/octet-stream';
}

function available(sim: CloudgeneSimulator, jobId: string, file: SimulatedResultFile): boolean {
  return file.seed !== undefined || sim.results.content(jobId, file.name) !== undefined;
}

/**
 * `length` bytes of the file from `start`: a job's own file as kept (undefined once gone), a seeded one as
 * it streams.
 */
function contents(
  sim: CloudgeneSimulator,
  jobId: string,
  file: SimulatedResultFile,
  start: number,
  length: number,
): Buffer | Readable | undefined {
  if (file.seed !== undefined)
    return Readable.from(seededSlice(file.seed, file.size, start, length), { objectMode: false });
  return sim.results.content(jobId, file.name)?.subarray(start, start + length);
}

/** The seeded file's bytes `start`..`start + length` (the blocks before are generated and dropped). */
function* seededSlice(seed: string, size: number, start: number, length: number): Generator<Buffer> {
  let position = 0;
  let left = length;
  for (const chunk of resultChunks(seed, size)) {
    if (left <= 0) return;
    const from = Math.max(0, start - position);
    position += chunk.length;
    if (from >= chunk.length) continue;
    const piece = chunk.subarray(from, from + left);
    left -= piece.length;
    yield piece;
  }
}

/** The file, or its `range` with 206 (the presigned target only); `headers` added to the answer. */
function stream(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  jobId: string,
  file: SimulatedResultFile,
  range: ByteRange | null,
  headers: Record<string, string> = {},
) {
  const { answers } = sim;
  const mode = answers.modeOf(response);
  if (mode === 'dropped') return answers.answer(response, 200, 'text/plain', '');
  const half = mode === 'truncated' || mode === 'stalled';
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : file.size;
  const body = contents(sim, jobId, file, start, half ? Math.floor(length / 2) : length);
  if (!body) return answers.error(response, 404, 'File not found in workspace.');
  response.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Type': contentType(file.name),
    'Content-Length': String(length),
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${file.size}` } : {}),
    'Content-Disposition': `attachment; filename="${file.name.split('/').pop()}"`,
  });
  if (!half) {
    if (Buffer.isBuffer(body)) response.end(body);
    else body.pipe(response);
    return;
  }
  // The cut comes once the half is on the wire (as in answers.ts), so the client sees it before the end.
  const cut = () => {
    answers.record(request, pathOf(request), 200, mode);
    if (mode !== 'stalled') response.socket?.destroy();
  };
  if (Buffer.isBuffer(body)) {
    response.write(body, cut);
    return;
  }
  body.on('end', cut);
  body.pipe(response, { end: false });
}
