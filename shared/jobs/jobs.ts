/**
 * The job API's behaviour, owner-scoped throughout: every lookup goes through the caller's partition, so
 * another user's job id is simply "not found". Creation validates everything that can be known before
 * spending a slot at the service, writes the job, then starts its workflow named after the job id.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Caller } from '#shared/auth/caller';
import { startJobExecution, stopJobExecution } from '#shared/aws/executions';
import { getService, type ServiceDefinition } from '#shared/catalog/service-catalog';
import { callService, serviceClient } from '#shared/catalog/service-client';
import { getServiceOptions } from '#shared/catalog/service-options';
import { serviceSession } from '#shared/credentials/service-credentials';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '#shared/errors';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { type UploadRecord, uploadStore } from '#shared/uploads/upload-store';
import { getUpload, inputKey } from '#shared/uploads/uploads';
import { describeInputProblem, type JobInputProblem, jobInputProblems } from '#shared/vcf/job-input-rules';
import { SAMPLE_LIMITS } from '#shared/vcf/vcf-problems';
import { InvalidCursorError, type JobRecord, JobTransitionConflict, jobRepository } from './job-repository';
import { type CreateJobRequest, checkAgainstServiceOptions } from './job-request';
import { isTerminal, JobStatus, PRE_SUBMISSION_STATUSES, TERMINAL_STATUSES } from './job-status';
import { toJobSummary, toJobView } from './job-view';
import { resultPassword } from './result-password';
import { deleteResults, presignResultDownload } from './result-store';

export async function createJob(caller: Caller, request: CreateJobRequest, idempotencyKey?: string) {
  const jobs = jobRepository();
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  let jobId = ulid();
  if (idempotencyKey) {
    const binding = await jobs.claimIdempotencyKey(caller.sub, idempotencyKey, { jobId, requestHash });
    if (binding.requestHash !== requestHash) {
      throw new ConflictError(
        'This Idempotency-Key was already used for a different job request',
        'IDEMPOTENCY_KEY_REUSED',
      );
    }
    jobId = binding.jobId;
    const existing = await jobs.get(caller.sub, jobId);
    if (existing) return { job: await ensureStarted(existing), created: false };
  }

  const service = getService(request.serviceId);
  const { options } = await getServiceOptions(caller, service);
  const { refPanel, labels } = checkAgainstServiceOptions(request, options);
  const inputs = [];
  for (const uploadId of request.uploadIds) {
    const { upload, problem } = await getUpload(caller, uploadId);
    if (upload.status !== 'READY') {
      const reason =
        upload.status === 'ABORTED'
          ? 'was abandoned: announce and upload the file again'
          : 'has not been uploaded yet: PUT the file (or complete its multipart upload) first';
      throw new ConflictError(
        problem ?? `Upload ${uploadId} (${upload.fileName}) ${reason}`,
        'UPLOAD_NOT_READY',
      );
    }
    // The key is derived from our record and the caller, never taken from the request.
    inputs.push({
      uploadId,
      key: inputKey(caller.sub, uploadId, upload.fileName),
      fileName: upload.fileName,
      size: upload.size,
    });
  }

  refuseKnownInputProblems(
    service,
    request,
    await Promise.all(inputs.map((i) => uploadStore().get(caller.sub, i.uploadId))),
  );

  const now = new Date().toISOString();
  const job: JobRecord = {
    jobId,
    owner: caller.sub,
    name: request.name,
    serviceId: service.id,
    refPanel,
    build: request.build,
    phasing: request.phasing,
    population: request.population,
    mode: request.mode,
    r2Filter: request.r2Filter,
    labels,
    aesEncryption: request.aesEncryption,
    meta: request.meta,
    inputs,
    status: JobStatus.QUEUED,
    createdAt: now,
    updatedAt: now,
    statusChangedAt: now,
    events: [{ at: now, to: JobStatus.QUEUED, detail: `${inputs.length} input file(s)` }],
    idempotencyKey,
  };
  if (!(await jobs.create(job))) {
    const existing = await jobs.get(caller.sub, jobId);
    if (!existing) throw new Error(`Job ${jobId} vanished during creation`);
    return { job: await ensureStarted(existing), created: false };
  }
  logger.info('job created', { jobId, serviceId: service.id, inputs: inputs.length });
  recordMetric('JobsCreated', service.id);
  return { job: await ensureStarted(job), created: true };
}

/**
 * When every upload's own check has settled, what the job would find in VALIDATING is known now: refuse
 * the job at once (422) instead of accepting it to fail. Files still being checked are judged by the job.
 */
