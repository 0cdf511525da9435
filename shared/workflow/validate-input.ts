/**
 * Workflow step 1: every input file valid, and all of them fit for this job, before a slot at the service
 * is spent (the service would reject an unsorted or mixed-chromosome file minutes to hours later). Each
 * file is checked in its own branch of the validation Map (`checkJobInput`), all at once, so a 22-file
 * cohort is checked in the time of its largest file. A file is normally checked once, when its upload
 * completed (upload-check.ts): its recorded facts are reused when the stored object is still the one
 * checked, and a branch whose file is still being checked waits for it (`WAIT`). A file that was not
 * checked (the check could not run, or the object changed) is read in its branch, whole and streamed,
 * within a time budget, pausing with a small checkpoint (`CONTINUE`) from which the next invocation
 * resumes with a range GET. Then `judgeJobInputs` judges the job's own rules (sample limits, build,
 * phasing, the files together) from the facts alone (job-input-rules.ts); the job fails with one line
 * per problem, each naming its file, its line and the fix for its cause.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { s3Client } from '#shared/aws/clients';
import { findService } from '#shared/catalog/service-catalog';
import {
  type JobInput,
  type JobRecord,
  JobTransitionConflict,
  jobRepository,
} from '#shared/jobs/job-repository';
import { MAX_JOB_INPUTS } from '#shared/jobs/job-request';
import { JobStatus } from '#shared/jobs/job-status';
import { EXECUTION_LOOK_SECONDS, nextWatch } from '#shared/jobs/job-watch';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { settings } from '#shared/settings';
import { type UploadCheck, type UploadCheckProgress, uploadStore } from '#shared/uploads/upload-store';
import { uploadsEnv } from '#shared/uploads/uploads';
import {
  describeInputProblem,
  type JobInputFile,
  jobInputProblems,
  summarizeChecks,
} from '#shared/vcf/job-input-rules';
import { vcfFactsSchema } from '#shared/vcf/vcf-facts';
import { formatProblem, SAMPLE_LIMITS, type VcfRules } from '#shared/vcf/vcf-problems';
import { type FileCursor, fileCursorSchema } from '#shared/vcf/vcf-validator';
import { after } from './backoff';
import {
  checkLimitProblem,
  checkLimits,
  checkStoredFile,
  type FileCheckStep,
  pauseAtLimit,
} from './file-check';
import { type JobRef, loadJob } from './job-context';

/** A whole number from 0 up. */
const count = () => z.int().check(z.nonnegative());

const fileDoneSchema = z.object({
  /** What the file's check found, when it is valid on its own. */
  facts: z.optional(vcfFactsSchema),
  /** `<file name>: line N: why`, when it is not. */
  problem: z.optional(z.string().check(z.maxLength(2000))),
  /** The ETag of the object checked. */
  etag: z.optional(z.string().check(z.maxLength(200))),
});
type FileDone = z.infer<typeof fileDoneSchema>;

export const fileCheckpointSchema = z.object({
  /** Where the file resumes (BGZF virtual offset and the checks' state); absent: from its start. */
  cursor: z.optional(fileCursorSchema),
  /** The file's ETag when its validation started: a file replaced meanwhile is not resumed. */
  etag: z.optional(z.string().check(z.maxLength(200))),
  /** Invocations so far, for the logs. */
  invocations: count(),
  /** Waits so far for the upload's own check (each wait is longer, up to a minute). */
  waits: z._default(count(), 0),
  /** Decompressed bytes read so far (capped: VALIDATION_MAX_DECOMPRESSED_BYTES). */
  decompressed: z._default(count(), 0),
});
export type FileCheckpoint = z.infer<typeof fileCheckpointSchema>;

/** One branch's result: the file's outcome, or how to go on. */
export type FileCheckResult =
  | { outcome: 'DONE'; done: FileDone; invocations: number }
  | { outcome: 'STOPPED' }
  | { outcome: 'CONTINUE'; checkpoint: FileCheckpoint }
  /** The upload is still being checked: ask again after `waitSeconds`. */
  | { outcome: 'WAIT'; checkpoint: FileCheckpoint; waitSeconds: number };

/** What the previous invocation of a branch returned (the state machine passes it back). */
export const previousFileCheckSchema = z.object({
  outcome: z.string(),
  checkpoint: z.optional(fileCheckpointSchema),
});

/** What the Map hands the judge: each branch's last result, in the order of the job's inputs. */
export const checkedFilesSchema = z
  .array(
    z.object({
      outcome: z.string(),
      done: z.optional(fileDoneSchema),
      invocations: z.optional(count()),
    }),
  )
  .check(z.maxLength(MAX_JOB_INPUTS));

