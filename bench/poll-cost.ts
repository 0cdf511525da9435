/**
 * Cost per job: Step Functions Standard bills state transitions (every state entered, retries included).
 * This runs the real ASL with the real task handlers in the local engine, and the real watcher once per
 * simulated minute, for whole simulated jobs — 1 h, 24 h and 7-day jobs, a 24 h job behind a 2 h wait for
 * a slot, and a 1 h job with service hiccups — and counts the transitions the engine reports, per
 * execution. Each job runs in a fresh process (bench/poll-cost-run.ts, which explains the simulated clock).
 *
 * The same jobs are then run on the design before the watcher (BENCH_POLL_BEFORE, default e4172cc: each
 * execution polled its own job in a loop), in a temporary git worktree of that commit with this
 * checkout's node_modules and scenarios, by that commit's own runner (two adaptations, said where they
 * are made), so both rows come from one run of this command on one machine.
 *
 * Run: npm run bench:poll-cost (BENCH_POLL_SCENARIOS=1h,24h,… to choose; BENCH_POLL_BEFORE= to skip)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { markedResult, runNode } from './child-process';
import { node22 } from './node22';
import { type PollRunResult, SCENARIOS } from './poll-scenarios';

const PRICE_PER_1000 = 0.025; // USD per 1,000 state transitions, Standard workflows, us-east-1
const scenarios = (process.env.BENCH_POLL_SCENARIOS ?? '1h,24h,24h-slot,7d,1h-faults').split(',');
const node = node22();

const root = resolve(import.meta.dirname, '..');

async function runOne(scenario: string, checkout = root): Promise<PollRunResult> {
  const output = await runNode(node.path, ['--import', 'tsx', join(checkout, 'bench/poll-cost-run.ts')], {
    cwd: checkout,
    // Powertools reads its level when the logger is built (at import), so it is the process's.
    env: { ...process.env, BENCH_POLL_SCENARIO: scenario, NODE_OPTIONS: '', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  return markedResult<PollRunResult>(output, 'BENCH_POLL', `${scenario} in ${checkout}`);
}

/**
 * A worktree of the design before the watcher, runnable here: this checkout's scenarios (the 7-day one is
 * new), and its harness no longer waits for the upload's check in its own Step Functions emulator (the
 * benchmark's engine runs that check; the job waits for it itself), which that commit's runner needs.
 */
function beforeWorktree(commit: string): string {
  const path = join(tmpdir(), `poll-cost-before-${process.pid}`);
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', path, commit], { cwd: root });
  symlinkSync(join(root, 'node_modules'), join(path, 'node_modules'));
  copyFileSync(join(root, 'bench/poll-scenarios.ts'), join(path, 'bench/poll-scenarios.ts'));
  const harness = join(path, 'test/workflow/harness.ts');
  writeFileSync(
    harness,
    readFileSync(harness, 'utf8').replace(
      'for (const uploadId of uploadIds) await sfn.waitForJob(uploadCheckExecutionName(uploadId));',
      'void uploadCheckExecutionName;',
    ),
  );
  return path;
}

console.log(
  `Real ASL (statemachines/imputation-job.asl.json) in aws-local-stepfunctions, real handlers, the real watcher once per simulated minute, Node ${node.version}; transitions = states entered + retries, $${PRICE_PER_1000}/1,000`,
);
console.log(
  `${'scenario'.padEnd(58)} ${'execs'.padStart(5)} ${'polls'.padStart(6)} ${'submits'.padStart(7)} ${'retries'.padStart(7)} ${'copies'.padStart(6)} ${'job trans.'.padStart(10)} ${'+upload chk'.padStart(11)} ${'USD/job'.padStart(8)} ${'seen after'.padStart(10)} ${'watcher runs'.padStart(12)}`,
);
const after = new Map<string, PollRunResult>();
for (const scenario of scenarios) {
  const r = await runOne(scenario);
  after.set(scenario, r);
  if (r.status !== 'SUCCEEDED') console.warn(`warning: ${scenario} ended ${r.status}`);
  console.log(
    `${(SCENARIOS[scenario]?.label ?? scenario).padEnd(58)} ${String(r.executions).padStart(5)} ${String(r.polls).padStart(6)} ${String(r.slotWaits).padStart(7)} ${String(r.retries).padStart(7)} ${String(r.copies).padStart(6)} ${String(r.jobTransitions).padStart(10)} ${`+${r.uploadCheckTransitions}`.padStart(11)} ${`$${((r.transitions / 1000) * PRICE_PER_1000).toFixed(4)}`.padStart(8)} ${`${Math.round(r.detectionDelaySeconds)} s`.padStart(10)} ${String(r.watcherRuns).padStart(12)}`,
  );
}
console.log(
  "execs: the job's executions (its own, submit-<n>, collect-<n>); polls: status calls at the service (all by the watcher); submits: submit executions the watcher started; job trans.: their transitions; +upload chk: the transitions of the upload's check (once per file, reused by every job of that file); USD/job: both; seen after: from the service finishing the job to the watcher's poll that saw it (simulated time); watcher runs: runs that did something for this job (each run is one Lambda invocation shared by every job: its cost is the watcher's, see bench/watcher-load.ts)",
);

const before = process.env.BENCH_POLL_BEFORE ?? 'e4172cc';
if (before) {
  console.log(
    `\nThe same jobs before the watcher (${before}: each execution polled its own job), in this run:`,
  );
  const path = beforeWorktree(before);
  try {
    for (const scenario of scenarios.filter((name) => !SCENARIOS[name]?.faults)) {
      const old = await runOne(scenario, path);
      const now = after.get(scenario)!;
      console.log(
        `${(SCENARIOS[scenario]?.label ?? scenario).padEnd(58)} before ${String(old.transitions).padStart(5)} transitions ($${((old.transitions / 1000) * PRICE_PER_1000).toFixed(4)}), ${String(old.polls).padStart(5)} polls, seen after ${Math.round(old.detectionDelaySeconds)} s; after ${now.transitions} (${now.jobTransitions} + ${now.uploadCheckTransitions} of the upload check), ${now.polls} polls, seen after ${Math.round(now.detectionDelaySeconds)} s`,
      );
    }
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', path], { cwd: root });
  }
}
