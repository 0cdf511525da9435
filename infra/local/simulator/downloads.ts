/**
 * Result downloads as the services serve them: share URLs outside /api/v2 that need no token, count
 * downloads against a per-file limit and may 302 to a presigned-looking URL (TOPMed's S3), which checks
 * a signature instead. Contents are generated from the file's seed as they stream, so a GB costs no
 * memory; a `truncate` or `stall` fault sends half of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { ADMIN_ONLY_PARAMS } from './fixtures';
import { SUCCESS_STATES } from './jobs';
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
    !SUCCESS_STATES.has(sim.stateOf(found.job)) ||
    ADMIN_ONLY_PARAMS.has(found.file.param ?? 'output')
  ) {
    return answers.error(response, 404, 'download not found.');
  }
  if (found.file.unavailable) return answers.error(response, 404, found.file.unavailable);
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
  stream(sim, request, response, found.file);
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
  stream(sim, request, response, found.file);
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

function stream(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  file: SimulatedResultFile,
) {
  const { answers } = sim;
  const mode = answers.modeOf(response);
  if (mode === 'dropped') return answers.answer(response, 200, 'text/plain', '');
  response.writeHead(200, {
    'Content-Type': contentType(file.name),
    'Content-Length': String(file.size),
    'Content-Disposition': `attachment; filename="${file.name.split('/').pop()}"`,
  });
  if (mode === 'truncated' || mode === 'stalled') {
    const partial = resultStream(file.seed, Math.floor(file.size / 2));
    partial.on('end', () => {
      answers.record(request, pathOf(request), 200, mode);
      if (mode !== 'stalled') response.socket?.destroy();
    });
    partial.pipe(response, { end: false });
    return;
  }
  resultStream(file.seed, file.size).pipe(response);
}