export type ValidationResult =
  /** `invocations`: how many task invocations the files' checks took in all. */
  { outcome: 'VALID' | 'INVALID'; invocations?: number } | { outcome: 'STOPPED' };

/** Time kept back for the checkpoint, the status write and the response before the Lambda's timeout. */
const SAFETY_MS = 60_000;

/**
 * When this invocation must stop validating: `SAFETY_MS` before the Lambda's end (half of what is left
 * when that is short), or sooner with VALIDATION_BUDGET_MS. Read per invocation, not memoised.
 */
export function validationDeadline(
  context?: { getRemainingTimeInMillis(): number },
  now = Date.now(),
): number {
  const remaining = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
  const margin = remaining > 2 * SAFETY_MS ? SAFETY_MS : remaining / 2;
  const budget = settings.validation().VALIDATION_BUDGET_MS ?? Number.POSITIVE_INFINITY;
  return now + Math.min(remaining - margin, budget);
}

/** The job as its branches see it: moved to VALIDATING by the first, or ended meanwhile (undefined). */
async function jobBeingValidated(ref: JobRef): Promise<JobRecord | undefined> {
  const job = await loadJob(ref);
  if (job.status === JobStatus.QUEUED) {
    try {
      return await jobRepository().transition(ref.owner, ref.jobId, JobStatus.VALIDATING, {
        from: [JobStatus.QUEUED],
      });
    } catch (error) {
      // Another branch moved it first (or a cancel won): act on where it is now.
      if (!(error instanceof JobTransitionConflict)) throw error;
      return jobBeingValidated(ref);
    }
  }
  return job.status === JobStatus.VALIDATING ? job : undefined;
}

/** One branch of the validation Map: the outcome of input `index`, or how to go on. */
export async function checkJobInput(
  ref: JobRef,
  index: number,
  previous?: z.infer<typeof previousFileCheckSchema>,
  deadline = Number.POSITIVE_INFINITY,
): Promise<FileCheckResult> {
  const job = await jobBeingValidated(ref);
  // Canceled, or a retried task after validation: nothing to do here.
  if (!job) return { outcome: 'STOPPED' };
  const input = job.inputs[index];
  if (!input) throw new Error(`Job ${ref.jobId} has no input ${index}`);
  const resumed =
    previous?.outcome === 'CONTINUE' || previous?.outcome === 'WAIT' ? previous.checkpoint : undefined;
  const checkpoint: FileCheckpoint = resumed
    ? { ...resumed, invocations: resumed.invocations + 1 }
    : { invocations: 1, waits: 0, decompressed: 0 };
  const started = Date.now();
  const recorded = checkpoint.cursor ? undefined : await recordedCheck(job, input);
  if (typeof recorded === 'object' && 'resume' in recorded && recorded.resume) {
    // This job was reading the file when its execution was lost: on from where its last pause got to.
    const { cursor, etag, invocations, decompressed } = recorded.resume;
    // `invocations` there counts reading invocations only: the waits of this execution start again.
    Object.assign(checkpoint, {
      cursor,
      etag,
      invocations: invocations + 1,
      waits: 0,
      decompressed: decompressed ?? 0,
    });
  }
  const waitForCheck = (): FileCheckResult => {
    const waitSeconds = Math.min(5 * 2 ** checkpoint.waits, 60);
    checkpoint.waits += 1;
    return { outcome: 'WAIT', checkpoint, waitSeconds };
  };
  if (recorded === 'CHECKING') return waitForCheck();
  if (recorded && 'read' in recorded && !(await claimReading(job, input, recorded.read))) {
    return waitForCheck();
  }
  // Every invocation reads something, so a tiny budget slows the job down but never stalls it.
  let progressed = false;
  const step: FileStep =
    recorded && 'done' in recorded
      ? { done: recorded.done }
      : await validateFile(job, input, checkpoint, () => {
          const pause = progressed && Date.now() >= deadline;
          progressed = true;
          return pause;
        });
  if (step.paused) {
    const paused = { ...checkpoint, ...step.paused };
    if (step.paused.etag) {
      // Kept on the upload too, so a validation started again after its execution was lost goes on from
      // here instead of reading the file anew (only while this job is still the file's reader).
      await uploadStore()
        .recordCheckProgress(
          job.owner,
          input.uploadId,
          {
            cursor: step.paused.cursor,
            etag: step.paused.etag,
            // Invocations that read (the upload's own check counts only those).
            invocations: paused.invocations - paused.waits,
            decompressed: step.paused.decompressed,
          },
          job.jobId,
        )
        .catch((error: unknown) => logger.warn('validation progress not recorded', { error: String(error) }));
    }
    logger.info('input validation continues in the next invocation', {
      file: index,
      of: job.inputs.length,
      line: step.paused.cursor.line ?? 0,
      compressedOffset: step.paused.cursor.block ?? 0,
      invocation: checkpoint.invocations,
      seconds: (Date.now() - started) / 1000,
    });
    return { outcome: 'CONTINUE', checkpoint: paused };
  }
  return { outcome: 'DONE', done: step.done, invocations: checkpoint.invocations };
}

