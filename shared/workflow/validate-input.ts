/**
 * Workflow step 1: every input file valid, and all of them fit for this job, before a slot at the service
 * is spent (the service would reject an unsorted or mixed-chromosome file minutes to hours later). A file
 * is normally checked once, when its upload completed (upload-check.ts): its recorded facts are reused
 * here when the stored object is still the one checked, and a job whose files are still being checked
 * waits for them (`WAIT`). A file that was not checked (the check could not run, or the object changed)
 * is read here, whole and streamed, within a time budget, pausing with a small checkpoint (`CONTINUE`)
 * from which the next invocation resumes with a range GET. The job's own rules (sample limits, build,
 * phasing, the files together) are then judged from the facts alone (job-input-rules.ts); the job fails
 * with one line per problem, each naming its file, its line and the fix for its cause.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { s3Client } from '#shared/aws/clients';
import { findService } from '#shared/catalog/service-catalog';
import { type JobInput, type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { MAX_JOB_INPUTS } from '#shared/jobs/job-request';
import { JobStatus } from '#shared/jobs/job-status';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { settings } from '#shared/settings';
import { uploadStore } from '#shared/uploads/upload-store';
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
import { checkStoredFile } from './file-check';
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

export const validationCheckpointSchema = z.object({
  /** Index in the job's inputs of the file to validate next. */
  file: count(),
  /** Where that file resumes (BGZF virtual offset and the checks' state); absent: from its start. */
  cursor: z.optional(fileCursorSchema),
  /** The file's ETag when its validation started: a file replaced meanwhile is not resumed. */
  etag: z.optional(z.string().check(z.maxLength(200))),
  /** The files before `file`, in order. */
  done: z.array(fileDoneSchema).check(z.maxLength(MAX_JOB_INPUTS)),
  /** Invocations so far, for the logs. */
  invocations: count(),
  /** Waits so far for uploads still being checked (each wait is longer, up to a minute). */
  waits: z._default(count(), 0),
});
export type ValidationCheckpoint = z.infer<typeof validationCheckpointSchema>;

export type ValidationResult =
  /** `invocations`: how many task invocations the validation took (more than one for large inputs). */
  | { outcome: 'VALID' | 'INVALID'; invocations?: number }
  | { outcome: 'STOPPED' }
  | { outcome: 'CONTINUE'; checkpoint: ValidationCheckpoint }
  /** An upload of the job is still being checked: ask again after `waitSeconds`. */
  | { outcome: 'WAIT'; checkpoint: ValidationCheckpoint; waitSeconds: number };

/** What the previous invocation returned (the state machine passes it back). */
export const previousValidationSchema = z.object({
  outcome: z.string(),
  checkpoint: z.optional(validationCheckpointSchema),
});

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

