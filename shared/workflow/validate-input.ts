/**
 * Workflow step 1: validate every input file whole, streamed from S3, before it costs a slot at the
 * service (which would reject an unsorted or mixed-chromosome file minutes to hours later). Each file is
 * read to its end or to its first problem; the job fails with one message per invalid file, naming the
 * line. Files of tens of GB outlast a Lambda, so the task works within a time budget and hands back a
 * small checkpoint (`CONTINUE`): the state machine calls it again and it resumes with a range GET from
 * the BGZF block where it stopped.
 */
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { s3Client } from '#shared/aws/clients';
import { findService } from '#shared/catalog/service-catalog';
import { type JobInput, type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { settings } from '#shared/settings';
import { uploadsEnv } from '#shared/uploads/uploads';
import { formatProblem, SAMPLE_LIMITS, type VcfRules } from '#shared/vcf/vcf-problems';
import { type FileCursor, fileCursorSchema, validateVcf } from '#shared/vcf/vcf-validator';
import { type JobRef, loadJob } from './job-context';
import { TransientError } from './task-errors';

/** A whole number from 0 up. */
const count = () => z.int().check(z.nonnegative());

const fileDoneSchema = z.object({
  chromosomes: z.array(z.string().check(z.maxLength(256))).check(z.maxLength(8)),
  samples: z.nullable(count()),
  records: count(),
  /** `<file name>: line N: why`, when the file is invalid. */
  problem: z.optional(z.string().check(z.maxLength(2000))),
});

export const validationCheckpointSchema = z.object({
  /** Index in the job's inputs of the file to validate next. */
  file: count(),
  /** Where that file resumes (BGZF virtual offset and the checks' state); absent: from its start. */
  cursor: z.optional(fileCursorSchema),
  /** The file's ETag when its validation started: a file replaced meanwhile is not resumed. */
  etag: z.optional(z.string().check(z.maxLength(200))),
  /** The files before `file`, in order. */
  done: z.array(fileDoneSchema).check(z.maxLength(100)),
  /** Invocations so far, for the logs. */
  invocations: count(),
});
export type ValidationCheckpoint = z.infer<typeof validationCheckpointSchema>;

export type ValidationResult =
  /** `invocations`: how many task invocations the validation took (more than one for large inputs). */
  | { outcome: 'VALID' | 'INVALID'; invocations?: number }
  | { outcome: 'STOPPED' }
  | { outcome: 'CONTINUE'; checkpoint: ValidationCheckpoint };

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

  const resumed = previous?.outcome === 'CONTINUE' ? previous.checkpoint : undefined;
  const checkpoint: ValidationCheckpoint = resumed
    ? { ...resumed, invocations: resumed.invocations + 1 }
    : { file: 0, done: [], invocations: 1 };
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
    const step = await validateFile(job, input, checkpoint, rules, shouldPause);
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

  const problems = checkpoint.done.flatMap((file) => (file.problem ? [file.problem] : []));
  if (problems.length > 0) {
    await jobs.transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: [JobStatus.VALIDATING],
      detail: 'input validation failed',
      set: { error: { code: 'INPUT_INVALID', message: problems.join('\n') } },
    });
    recordMetric('ValidationFailures', job.serviceId);
    recordMetric('JobsFailed', job.serviceId);
    return { outcome: 'INVALID', invocations: checkpoint.invocations };
  }
  const chromosomes = checkpoint.done.flatMap((file) => file.chromosomes);
  const records = checkpoint.done.reduce((sum, file) => sum + file.records, 0);
  await jobs.transition(ref.owner, ref.jobId, JobStatus.SUBMITTING, {
    from: [JobStatus.VALIDATING],
    detail: `${job.inputs.length} input file(s) valid: ${checkpoint.done[0]?.samples} samples, chromosome(s) ${chromosomes.join(', ')}, ${records} variants`,
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

type FileStep =
  | { done: z.infer<typeof fileDoneSchema>; paused?: undefined }
  | { paused: { cursor: FileCursor; etag?: string } };

async function validateFile(
  job: JobRecord,
  input: JobInput,
  checkpoint: ValidationCheckpoint,
  rules: VcfRules,
  shouldPause: () => boolean,
): Promise<FileStep> {
  const failed = (message: string): FileStep => ({
    done: { chromosomes: [], samples: null, records: 0, problem: `${input.fileName}: ${message}` },
  });
  const cursor = checkpoint.cursor;
  let object: GetObjectCommandOutput;
  try {
    object = await s3Client().send(
      new GetObjectCommand({
        Bucket: uploadsEnv().INPUTS_BUCKET,
        Key: input.key,
        // Resume at the block where the next line starts, and only if the file is the one begun.
        ...(cursor ? { Range: `bytes=${cursor.block}-` } : {}),
        ...(cursor && checkpoint.etag ? { IfMatch: checkpoint.etag } : {}),
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'NoSuchKey' || status === 404) return failed('the uploaded file is gone (uploads expire)');
    if (name === 'PreconditionFailed' || status === 412 || status === 416) {
      return failed(
        'the file was replaced while it was being validated: upload it again and create a new job',
      );
    }
    // Throttling, 5xx after the SDK's own retries: the state machine retries this invocation.
    throw new TransientError(`reading ${input.fileName} failed: ${(error as Error).message}`);
  }
  if (!object.Body) return failed('the uploaded file is gone (uploads expire)');

  const otherFiles = new Map<string, string>();
  checkpoint.done.forEach((file, index) => {
    for (const chromosome of file.chromosomes) otherFiles.set(chromosome, job.inputs[index]!.fileName);
  });
  const reference = checkpoint.done.findIndex((file) => file.samples !== null);
  const verdict = await validateVcf(object.Body as AsyncIterable<Uint8Array>, {
    rules,
    otherFiles,
    sameSamplesAs:
      reference === -1
        ? undefined
        : { count: checkpoint.done[reference]!.samples!, fileName: job.inputs[reference]!.fileName },
    resume: cursor,
    shouldPause,
  }).catch((error: unknown) => {
    // The stream broke before a whole block was read: retry the invocation (from the same checkpoint).
    if ((error as Error).name === 'SourceInterrupted') {
      throw new TransientError(`reading ${input.fileName} failed: ${(error as Error).message}`);
    }
    throw error;
  });
  if (verdict.status === 'paused') {
    // A stream that broke later is resumed from the last line start read, by the next invocation.
    if (verdict.interrupted)
      logger.warn('input stream interrupted', { file: input.fileName, error: verdict.interrupted });
    return { paused: { cursor: verdict.cursor, etag: checkpoint.etag ?? object.ETag } };
  }
  const { chromosomes, sampleCount, records } = verdict.summary;
  return {
    done: {
      chromosomes: chromosomes.slice(0, 8),
      samples: sampleCount,
      records,
      ...(verdict.status === 'invalid'
        ? { problem: `${input.fileName}: ${formatProblem(verdict.problem)}`.slice(0, 2000) }
        : {}),
    },
  };
}
