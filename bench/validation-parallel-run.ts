/**
 * One measurement of bench/validation-parallel.ts, in a fresh process (run in this checkout, or copied
 * unchanged into a temporary worktree of an earlier commit): the real ASL file run by
 * aws-local-stepfunctions with the real task handlers (test/workflow/harness.ts: DynamoDB, S3 and
 * Secrets Manager emulators, the Cloudgene simulator), one job of the input files in
 * BENCH_VALIDATION_DIR (`*.vcf.gz`, one chromosome each). The uploads' own checks are skipped — each
 * upload is recorded UNCHECKED — so the job's own validation reads every file, whole, from S3. The
 * submission is held (its task never answers: nothing is sent to the simulator), so nothing but the
 * validation runs. Prints `BENCH_VALIDATION {…}`: the time from the job's creation (its `createdAt`) to
 * its SUBMITTING event, both as recorded on the job, and every invocation of the validation task
 * (which file, or the judgement of the whole job, and how long it took). With
 * BENCH_VALIDATION_ONE_AT_A_TIME=1 the invocations run one at a time: each file's time alone. Only the harness's API and the
 * validate-input handler's module are used, which both commits have.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobRepository } from '#shared/jobs/job-repository';
import { startWorkflowHarness } from '#test/workflow/harness';

const dir = process.env.BENCH_VALIDATION_DIR;
if (!dir) throw new Error('BENCH_VALIDATION_DIR is not set');
const names = readdirSync(dir)
  .filter((name) => name.endsWith('.vcf.gz'))
  .sort((a, b) => chromosomeOf(a) - chromosomeOf(b));
function chromosomeOf(name: string): number {
  return Number(/chr(\d+)/.exec(name)?.[1] ?? 0);
}

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
const validate = (await import('#functions/workflow/validate-input')).handler as Handler;
interface Invocation {
  /** The file's index in the job's inputs (a Map branch), `job` for the judgement over all files, `all` for one task over every file (the serial validation). */
  what: number | 'job' | 'all';
  startMs: number;
  ms: number;
  outcome: string;
}
const invocations: Invocation[] = [];
const t0 = performance.now();
// BENCH_VALIDATION_ONE_AT_A_TIME=1: the Map's branches still all start, but their task invocations run
// one after another, so each file's time is its own (as in a Lambda of its own), not shared CPUs'.
const oneAtATime = process.env.BENCH_VALIDATION_ONE_AT_A_TIME === '1';
let queue: Promise<unknown> = Promise.resolve();
const timed: Handler = (event, context) => {
  if (!oneAtATime) return run(event, context);
  const next = queue.then(() => run(event, context));
  queue = next.catch(() => undefined);
  return next;
};
const run: Handler = async (event, context) => {
  const input = event as { index?: number; files?: unknown };
  const what = typeof input.index === 'number' ? input.index : input.files ? 'job' : 'all';
  const started = performance.now();
  const result = (await validate(event, context)) as { outcome?: string };
  invocations.push({
    what,
    startMs: Math.round(started - t0),
    ms: Math.round(performance.now() - started),
    outcome: String(result?.outcome ?? '?'),
  });
  return result;
};

const harness = await startWorkflowHarness({
  // Nothing is submitted: the measurement ends when the job is SUBMITTING.
  handlers: { validateInput: timed as never, submitJob: (() => new Promise(() => {})) as never },
  watchMs: 0,
});
harness.uploadChecks = 'skipped';
const caller = await harness.userWithToken('bench');
const files = names.map((name) => ({ name, raw: readFileSync(join(dir, name)) }));
const bytes = files.reduce((sum, file) => sum + file.raw.length, 0);
const jobId = await harness.createJob(caller, { files });
const job = await harness.waitForStatus(
  caller,
  jobId,
  ['SUBMITTING', 'FAILED', 'WAITING_FOR_SLOT'],
  3_600_000,
);
if (job.status !== 'SUBMITTING') {
  throw new Error(`the job ended ${job.status}: ${JSON.stringify(job.error ?? job.events.at(-1))}`);
}
const submittingAt = job.events.find((event) => event.to === 'SUBMITTING')?.at;
const record = await jobRepository().get(caller.sub, jobId);
console.log(
  `BENCH_VALIDATION ${JSON.stringify({
    files: names,
    bytes,
    createdAt: record?.createdAt,
    submittingAt,
    wallMs: Date.parse(submittingAt ?? '') - Date.parse(job.createdAt),
    invocations,
  })}`,
);
// The held submission never ends: leave without waiting for it.
process.exit(0);
