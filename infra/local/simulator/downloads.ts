/**
 * Result downloads as the services serve them: share URLs outside /api/v2 that need no token, count
 * downloads against a per-file limit and may 302 to a presigned-looking URL (TOPMed's S3), which checks
 * a signature instead. A job's own files are served from what was made for it; seeded files are
 * generated as they stream, so a GB costs no memory. A `truncate` or `stall` fault sends half of either.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pathOf } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { ADMIN_ONLY_PARAMS } from './fixtures';
import { LISTING_STATES } from './jobs';
import { resultStream } from './result-bytes';
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
  stream(sim, request, response, found.job.id, found.file);
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
  stream(sim, request, response, found.job.id, found.file);
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

/** The file's first `length` bytes: a job's own file as kept (undefined once gone), a seeded one as it streams. */
function contents(
  sim: CloudgeneSimulator,
  jobId: string,
  file: SimulatedResultFile,
  length: number,
): Buffer | Readable | undefined {
  if (file.seed !== undefined) return resultStream(file.seed, length);
  return sim.results.content(jobId, file.name)?.subarray(0, length);
}

function stream(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  jobId: string,
  file: SimulatedResultFile,
) {
  const { answers } = sim;
  const mode = answers.modeOf(response);
  if (mode === 'dropped') return answers.answer(response, 200, 'text/plain', '');
  const half = mode === 'truncated' || mode === 'stalled';
  const body = contents(sim, jobId, file, half ? Math.floor(file.size / 2) : file.size);
  if (!body) return answers.error(response, 404, 'File not found in workspace.');
  response.writeHead(200, {
    'Content-Type': contentType(file.name),
    'Content-Length': String(file.size),
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