/** After the Map: the job's own rules over every file's facts; the job moves to SUBMITTING or FAILED. */
export async function judgeJobInputs(
  ref: JobRef,
  checked: z.infer<typeof checkedFilesSchema>,
): Promise<ValidationResult> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (job.status !== JobStatus.VALIDATING) {
    return { outcome: job.status === JobStatus.SUBMITTING ? 'VALID' : 'STOPPED' };
  }
  // A branch that found the job ended (canceled meanwhile) leaves it to whoever ended it.
  if (checked.length !== job.inputs.length || checked.some((file) => !file.done))
    return { outcome: 'STOPPED' };
  const service = findService(job.serviceId);
  const rules: VcfRules = {
    build: job.build,
    sampleLimits: service?.sampleLimits ?? SAMPLE_LIMITS,
    phasing: job.phasing,
  };
  const invocations = checked.reduce((sum, file) => sum + (file.invocations ?? 1), 0);
  const files: JobInputFile[] = [];
  const problems: string[] = [];
  checked.forEach((file, index) => {
    const input = job.inputs[index]!;
    if (file.done?.problem) problems.push(file.done.problem);
    if (file.done?.facts)
      files.push({
        fileName: input.fileName,
        facts: file.done.facts,
        size: input.size,
        etag: file.done.etag,
      });
  });
  problems.push(...jobInputProblems(files, rules).map(describeInputProblem));
  if (problems.length > 0) {
    await jobs.transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: [JobStatus.VALIDATING],
      detail: 'input validation failed',
      set: { error: { code: 'INPUT_INVALID', message: problems.join('\n').slice(0, 8000) } },
    });
    recordMetric('ValidationFailures', job.serviceId);
    recordMetric('JobsFailed', job.serviceId);
    return { outcome: 'INVALID', invocations };
  }
  const facts = files.map((file) => file.facts);
  const inputChecks = summarizeChecks(facts);
  // The submission is the job's own execution's next step; should that execution be lost, the watch
  // falls due and the watcher looks (and starts the submission again).
  const now = new Date();
  await jobs.transition(ref.owner, ref.jobId, JobStatus.SUBMITTING, {
    watch: nextWatch(undefined, 'SUBMIT', after(now, EXECUTION_LOOK_SECONDS), now),
    serviceId: job.serviceId,
    from: [JobStatus.VALIDATING],
    detail: `${job.inputs.length} input file(s) valid: ${inputChecks.samples} samples, chromosome(s) ${inputChecks.chromosomes.join(', ')}, ${inputChecks.variants} variants${inputChecks.build ? `, ${inputChecks.build} by the files' own evidence` : ''}`,
    // Each object as validated: the submission sends these very objects or fails (submit-job.ts).
    set: {
      inputChecks,
      inputs: job.inputs.map((input, index) => withEtag(input, checked[index]?.done?.etag)),
    },
  });
  return { outcome: 'VALID', invocations };
}

const withEtag = (input: JobInput, etag: string | undefined): JobInput => (etag ? { ...input, etag } : input);

type FileStep =
  | { done: FileDone; paused?: undefined }
  | { paused: { cursor: FileCursor; etag?: string; decompressed: number } };

/**
 * Claims the reading of the file for this job (upload-store.ts `claimCheck`), so jobs created together
 * from one unchecked upload read it once: the others wait for this one's outcome. False: another job
 * claimed it first (wait for it); true also when the upload has no record to claim on (read it anyway).
 */
