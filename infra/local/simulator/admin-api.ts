/**
 * The admin HTTP API under `/__admin/`: the same control an in-process test has (users and tokens, job
 * states, faults, the clock, settings — maintenance and outages included —, the requests log), for another
 * process — the local stack, benchmarks, e2e tests, or curl by hand. JSON bodies; these calls are not
 * logged in `requests`, and an outage never reaches them (they are how it is cleared). README.md lists them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readText } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import type { FaultRule } from './faults';
import type { ResultFileSpec } from './fixtures';
import type { SwitchChange } from './state';
import type { DownMode, JobScenario, JobScenarioName } from './types';

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
      const switches = outageSwitches(body);
      if (typeof switches === 'string') return send(400, { message: switches });
      changeSettings(sim, body);
      if (Object.keys(switches).length > 0) sim.state.setSwitches(switches);
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

const DOWN_MODES: readonly DownMode[] = ['html-502', 'refuse', 'html-200'];
const DEFAULT_MAINTENANCE_MESSAGE = 'The service is down for maintenance.';

/**
 * `maintenance` and `down` of a settings body, checked before anything changes (a string: what is wrong
 * with them). Absent: unchanged; null: off; `maintenance: {}` gets a default message.
 */
function outageSwitches(body: Body): SwitchChange | string {
  const switches: SwitchChange = {};
  const { maintenance, down } = body;
  if (maintenance === null) switches.maintenance = null;
  else if (maintenance !== undefined) {
    if (typeof maintenance !== 'object') return 'maintenance is { message?, scope? } or null';
    const { message, scope } = maintenance as Record<string, unknown>;
    if (scope !== undefined && scope !== 'submissions' && scope !== 'jobs')
      return 'maintenance.scope is submissions or jobs';
    switches.maintenance = {
      message: typeof message === 'string' ? message : DEFAULT_MAINTENANCE_MESSAGE,
      ...(scope ? { scope } : {}),
    };
  }
  if (down === null) switches.down = null;
  else if (down !== undefined) {
    const mode = typeof down === 'object' ? (down as Record<string, unknown>).mode : undefined;
    const known = DOWN_MODES.find((m) => m === mode);
    if (!known) return `down is { mode } with mode ${DOWN_MODES.join(', ')}, or null`;
    switches.down = { mode: known };
  }
  return switches;
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
    maintenance: sim.maintenance,
    down: sim.down,
    now: sim.now(),
  };
}
