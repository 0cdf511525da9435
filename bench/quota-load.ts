/**
 * One user creating jobs in a loop against everyone else: is the looping user refused at the limit, and do
 * other users' requests keep their latency? Each scenario runs in a fresh process with the real handlers
 * and the real ASL (test/workflow/harness.ts: DynamoDB, S3, Secrets Manager and Step Functions emulators,
 * the Cloudgene simulator, whose jobs stay queued there so every accepted job stays active here). In one
 * run: first alice alone sends GET /jobs back to back for BENCH_QUOTA_SECONDS (20; the baseline); then
 * mallory runs BENCH_QUOTA_WORKERS (4) loops of POST /jobs from one READY upload as fast as they are
 * answered, for as long, while alice goes on (its second half is also shown apart: by then a limited
 * mallory is only being refused). Printed: alice's GET /jobs p50/p95 without and with the loop, mallory's answers
 * (202 created, 429 refused) and their latency. The second scenario sets the active-job limit out of
 * reach, as before this change, to show what the limit saves.
 *
 * Everything shares one Node process here (one thread, the emulators included), so every workflow step
 * of mallory's jobs is time taken from alice's requests: a pessimistic stand-in for Lambda, where each
 * runs apart and what they share is the account's concurrency (reserved for the workflow: see
 * infra/constructs/workflow.ts). The per-caller WAF rate limit (infra/constructs/caller-throttle.ts)
 * exists only deployed and is not part of this measurement.
 *
 * Run: npm run bench:quotas
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { node22 } from './node22';

interface Scenario {
  name: string;
  limit: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'quota 20 active jobs', limit: 20 },
  { name: 'limit out of reach (1,000,000; the counter still written)', limit: 1_000_000 },
];
const SECONDS = Number(process.env.BENCH_QUOTA_SECONDS ?? 20);
const WORKERS = Number(process.env.BENCH_QUOTA_WORKERS ?? 4);

interface Figures {
  baseline: number[];
  loaded: number[];
  /** alice's requests in the loop's second half (mallory at his limit by then, when there is one). */
  late: number[];
  created: number;
  refused: number;
  other: number;
  createMs: number[];
  refuseMs: number[];
  active: number;
}

if (process.env.BENCH_QUOTA_SCENARIO) {
  const scenario = JSON.parse(process.env.BENCH_QUOTA_SCENARIO) as Scenario;
  const { startWorkflowHarness } = await import('#test/workflow/harness');
  const { invoke } = await import('#test/support/api-event');
  const { createJobBody } = await import('#test/support/job-fixtures');
  const { handler: createJob } = await import('#functions/api/jobs/create-job');
  const { handler: listJobs } = await import('#functions/api/jobs/list-jobs');
  const { userQuotas } = await import('#shared/quotas/user-quotas');
  const h = await startWorkflowHarness({
    simulator: { scenario: 'manual', concurrencyLimit: 100_000 },
    settings: { MAX_ACTIVE_JOBS_PER_USER: scenario.limit, POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  const alice = await h.userWithToken('alice');
  const mallory = await h.userWithToken('mallory');
  // alice has a job of her own to list; mallory one READY, checked upload to loop on.
  const aliceJob = await h.createJob(alice);
  const malloryJob = await h.createJob(mallory);
  const uploadId = (await h.job(mallory, malloryJob)).inputs[0]!.uploadId;
  await h.waitForStatus(alice, aliceJob, ['QUEUED_REMOTE']);

  const list = async (into: number[]) => {
    const started = performance.now();
    const answer = await invoke(listJobs, { caller: alice, query: { limit: '25' } });
    if (answer.status !== 200) throw new Error(`GET /jobs answered ${answer.status}`);
    into.push(performance.now() - started);
  };
  const listFor = async (ms: number, into: number[]) => {
    const end = performance.now() + ms;
    while (performance.now() < end) await list(into);
  };

  const figures: Figures = {
    baseline: [],
    loaded: [],
    late: [],
    created: 0,
    refused: 0,
    other: 0,
    createMs: [],
    refuseMs: [],
    active: 0,
  };
  await listFor(1000, []); // warm-up
  await listFor(SECONDS * 1000, figures.baseline);

  let looping = true;
  const loop = async () => {
    while (looping) {
      const started = performance.now();
      const answer = await invoke(createJob, {
        method: 'POST',
        caller: mallory,
        body: createJobBody({ name: 'loop', uploadIds: [uploadId] }),
      });
      const ms = performance.now() - started;
      if (answer.status === 202) {
        figures.created += 1;
        figures.createMs.push(ms);
      } else if (answer.status === 429) {
        figures.refused += 1;
        figures.refuseMs.push(ms);
      } else {
        figures.other += 1;
      }
    }
  };
  const loops = Array.from({ length: WORKERS }, loop);
  await listFor((SECONDS * 1000) / 2, figures.loaded);
  await listFor((SECONDS * 1000) / 2, figures.late);
  figures.loaded.push(...figures.late);
  looping = false;
  await Promise.all(loops);
  figures.active = Object.keys((await userQuotas().usage(mallory.sub)).activeJobs).length;
  console.log(`BENCH_QUOTA ${JSON.stringify(figures)}`);
  await h.watcher.pause();
  await h.close();
  process.exit(0);
}

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};
const ms = (value: number) => (Number.isNaN(value) ? '     –' : value.toFixed(1).padStart(6));

const node = node22();
console.log(
  `Node ${node.version}; each scenario in a fresh process; ${SECONDS} s per phase, ${WORKERS} POST /jobs loops`,
);
console.log(
  '(one Node process for the handlers, the workflow and the emulators: see the header of this file)',
);
console.log(
  'scenario               alice GET /jobs ms: alone p50  p95 | mallory looping p50  p95 | mallory: 202  429  p50 202 ms  p50 429 ms  active jobs',
);
for (const scenario of SCENARIOS) {
  const run = spawnSync(node.path, ['--import', 'tsx', 'bench/quota-load.ts'], {
    cwd: resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      BENCH_QUOTA_SCENARIO: JSON.stringify(scenario),
      NODE_OPTIONS: '--openssl-legacy-provider',
    },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_QUOTA '));
  if (!line) {
    console.log(`${scenario.name}: failed\n${run.stderr.slice(-3000)}`);
    process.exitCode = 1;
    continue;
  }
  const f = JSON.parse(line.slice('BENCH_QUOTA '.length)) as Figures;
  console.log(
    `${scenario.name.padEnd(22)} ${' '.repeat(20)}${ms(quantile(f.baseline, 0.5))} ${ms(quantile(f.baseline, 0.95))} |` +
      `${' '.repeat(16)}${ms(quantile(f.loaded, 0.5))} ${ms(quantile(f.loaded, 0.95))} |` +
      `${String(f.created).padStart(13)} ${String(f.refused).padStart(4)} ${ms(quantile(f.createMs, 0.5)).padStart(11)} ${ms(quantile(f.refuseMs, 0.5)).padStart(11)} ${String(f.active).padStart(12)}` +
      (f.other > 0 ? `  (${f.other} other answers)` : ''),
  );
  console.log(
    `${' '.repeat(22)} loop's second half: alice p50 ${ms(quantile(f.late, 0.5)).trim()} ms, p95 ${ms(quantile(f.late, 0.95)).trim()} ms; requests: alice ${f.baseline.length} alone, ${f.loaded.length} during the loop`,
  );
}
