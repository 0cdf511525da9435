/**
 * Cost per job: Step Functions Standard bills state transitions (every state entered, retries included).
 * This runs the real ASL with the real task handlers in the local engine for whole simulated jobs — a
 * 1 h and a 24 h job, one behind a slot wait, one with service hiccups — and counts the transitions the
 * engine reports, with our backoff polling and with the same code polling every 30 s
 * (POLL_MAX_SECONDS=30). Each job runs in a fresh process (bench/poll-cost-run.ts, which explains how the
 * simulator's clock follows the workflow's waits).
 *
 * Run: npm run bench:poll-cost (BENCH_POLL_SCENARIOS=1h,24h,… to choose)
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { node22 } from './node22';
import { type PollRunResult, SCENARIOS } from './poll-scenarios';

const PRICE_PER_1000 = 0.025; // USD per 1,000 state transitions, Standard workflows, us-east-1
const scenarios = (process.env.BENCH_POLL_SCENARIOS ?? '1h,24h,24h-slot,1h-faults').split(',');
const node = node22();

function runOne(scenario: string, policy: 'backoff' | 'fixed'): Promise<PollRunResult> {
  return new Promise((ok, fail) => {
    const child = spawn(node.path, ['--import', 'tsx', resolve(import.meta.dirname, 'poll-cost-run.ts')], {
      cwd: resolve(import.meta.dirname, '..'),
      // Powertools reads its level when the logger is built (at import), so it is the process's.
      env: {
        ...process.env,
        BENCH_POLL_SCENARIO: scenario,
        BENCH_POLL_POLICY: policy,
        NODE_OPTIONS: '',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_POLL '));
      if (code !== 0 || !line) fail(new Error(`${scenario}/${policy} failed (exit ${code}):\n${err}${out}`));
      else ok(JSON.parse(line.slice('BENCH_POLL '.length)));
    });
  });
}

console.log(
  `Real ASL (statemachines/imputation-job.asl.json) in aws-local-stepfunctions, real handlers, Node ${node.version}; transitions = states entered + retries, $${PRICE_PER_1000}/1,000`,
);
console.log(
  `${'scenario'.padEnd(58)} ${'policy'.padEnd(10)} ${'execs'.padStart(5)} ${'polls'.padStart(6)} ${'slot waits'.padStart(10)} ${'retries'.padStart(7)} ${'copies'.padStart(6)} ${'transitions'.padStart(11)} ${'USD/job'.padStart(8)} ${'seen after'.padStart(10)}`,
);
const rows: { scenario: string; backoff: PollRunResult; fixed: PollRunResult }[] = [];
for (const scenario of scenarios) {
  const results = { backoff: await runOne(scenario, 'backoff'), fixed: await runOne(scenario, 'fixed') };
  for (const policy of ['backoff', 'fixed'] as const) {
    const r = results[policy];
    if (r.status !== 'SUCCEEDED') console.warn(`warning: ${scenario}/${policy} ended ${r.status}`);
    console.log(
      `${(policy === 'backoff' ? (SCENARIOS[scenario]?.label ?? scenario) : '').padEnd(58)} ${(policy === 'fixed' ? 'fixed 30 s' : 'backoff').padEnd(10)} ${String(r.executions).padStart(5)} ${String(r.polls).padStart(6)} ${String(r.slotWaits).padStart(10)} ${String(r.retries).padStart(7)} ${String(r.copies).padStart(6)} ${String(r.transitions).padStart(11)} ${`$${((r.transitions / 1000) * PRICE_PER_1000).toFixed(4)}`.padStart(8)} ${`${Math.round(r.detectionDelaySeconds)} s`.padStart(10)}`,
    );
  }
  rows.push({ scenario, ...results });
}
console.log('seen after: from the service finishing the job to the poll that saw it (simulated time)');
for (const { scenario, backoff, fixed } of rows) {
  console.log(
    `${(SCENARIOS[scenario]?.label ?? scenario).padEnd(58)} backoff pays ${((backoff.transitions / fixed.transitions) * 100).toFixed(0)}% of the fixed-30 s transitions`,
  );
}
