/**
 * The two anonymous calls a health watcher reads, answered as Cloudgene 3 answers them and derived from
 * the simulator's own users and jobs, so that what they say agrees with every job's status:
 * - `GET /api/v2/server` (ServerService.getRoot): the name, whether the token was valid, the apps only for
 *   a valid token, and the maintenance flag — spelled `maintenace`, as upstream writes it, with the
 *   `maintenaceMessage` only while it is on;
 * - `GET /api/v2/server/counters` (CounterResponse): `complete` adds up the counters imputationserver
 *   submits for each job that succeeded, `queue.size` counts the jobs waiting, `users` the accounts.
 */
import type { IncomingMessage } from 'node:http';
import { headerToken } from './answers';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { queueBacklog } from './jobs';
import type { SimulatedJob } from './types';

/** A job's counters count once it succeeded, and keep counting after its data was retired (7 follows 8). */
const SUCCEEDED_STATES: ReadonlySet<number> = new Set([4, 7, 8]);

export function serverInfo(sim: CloudgeneSimulator, request: IncomingMessage) {
  const user = sim.state.authenticate(headerToken(request));
  const loggedIn = typeof user === 'object';
  const { id, name, version } = sim.appDefinition();
  return {
    name: 'Imputation Server Simulator',
    loggedIn,
    user: loggedIn ? user.username : null,
    apps: loggedIn ? [{ id, name, version }] : [],
    maintenace: sim.maintenance !== null,
    ...(sim.maintenance ? { maintenaceMessage: sim.maintenance.message } : {}),
  };
}

/**
 * `complete`: the counters of every job in a success state, added up (`runs`, `samples`, `genotypes`,
 * `chromosomes`, `refpanel_<panel>`, `phasing_<method>`; empty before the first success); `queue.size`:
 * the jobs in state 1, plus the other users' jobs a scenario puts ahead of them (`queueAhead`), so that
 * no job's `positionInQueue` is past the queue's end; `users`: every account, whether it ever submitted.
 */
export function serverCounters(sim: CloudgeneSimulator) {
  const now = sim.now();
  const complete: Record<string, number> = {};
  let waiting = 0;
  let ahead = 0;
  for (const job of sim.jobs) {
    const state = sim.stateOf(job, now);
    if (state === 1) {
      waiting++;
      ahead = Math.max(ahead, queueBacklog(job, now));
    }
    if (!SUCCEEDED_STATES.has(state)) continue;
    for (const [counter, value] of Object.entries(jobCounters(job)))
      complete[counter] = (complete[counter] ?? 0) + value;
  }
  return { complete, queue: { size: waiting + ahead }, users: sim.users.size };
}

/**
 * What imputationserver's input validation counts for a job (`context.incCounter`): one run, its samples,
 * samples × SNPs as genotypes, samples × chromosomes, and one for its panel and its phasing. A job from an
 * older state file or with seeded results may have no input read: it counts its run, panel and phasing.
 */
function jobCounters(job: SimulatedJob): Record<string, number> {
  const counters: Record<string, number> = { runs: 1 };
  const files = job.input ?? [];
  if (files.length > 0) {
    const samples = files[0]!.sampleCount;
    const snps = files.reduce((sum, file) => sum + file.snps, 0);
    const chromosomes = new Set(files.flatMap((file) => file.chromosome ?? [])).size;
    counters.samples = samples;
    counters.genotypes = samples * snps;
    counters.chromosomes = samples * chromosomes;
  }
  const panel = job.fields.refpanel?.split('@')[1];
  if (panel) counters[`refpanel_${panel}`] = 1;
  counters[`phasing_${job.fields.phasing || 'eagle'}`] = 1;
  return counters;
}
