/**
 * What an outage looks like from outside, in its two kinds: Cloudgene's own maintenance mode (the server
 * says so in its description and refuses job calls with its 503 text), and a service that is down behind
 * its proxy, which answers every request with nginx's 502 page, a 200 maintenance page, or not at all.
 * Both hold until they are cleared — real outages last days — and neither touches the job clock: a job may
 * finish while its service is down, and is reported finished once the service is up again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Answers, drain } from './answers';
import type { DownMode, MaintenanceSetting, SimulatedUser } from './types';

/** Cloudgene's answer (503) to a call its maintenance mode blocks. */
export const MAINTENANCE_TEXT = 'This functionality is currently under maintenance.';

/** nginx's own page for an upstream that does not answer, CRLF line ends included. */
const BAD_GATEWAY_PAGE = [
  '<html>',
  '<head><title>502 Bad Gateway</title></head>',
  '<body>',
  '<center><h1>502 Bad Gateway</h1></center>',
  '<hr><center>nginx</center>',
  '</body>',
  '</html>',
  '',
].join('\r\n');

/** The static page a proxy serves, with status 200, while the service behind it is being worked on. */
const MAINTENANCE_PAGE = [
  '<html>',
  '<head><title>Scheduled maintenance</title></head>',
  '<body>',
  '<h1>We&rsquo;ll be back soon</h1>',
  '<p>The Imputation Server is down for scheduled maintenance. Please check back later.</p>',
  '</body>',
  '</html>',
  '',
].join('\n');

/**
 * Answers the request as the proxy of a down service does: `true` when it did (nothing else is to answer
 * it), `false` when the service is up. `refuse` drops the connection at once (the client sees a reset).
 */
export async function answerWhileDown(
  mode: DownMode | undefined,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  answers: Answers,
): Promise<boolean> {
  if (!mode) return false;
  if (mode === 'refuse') {
    answers.record(request, path, 0, 'reset');
    request.socket.destroy();
    return true;
  }
  await drain(request);
  const [status, page] = mode === 'html-502' ? [502, BAD_GATEWAY_PAGE] : [200, MAINTENANCE_PAGE];
  answers.answer(response, status, 'text/html', page, { Server: 'nginx' });
  return true;
}

/**
 * Whether maintenance refuses this call of this user (503): never an admin's, always a submission, other
 * job calls (status, list, cancel, restart, delete) only with the scope `jobs`.
 */
export function refusedForMaintenance(
  maintenance: MaintenanceSetting | null,
  user: SimulatedUser,
  call: 'submit' | 'job',
): boolean {
  if (!maintenance || user.admin) return false;
  return call === 'submit' || maintenance.scope === 'jobs';
}