function refuseKnownInputProblems(
  service: ServiceDefinition,
  request: CreateJobRequest,
  uploads: readonly (UploadRecord | undefined)[],
) {
  const settled = uploads.flatMap((upload) =>
    upload?.check?.status === 'VALID' || upload?.check?.status === 'INVALID'
      ? [{ upload, check: upload.check }]
      : [],
  );
  if (settled.length !== uploads.length) return;
  const problems: JobInputProblem[] = settled.flatMap(({ upload, check }) =>
    check.status === 'INVALID' ? [{ fileName: upload.fileName, problem: check.problem }] : [],
  );
  const files = settled.flatMap(({ upload, check }) =>
    check.status === 'VALID'
      ? [{ fileName: upload.fileName, facts: check.facts, size: upload.size, etag: check.etag }]
      : [],
  );
  const rules = {
    build: request.build,
    sampleLimits: service.sampleLimits ?? SAMPLE_LIMITS,
    phasing: request.phasing,
  };
  problems.push(...jobInputProblems(files, rules));
  if (problems.length === 0) return;
  recordMetric('ValidationFailures', service.id);
  throw new UnprocessableError('INPUT_INVALID', problems.map(describeInputProblem).join('\n'), {
    problems: problems.map(({ fileName, problem }) => ({ fileName, ...problem })),
  });
}

/** Starts the workflow unless it is known to run; safe to repeat (the execution name is the job id). */
async function ensureStarted(job: JobRecord) {
  if (job.executionArn || job.status !== JobStatus.QUEUED) return toJobView(job);
  const executionArn = await startJobExecution({ jobId: job.jobId, owner: job.owner });
  await jobRepository().update(job.owner, job.jobId, { executionArn }, [JobStatus.QUEUED]);
  return toJobView({ ...job, executionArn });
}

export async function requireJob(caller: Caller, jobId: string): Promise<JobRecord> {
  const job = await jobRepository().get(caller.sub, jobId);
  if (!job) throw new NotFoundError(`Job ${jobId} not found`, 'JOB_NOT_FOUND');
  return job;
}

export async function listJobs(
  caller: Caller,
  query: { limit: number; cursor?: string; status?: JobStatus },
) {
  try {
    const page = await jobRepository().list(caller.sub, query);
    return { jobs: page.jobs.map((job) => toJobSummary(job)), nextCursor: page.nextCursor };
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new ValidationError(error.message, [{ in: 'query', path: 'cursor', message: error.message }]);
    }
    throw error;
  }
}

/**
 * Before anything can exist at the service, cancelling stops our own workflow at once. While an upload
 * may be on its way (a submission attempt is marked on the job) the service may accept the job any
 * moment: then the cancel is only requested, and the workflow settles it — it finds the service-side job
 * by its marker and cancels it there, or records CANCELED once it is sure none exists. After submission
 * the service is asked to cancel and the poll loop records CANCELED once the service confirms.
 */
