/**
 * The HTTP routing of a simulated Cloudgene 3 server: every request is logged, meets an outage first (a
 * down service's proxy answers everything), then the fault rules, then the routes the real services have —
 * token verification, the server description and counters (server-info.ts), the app description, the job
 * list (25 to a page, jobs started on the web page included), a job's body and its cancel/restart actions,
 * no /results route, DELETE refused to API tokens — with their traps: 401 with an empty body for a bad
 * token, 403 for a replaced or revoked one, 503 for job calls maintenance blocks. Uploads and downloads
 * have their own modules; `/__admin/` goes to the admin API, which an outage never reaches.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminApi } from './admin-api';
import { drain, headerToken, readText } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { presignedDownload, shareDownload } from './downloads';
import { ACTIVE_STATES, restartJob } from './jobs';
import { answerWhileDown, MAINTENANCE_TEXT, refusedForMaintenance } from './outages';
import { serverCounters, serverInfo } from './server-info';
import type { SimulatedUser } from './types';
import { submit } from './uploads';

const PAGE_SIZE = 25;

export async function handle(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { answers } = sim;
  const url = new URL(request.url ?? '/', 'http://simulator');
  const method = request.method ?? 'GET';
  const path = url.pathname;
  if (path.startsWith('/__admin/')) {
    if (sim.admin) return adminApi(sim, request, response, path);
    return answers.error(response, 404, 'Not found.');
  }
  answers.logWhenFinished(request, response, path);
  if (await answerWhileDown(sim.down?.mode, request, response, path, answers)) return;
  if (await sim.faults.apply(request, response, path, answers)) return;

  if (method === 'POST' && path === '/api/v2/tokens/verify') return verifyToken(sim, request, response);
  if (method === 'GET' && path === '/api/v2/server')
    return answers.send(response, 200, serverInfo(sim, request));
  if (method === 'GET' && path === '/api/v2/server/counters')
    return answers.send(response, 200, serverCounters(sim));
  if (path.startsWith('/share/results/')) return shareDownload(sim, request, response, path);
  if (path.startsWith('/presigned/')) return presignedDownload(sim, request, response, path, url);

  if (path.startsWith('/api/')) {
    const user = sim.state.authenticate(headerToken(request));
    if (user === 'invalid') {
      await drain(request);
      response.writeHead(401, { 'Content-Length': 0 });
      response.end();
      return;
    }
    if (user === 'revoked') {
      await drain(request);
      return answers.error(response, 403, 'Access denied.');
    }
    return api(sim, request, response, url, user);
  }
  await drain(request);
  answers.error(response, 404, 'Not found.');
}

async function verifyToken(sim: CloudgeneSimulator, request: IncomingMessage, response: ServerResponse) {
  const form = new URLSearchParams(await readText(request));
  const user = sim.state.authenticate(form.get('token') ?? undefined);
  if (typeof user !== 'object') {
    return sim.answers.send(response, 200, {
      valid: false,
      message: 'Invalid API Token.',
      username: null,
      name: null,
      mail: null,
      expire: null,
    });
  }
  sim.answers.send(response, 200, {
    valid: true,
    message: 'API Token was created by a valid user.',
    username: user.username,
    name: user.name,
    mail: user.mail,
    expire: sim.expireFormat === 'epoch-ms' ? user.expire.getTime() : user.expire.toISOString(),
  });
}

/** The routes behind a valid API token. */
async function api(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  user: SimulatedUser,
) {
  const { answers } = sim;
  const method = request.method ?? 'GET';
  const path = url.pathname;
  if (method === 'POST' && path === `/api/v2/jobs/submit/${sim.appId}`)
    return submit(sim, request, response, user);
  await drain(request);
  if (method === 'GET' && path === `/api/v2/server/apps/${sim.appId}`)
    return answers.send(response, 200, sim.appDefinition());
  const jobMatch = /^\/api\/v2\/jobs\/([^/]+)(?:\/(status|cancel|restart|results))?$/.exec(path);
  const action = jobMatch?.[2];
  // Cloudgene has no /results route: results are listed in the job's outputParams.
  if (action === 'results') return answers.error(response, 404, 'Not found.');
  if ((path === '/api/v2/jobs' || jobMatch) && refusedForMaintenance(sim.maintenance, user, 'job'))
    return answers.error(response, 503, MAINTENANCE_TEXT);
  if (method === 'GET' && path === '/api/v2/jobs')
    return answers.send(response, 200, jobList(sim, url, user));
  if (jobMatch && method === 'GET') {
    const id = decodeURIComponent(jobMatch[1]!);
    const job = sim.state.findJob(id);
    if (!job || sim.stateOf(job) === 10) return answers.error(response, 404, `Job ${id} not found.`);
    if (job.user !== user.username) return answers.error(response, 403, 'Access denied.');
    const state = sim.stateOf(job);
    if (action === 'cancel' && ACTIVE_STATES.has(state)) sim.setJobState(job.id, 6);
    if (action === 'restart') {
      if (state !== -1) return answers.error(response, 400, `Job ${id} is not pending.`);
      restartJob(sim, job);
    }
    return answers.send(response, 200, sim.jobBody(job, user));
  }
  // Deleting needs a login token; an API token is never enough.
  if (jobMatch && method === 'DELETE') return answers.error(response, 403, 'Access denied.');
  answers.error(response, 404, 'Not found.');
}

/** `GET /api/v2/jobs[?page=N]`: newest first, jobs started elsewhere (the service's web page) too. */
function jobList(sim: CloudgeneSimulator, url: URL, user: SimulatedUser) {
  // They hold slots like ours, so a client sees why it is at the limit.
  const elsewhere = Array.from({ length: user.otherActiveJobs }, (_, index) => ({
    id: `job-web-${user.username}-${index + 1}`,
    name: `web upload ${index + 1}`,
    state: 2,
    positionInQueue: -1,
    steps: [],
    outputParams: [],
  }));
  const mine = [
    ...elsewhere,
    ...sim
      .submissionsOf(user.username)
      .filter((j) => sim.stateOf(j) !== 10)
      .reverse()
      .map((j) => sim.jobBody(j, user)),
  ];
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  return {
    count: mine.length,
    page,
    pageSize: PAGE_SIZE,
    pages: Math.max(1, Math.ceil(mine.length / PAGE_SIZE)),
    data: mine.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
  };
}