async function claimReading(
  job: JobRecord,
  input: JobInput,
  seen: UploadCheck | undefined,
): Promise<boolean> {
  const store = uploadStore();
  if (await store.claimCheck(job.owner, input.uploadId, job.jobId, seen, new Date())) return true;
  const upload = await store.get(job.owner, input.uploadId);
  // No record to claim on (or one no longer READY, whose file is gone too): read it, and find what is
  // there. Claimed by this job already: go on. Anything else (another job's claim, or an outcome
  // recorded meanwhile): wait, and the next invocation takes what is recorded then.
  if (upload?.status !== 'READY') return true;
  return upload.check?.status === 'CHECKING' && upload.check.reader === job.jobId;
}

/**
 * How long a job waits for an upload's own check before reading the file itself: ample for the check to
 * read it (it reads ~12 MB of compressed input a second; counted at 5), so only a check that died without
 * recording its outcome (its execution lost or never started) is overtaken.
 */
export function uploadCheckDeadline(startedAt: string, size: number): number {
  return Date.parse(startedAt) + 10 * 60_000 + (size / (5 * 1024 * 1024)) * 1000;
}

/**
 * The outcome of the upload's own check, when it holds for the object as stored now; `CHECKING` while it
 * runs; `read` when the file must be read here (never checked, check failed, object replaced), with the
 * check as it was seen (the claim is conditional on it); `resume` when this very job claimed the reading
 * (in an execution since lost), with where its last pause got to.
 */
async function recordedCheck(
  job: JobRecord,
  input: JobInput,
): Promise<
  | { done: FileDone }
  | 'CHECKING'
  | { read: UploadCheck | undefined }
  | { resume: UploadCheckProgress | undefined }
> {
  const check = (await uploadStore().get(job.owner, input.uploadId))?.check;
  if (!check || check.status === 'UNCHECKED') return { read: check };
  if (check.status === 'CHECKING' && check.reader === job.jobId) return { resume: check.progress };
  if (check.status === 'CHECKING') {
    // A check that never recorded an outcome (its execution was lost) is not waited for forever.
    return Date.now() < uploadCheckDeadline(check.startedAt, input.size) ? 'CHECKING' : { read: check };
  }
  const etag = await currentEtag(input);
  if (etag !== check.etag) return { read: check };
  if (check.status === 'VALID') return { done: { facts: check.facts, etag } };
  return { done: { problem: `${input.fileName}: ${formatProblem(check.problem)}`.slice(0, 2000), etag } };
}

async function currentEtag(input: JobInput): Promise<string | undefined> {
  try {
    const head = await s3Client().send(
      new HeadObjectCommand({ Bucket: uploadsEnv().INPUTS_BUCKET, Key: input.key }),
    );
    return head.ETag;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw error;
  }
}

async function validateFile(
  job: JobRecord,
  input: JobInput,
  checkpoint: FileCheckpoint,
  shouldPause: () => boolean,
): Promise<FileStep> {
  const limits = checkLimits();
  const before = checkpoint.decompressed ?? 0;
  const read = await checkStoredFile(
    { bucket: uploadsEnv().INPUTS_BUCKET, key: input.key, fileName: input.fileName },
    { cursor: checkpoint.cursor, etag: checkpoint.etag },
    pauseAtLimit(before, limits, shouldPause),
  );
  let step: Exclude<FileCheckStep, { kind: 'paused' }>;
  if (read.kind === 'paused') {
    const decompressed = before + read.decompressedBytes;
    // Invocations that read (a wait for the upload's own check reads nothing).
    const reads = checkpoint.invocations - checkpoint.waits;
    const problem = checkLimitProblem(reads, decompressed, limits);
    if (!problem) return { paused: { cursor: read.cursor, etag: read.etag, decompressed } };
    // Never resumed without end: the file is refused (and recorded so, for the next job).
    step = { kind: 'invalid', etag: read.etag, problem };
  } else {
    step = read;
  }
  if (step.kind === 'unreadable') return { done: { problem: `${input.fileName}: ${step.reason}` } };
  // Read here because the upload's own check did not settle it: record the outcome for the next job.
  const now = new Date().toISOString();
  const checked = { startedAt: now, checkedAt: now };
  await uploadStore()
    .recordCheck(
      job.owner,
      input.uploadId,
      step.kind === 'valid'
        ? { status: 'VALID', ...checked, etag: step.etag, facts: step.facts }
        : { status: 'INVALID', ...checked, etag: step.etag, problem: step.problem },
    )
    .catch((error: unknown) => logger.warn('upload check not recorded', { error: String(error) }));
  if (step.kind === 'valid') return { done: { facts: step.facts, etag: step.etag } };
  return {
    done: { problem: `${input.fileName}: ${formatProblem(step.problem)}`.slice(0, 2000), etag: step.etag },
  };
}
