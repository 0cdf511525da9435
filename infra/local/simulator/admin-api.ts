/**
 * The admin HTTP API under `/__admin/`: the same control an in-process test has (users and tokens, job
 * states, faults, the clock, settings, the requests log), for another process — the local stack,
 * benchmarks, e2e tests, or curl by hand. JSON bodies; these calls are not logged in `requests`.
 * README.md lists the calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readText } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import type { FaultRule } from './faults';
import type { ResultFileSpec } from './fixtures';
import type { JobScenario, JobScenarioName } from './types';

type Body = Record<string, unknown>;

export async function adminApi(
  sim: CloudgeneSimulator,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const send = (status: number, body: unknown) => sim.answers.send(response, status, body);
  const method = request.method ?? 'GET';
  const text = await readText(request);
  let body: Body = {};
  try {
    body = text ? (JSON.parse(text) as Body) : {};
  } catch {
    return send(400, { message: 'admin requests take JSON bodies' });
  }
  const [resource, id, action] = path.split('/').slice(2).map(decodeURIComponent);
  try {
    if (resource === 'users' && method === 'POST' && !id) {
      const username = String(body.username ?? '');
      if (!username) return send(400, { message: 'username is required' });
      const token = sim.addUser({
        username,
        name: body.name as string | undefined,
        mail: body.mail as string | undefined,
        token: body.token as string | undefined,
        expire: body.expire ? new Date(body.expire as string | number) : undefined,
        admin: typeof body.admin === 'boolean' ? body.admin : undefined,
      });
      return send(200, { username, token, expire: sim.state.user(username).expire.toISOString() });
    }
    if (resource === 'users' && method === 'POST' && id && action) {
      if (action === 'revoke') sim.revokeToken(id);
      else if (action === 'expire') sim.expireToken(id);
      else if (action === 'active-jobs') sim.setOtherActiveJobs(id, Number(body.count ?? 0));
      else return send(404, { message: `unknown user action ${action}` });
      return send(200, { ok: true });
    }
    if (resource === 'jobs' && method === 'GET' && !id) {
      return send(
        200,
        sim.jobs.map((j) => ({ ...j, state: sim.stateOf(j) })),
      );
    }
    if (resource === 'jobs' && method === 'POST' && id && action === 'state') {
      sim.setJobState(id, Number(body.state), body.message as string | undefined);
      return send(200, { id, state: sim.stateOf(sim.job(id)) });
    }
    if (resource === 'requests' && method === 'GET') return send(200, sim.requests);
    if (resource === 'clock' && method === 'POST') {
      sim.advance(Number(body.advanceMs ?? 0));
      return send(200, { now: sim.now() });
    }
    if (resource === 'faults' && method === 'POST') {
      const pattern = body.pathRegex ? new RegExp(String(body.pathRegex)) : String(body.path ?? '/');
      sim.failNext({ ...(body as Omit<FaultRule, 'path'>), path: pattern });
      return send(200, { ok: true });
    }
    if (resource === 'faults' && method === 'DELETE') {
      sim.clearFaults();
      return send(200, { ok: true });
    }
    if (resource === 'settings' && (method === 'PATCH' || method === 'POST')) {
      changeSettings(sim, body);
      return send(200, settings(sim));
    }
    if (resource === 'settings' && method === 'GET') return send(200, settings(sim));
  } catch (error) {
    return send(404, { message: (error as Error).message });
  }
  send(404, { message: `no admin route ${method} ${path}` });
}

function changeSettings(sim: CloudgeneSimulator, body: Body): void {
  if (typeof body.scenario === 'string' || typeof body.scenario === 'object')
    sim.scenario = body.scenario as JobScenarioName | JobScenario;
  if (typeof body.concurrencyLimit === 'number') sim.concurrencyLimit = body.concurrencyLimit;
  if (typeof body.maxDownloadsPerFile === 'number') sim.maxDownloadsPerFile = body.maxDownloadsPerFile;
  if (typeof body.redirectDownloads === 'boolean') sim.redirectDownloads = body.redirectDownloads;
  if (typeof body.timing === 'object') sim.timing = { ...sim.timing, ...(body.timing as object) };
  if (Array.isArray(body.resultFiles)) sim.resultFiles = body.resultFiles as ResultFileSpec[];
  // null: back to each job's own results.
  if (body.resultFiles === null) sim.resultFiles = undefined;
}

function settings(sim: CloudgeneSimulator) {
  return {
    appId: sim.appId,
    panels: sim.panels.map((p) => p.id),
    scenario: typeof sim.scenario === 'function' ? 'function' : sim.scenario,
    concurrencyLimit: sim.concurrencyLimit,
    maxDownloadsPerFile: sim.maxDownloadsPerFile,
    redirectDownloads: sim.redirectDownloads,
    timing: sim.timing,
    resultFiles: sim.resultFiles ?? null,
    now: sim.now(),
  };
}