export async function validateJobInput(
  ref: JobRef,
  previous?: z.infer<typeof previousValidationSchema>,
  deadline = Number.POSITIVE_INFINITY,
): Promise<ValidationResult> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (job.status === JobStatus.QUEUED) {
    await jobs.transition(ref.owner, ref.jobId, JobStatus.VALIDATING, { from: [JobStatus.QUEUED] });
  } else if (job.status !== JobStatus.VALIDATING) {
    // Canceled before we started, or a retried task after validation: nothing to do here.
    return { outcome: job.status === JobStatus.SUBMITTING ? 'VALID' : 'STOPPED' };
  }

  const resumed =
    previous?.outcome === 'CONTINUE' || previous?.outcome === 'WAIT' ? previous.checkpoint : undefined;
  const checkpoint: ValidationCheckpoint = resumed
    ? { ...resumed, invocations: resumed.invocations + 1 }
    : { file: 0, done: [], invocations: 1, waits: 0 };
  const service = findService(job.serviceId);
  const rules: VcfRules = {
    build: job.build,
    sampleLimits: service?.sampleLimits ?? SAMPLE_LIMITS,
    phasing: job.phasing,
  };
  const started = Date.now();
  let progressed = false;
  const shouldPause = () => Date.now() >= deadline;

  while (checkpoint.file < job.inputs.length) {
    // Every invocation validates something, so a tiny budget slows the job down but never stalls it.
    if (progressed && shouldPause()) return pause(checkpoint, started, job);
    const input = job.inputs[checkpoint.file]!;
    const recorded = checkpoint.cursor ? undefined : await recordedCheck(job.owner, input);
    if (recorded === 'CHECKING') {
      const waitSeconds = Math.min(5 * 2 ** checkpoint.waits, 60);
      checkpoint.waits += 1;
      return { outcome: 'WAIT', checkpoint, waitSeconds };
    }
    const step = recorded ?? (await validateFile(job, input, checkpoint, shouldPause));
    progressed = true;
    if (step.paused) {
      checkpoint.cursor = step.paused.cursor;
      checkpoint.etag = step.paused.etag;
      return pause(checkpoint, started, job);
    }
    checkpoint.done.push(step.done);
    checkpoint.file += 1;
    checkpoint.cursor = undefined;
    checkpoint.etag = undefined;
  }

  const files: JobInputFile[] = [];
  const problems: string[] = [];
  checkpoint.done.forEach((file, index) => {
    const input = job.inputs[index]!;
    if (file.problem) problems.push(file.problem);
    if (file.facts)
      files.push({ fileName: input.fileName, facts: file.facts, size: input.size, etag: file.etag });
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
    return { outcome: 'INVALID', invocations: checkpoint.invocations };
  }
  const facts = files.map((file) => file.facts);
  const inputChecks = summarizeChecks(facts);
  await jobs.transition(ref.owner, ref.jobId, JobStatus.SUBMITTING, {
    from: [JobStatus.VALIDATING],
    detail: `${job.inputs.length} input file(s) valid: ${inputChecks.samples} samples, chromosome(s) ${inputChecks.chromosomes.join(', ')}, ${inputChecks.variants} variants${inputChecks.build ? `, ${inputChecks.build} by the files' own evidence` : ''}`,
    set: { inputChecks },
  });
  return { outcome: 'VALID', invocations: checkpoint.invocations };
}

function pause(checkpoint: ValidationCheckpoint, started: number, job: JobRecord): ValidationResult {
  logger.info('input validation continues in the next invocation', {
    file: checkpoint.file,
    of: job.inputs.length,
    line: checkpoint.cursor?.line ?? 0,
    compressedOffset: checkpoint.cursor?.block ?? 0,
    invocation: checkpoint.invocations,
    seconds: (Date.now() - started) / 1000,
  });
  return { outcome: 'CONTINUE', checkpoint };
}

type FileStep = { done: FileDone; paused?: undefined } | { paused: { cursor: FileCursor; etag?: string } };

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
 * runs; undefined when the file must be read here (never checked, check failed, object replaced).
 */
async function recordedCheck(owner: string, input: JobInput): Promise<FileStep | 'CHECKING' | undefined> {
  const check = (await uploadStore().get(owner, input.uploadId))?.check;
  if (!check || check.status === 'UNCHECKED') return undefined;
  if (check.status === 'CHECKING') {
    // A check that never recorded an outcome (its execution was lost) is not waited for forever.
    return Date.now() < uploadCheckDeadline(check.startedAt, input.size) ? 'CHECKING' : undefined;
  }
  const etag = await currentEtag(input);
  if (etag !== check.etag) return undefined;
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
  checkpoint: ValidationCheckpoint,
  shouldPause: () => boolean,
): Promise<FileStep> {
  const step = await checkStoredFile(
    { bucket: uploadsEnv().INPUTS_BUCKET, key: input.key, fileName: input.fileName },
    { cursor: checkpoint.cursor, etag: checkpoint.etag },
    shouldPause,
  );
  if (step.kind === 'paused') return { paused: { cursor: step.cursor, etag: step.etag } };
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
