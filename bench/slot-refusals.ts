/**
 * Refused submissions per job under the service's per-user limit. Cloudgene checks the limit only after
 * it received the whole multipart upload, so every refusal is a whole input sent for nothing. Each
 * scenario runs N jobs of one user at once through the real ASL and handlers (test/workflow/harness.ts)
 * against the simulator with a limit of L, and counts the submissions the simulator refused and the
 * input bytes it received for nothing. "catalog" is the limit our service catalog assumes: when it is
 * higher than the service's, one refusal teaches the service's limit to every job of the user.
 *
 * Each scenario runs in a fresh process (fresh tables, fresh simulator). Run: npm run bench:slots.
 * The harness runs Wait states in 10 ms, not the deployed 60 s–30 min slot waits: code that retries an
 * upload on every slot wait (the code before upload leases) is refused more often here than it would be
 * deployed; code that checks before uploading is refused the same number of times whatever the waits.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { node22 } from './node22';

interface Scenario {
  jobs: number;
  limit: number;
  catalog: number;
}

const SCENARIOS: Scenario[] = [
  { jobs: 3, limit: 1, catalog: 2 },
  { jobs: 3, limit: 1, catalog: 1 },
  { jobs: 6, limit: 2, catalog: 2 },
  { jobs: 6, limit: 1, catalog: 3 },
];

if (process.env.BENCH_SLOT_SCENARIO) {
  const scenario = JSON.parse(process.env.BENCH_SLOT_SCENARIO) as Scenario;
  const { startWorkflowHarness } = await import('#test/workflow/harness');
  const h = await startWorkflowHarness({
    simulator: { concurrencyLimit: scenario.limit, timing: { queueMs: 100, runMs: 300, exportMs: 50 } },
  });
  // The catalog is read on first use: give it the scenario's limit before anything reads it.
  process.env.SERVICE_CATALOG = JSON.stringify([
    {
      id: 'michigan',
      name: 'Michigan (simulated)',
      baseUrl: h.sim.url,
      appId: 'imputationserver2',
      location: 'local',
      maxConcurrentJobs: scenario.catalog,
    },
  ]);
  const user = await h.userWithToken('bench');
  const ids = await Promise.all(Array.from({ length: scenario.jobs }, () => h.createJob(user)));
  for (const id of ids) await h.sfn.waitForJob(id, 120_000);
  const statuses = await Promise.all(ids.map(async (id) => (await h.job(user, id)).status));
  const submits = h.sim.requests.filter((r) => r.path.startsWith('/api/v2/jobs/submit/'));
  const refused = submits.filter((r) => r.status === 400).length;
  const accepted = h.sim.jobs.length;
  const inputBytes = h.sim.jobs[0]?.upload.bytes ?? 0;
  console.log(
    `BENCH_SLOTS ${JSON.stringify({ ...scenario, refused, accepted, inputBytes, succeeded: statuses.filter((s) => s === 'SUCCEEDED').length })}`,
  );
  await h.close();
  process.exit(0);
}

const node = node22();
console.log(`Node ${node.version}; each scenario in a fresh process; goal: refused submissions per job ≤ 1`);
console.log('(Wait states run in 10 ms here, as in the workflow tests: see the header of this file)');
console.log('jobs  service limit  catalog limit  refused  per job  succeeded  input sent for nothing');
for (const scenario of SCENARIOS) {
  const run = spawnSync(node.path, ['--import', 'tsx', 'bench/slot-refusals.ts'], {
    cwd: resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      BENCH_SLOT_SCENARIO: JSON.stringify(scenario),
      NODE_OPTIONS: '--openssl-legacy-provider',
    },
    encoding: 'utf8',
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_SLOTS '));
  if (!line) {
    console.log(`${JSON.stringify(scenario)}: failed\n${run.stderr.slice(-2000)}`);
    process.exitCode = 1;
    continue;
  }
  const r = JSON.parse(line.slice('BENCH_SLOTS '.length)) as Scenario & {
    refused: number;
    accepted: number;
    inputBytes: number;
    succeeded: number;
  };
  const perJob = r.refused / r.jobs;
  console.log(
    `${String(r.jobs).padStart(4)}  ${String(r.limit).padStart(13)}  ${String(r.catalog).padStart(13)}  ${String(r.refused).padStart(7)}  ${perJob.toFixed(2).padStart(7)} ${perJob <= 1 ? '✓' : '✗'}  ${`${r.succeeded}/${r.jobs}`.padStart(9)}  ${`${r.refused} × ${r.inputBytes} B`.padStart(22)}`,
  );
}