export async function cancelJob(caller: Caller, jobId: string) {
  const jobs = jobRepository();
  const job = await requireJob(caller, jobId);
  if (job.status === JobStatus.CANCEL_REQUESTED) return toJobView(job);
  if (isTerminal(job.status) || job.status === JobStatus.COPYING_RESULTS) {
    throw new ConflictError(`Job ${jobId} has already finished (${job.status})`, 'JOB_FINISHED');
  }
  try {
    if (PRE_SUBMISSION_STATUSES.has(job.status) && !job.externalJobId && !job.submissionAttemptAt) {
      try {
        // The condition is the race's referee: a submit task marks its attempt with a conditional write
        // too, so exactly one of the two wins.
        const canceled = await jobs.transition(caller.sub, jobId, JobStatus.CANCELED, {
          from: [...PRE_SUBMISSION_STATUSES],
          requireAbsent: ['submissionAttemptAt', 'externalJobId'],
          detail: 'canceled by the owner before submission',
        });
        if (job.executionArn) await stopJobExecution(job.executionArn, 'canceled by the owner');
        return toJobView(canceled);
      } catch (error) {
        if (!(error instanceof JobTransitionConflict)) throw error;
        // A submission started meanwhile: fall through to a requested cancel.
      }
    }
    const requested = await jobs.transition(caller.sub, jobId, JobStatus.CANCEL_REQUESTED, {
      detail: job.externalJobId
        ? 'cancel requested by the owner'
        : 'cancel requested by the owner while the submission was under way',
    });
    await requestRemoteCancel(caller, requested).catch((error: unknown) =>
      logger.warn('remote cancel deferred to the workflow', { jobId, error: String(error) }),
    );
    return toJobView(requested);
  } catch (error) {
    if (error instanceof JobTransitionConflict) {
      // The job moved meanwhile (e.g. it was just submitted): answer with its current state.
      const current = await requireJob(caller, jobId);
      if (current.status === JobStatus.CANCEL_REQUESTED || current.status === JobStatus.CANCELED) {
        return toJobView(current);
      }
      throw new ConflictError(`Job ${jobId} changed state while cancelling; try again`, 'JOB_STATE_CHANGED');
    }
    throw error;
  }
}

async function requestRemoteCancel(caller: Caller, job: JobRecord) {
  if (!job.externalJobId) return;
  const service = getService(job.serviceId);
  const session = await serviceSession(caller, service);
  await callService(service, () => serviceClient(service, session).cancelJob(job.externalJobId as string));
}

/**
 * The copied result files of a finished job — succeeded, failed, canceled or expired alike: whatever was
 * copied is downloadable — each with its size and sha256, plus the files that could not be copied and why.
 */
export async function jobResults(caller: Caller, jobId: string) {
  const job = await requireJob(caller, jobId);
  if (!isTerminal(job.status)) {
    throw new ConflictError(
      `Job ${jobId} is still ${job.status}: its results are listed once it has finished`,
      'RESULTS_NOT_READY',
    );
  }
  const files = await Promise.all(
    (job.results ?? []).map(async (file) => ({
      name: file.name,
      outcome: 'COPIED' as const,
      size: file.size,
      sha256: file.sha256,
      ...(await presignResultDownload(file.key, file.name)),
    })),
  );
  return {
    jobId,
    status: job.status,
    files,
    missing: (job.missingResults ?? []).map(({ name, code, reason }) => ({
      name,
      outcome: 'MISSING' as const,
      code,
      reason,
    })),
    warnings: job.warnings ?? [],
  };
}

export async function jobPassword(caller: Caller, jobId: string) {
  const job = await requireJob(caller, jobId);
  return { jobId, password: await resultPassword(job.owner, job.jobId) };
}

export async function deleteJob(caller: Caller, jobId: string) {
  const job = await requireJob(caller, jobId);
  if (!TERMINAL_STATUSES.has(job.status)) {
    throw new ConflictError(`Job ${jobId} is still active (${job.status}): cancel it first`, 'JOB_ACTIVE');
  }
  const deletedFiles = await deleteResults(caller.sub, jobId);
  if (!(await jobRepository().delete(caller.sub, jobId, [...TERMINAL_STATUSES]))) {
    throw new NotFoundError(`Job ${jobId} not found`, 'JOB_NOT_FOUND');
  }
  logger.info('job deleted', { jobId, deletedFiles });
}
