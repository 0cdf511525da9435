/**
 * The job API's behaviour, owner-scoped throughout: every lookup goes through the caller's partition, so
 * another user's job id is simply "not found". Creation validates everything that can be known before
 * spending a slot at the service, writes the job, then starts its workflow named after the job id.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Caller } from '#shared/auth/caller';
import { s3Client } from '#shared/aws/clients';
import { executionArnFor, startJobExecution, stopJobExecution } from '#shared/aws/executions';
import { panelKeyOf } from '#shared/catalog/panels';
import { getService, type ServiceDefinition } from '#shared/catalog/service-catalog';
import { callService, serviceClient } from '#shared/catalog/service-client';
import { getServiceOptions } from '#shared/catalog/service-options';
import { serviceSession } from '#shared/credentials/service-credentials';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '#shared/errors';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { quotaLimits, releaseQuietly, userQuotas } from '#shared/quotas/user-quotas';
import { holdUploads } from '#shared/uploads/input-retention';
import { type UploadRecord, uploadStore } from '#shared/uploads/upload-store';
import { getUpload, inputKey } from '#shared/uploads/uploads';
import { describeInputProblem, type JobInputProblem, jobInputProblems } from '#shared/vcf/job-input-rules';
import { SAMPLE_LIMITS } from '#shared/vcf/vcf-problems';
import { after } from '#shared/workflow/backoff';
import { linkResubmission } from './job-links';
import type { JobInput, JobLabels, JobRouting } from './job-record';
import { InvalidCursorError, type JobRecord, JobTransitionConflict, jobRepository } from './job-repository';
import { type CreateJobRequest, checkAgainstServiceOptions, type ResubmitJobRequest } from './job-request';
import { isTerminal, JobStatus, PRE_SUBMISSION_STATUSES, TERMINAL_STATUSES } from './job-status';
import { toJobSummary, toJobView } from './job-view';
import { EXECUTION_LOOK_SECONDS, nextWatch } from './job-watch';
import { offeredPanel, routeByPanel } from './panel-routing';
import { isParentJob, type ParentJobRecord } from './parent-job-record';
import { parentJobSummary } from './parent-job-view';
import { passwordKeyVersionOf, resultPassword } from './result-password';
import { deleteResults, presignResultDownload } from './result-store';

/** Where a job comes from when it is not a plain POST /jobs (a resubmission). */
export interface JobOrigin {
  resubmittedFrom: string;
  /** What the Idempotency-Key binds: the client's own request, not the one derived from the old job. */
  fingerprint: unknown;
}

export async function createJob(
  caller: Caller,
  request: CreateJobRequest,
  idempotencyKey?: string,
  origin?: JobOrigin,
) {
  const jobs = jobRepository();
  const requestHash = createHash('sha256')
    .update(JSON.stringify(origin ? origin.fingerprint : request))
    .digest('hex');
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
  // Refused before anything costs (services asked, inputs tagged); the unit is taken when it is written.
  await userQuotas().assertJobRoom(caller.sub, 1, quotaLimits().activeJobs);
  const prepared = await prepareJob(caller, request);
  return insertJob(caller, jobId, request, prepared, { idempotencyKey, origin });
}

/** What creating a job has checked and found out before anything is written (prepareJob). */
export interface PreparedJob {
  service: ServiceDefinition;
  routing: JobRouting | undefined;
  refPanel: string;
  labels: JobLabels;
  inputs: JobInput[];
}

/**
 * Everything POST /jobs checks before writing a job: the service (or the one routing picks for the
 * panel), the options against what it offers, the uploads READY and not known to be unfit; and holds the
 * inputs for the job. Throws the refusal; writes no job.
 */
export async function prepareJob(
  caller: Caller,
  request: Omit<CreateJobRequest, 'targets'>,
): Promise<PreparedJob> {
  const target = request.panel
    ? await routeByPanel(caller, { ...request, panel: request.panel })
    : { service: getService(request.serviceId!), refPanel: request.refPanel!, routing: undefined };
  const { service, routing } = target;
  const { options } = await getServiceOptions(caller, service);
  const { refPanel, labels } = checkAgainstServiceOptions({ ...request, refPanel: target.refPanel }, options);
  const inputs: JobInput[] = [];
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

  const uploads = await Promise.all(inputs.map((i) => uploadStore().get(caller.sub, i.uploadId)));
  refuseKnownInputProblems(service, request, uploads);
  // Kept for as long as this job, or one resubmitting it, may still need them (input-retention.ts).
  await holdUploads(
    uploads.filter((upload) => upload !== undefined),
    { store: uploadStore(), s3: s3Client(), now: () => new Date() },
  );
  return { service, routing, refPanel, labels, inputs };
}

/**
 * Writes a prepared job under `jobId` (a conditional create: a job already there is answered instead)
 * and starts its workflow.
 */
export async function insertJob(
  caller: Caller,
  jobId: string,
  request: Omit<CreateJobRequest, 'targets'>,
  prepared: PreparedJob,
  extras: { idempotencyKey?: string; origin?: JobOrigin; parentId?: string } = {},
) {
  const jobs = jobRepository();
  const { service, routing, refPanel, labels, inputs } = prepared;
  const { idempotencyKey, origin, parentId } = extras;
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
    events: [
      { at: now, to: JobStatus.QUEUED, detail: queuedDetail(inputs.length, routing, origin, parentId) },
    ],
    idempotencyKey,
    // Its own execution validates it; should that execution be lost (or never start), the watcher
    // starts it again. Named before it is started (ensureStarted).
    executionArn: executionArnFor(jobId),
    watch: nextWatch(undefined, 'VALIDATE', after(new Date(now), EXECUTION_LOOK_SECONDS), new Date(now)),
    ...(routing ? { routing } : {}),
    ...(origin ? { resubmittedFrom: origin.resubmittedFrom } : {}),
    ...(parentId ? { parentId } : {}),
  };
  // One of the owner's active jobs from now until it ends (user-quotas.ts): taken before the job exists,
  // so no job runs uncounted; a unit whose job was never written is released by reconciliation.
  const quotas = userQuotas();
  await quotas.acquireJob(caller.sub, jobId, quotaLimits().activeJobs);
  let inserted: boolean;
  try {
    inserted = await jobs.create(job);
  } catch (error) {
    await releaseQuietly(jobId, () => quotas.releaseJob(caller.sub, jobId));
    throw error;
  }
  if (!inserted) {
    const existing = await jobs.get(caller.sub, jobId);
    if (!existing) throw new Error(`Job ${jobId} vanished during creation`);
    if (isTerminal(existing.status)) await releaseQuietly(jobId, () => quotas.releaseJob(caller.sub, jobId));
    return { job: await ensureStarted(existing), created: false };
  }
  logger.info('job created', {
    jobId,
    serviceId: service.id,
    inputs: inputs.length,
    ...(routing ? { routedBy: routing.panel } : {}),
    ...(origin ? { resubmittedFrom: origin.resubmittedFrom } : {}),
    ...(parentId ? { parentId } : {}),
  });
  recordMetric('JobsCreated', service.id);
  return { job: await ensureStarted(job), created: true };
}

function queuedDetail(
  inputs: number,
  routing: JobRouting | undefined,
  origin: JobOrigin | undefined,
  parentId?: string,
) {
  const parts = [`${inputs} input file(s)`];
  if (parentId) parts.push(`one of the jobs of parent job ${parentId}`);
  if (origin) parts.push(`resubmits job ${origin.resubmittedFrom}`);
  if (routing) parts.push(`service chosen for the panel ${routing.panel}: ${routing.chosen}`);
  return parts.join('; ');
}

/**
 * When every upload's own check has settled, what the job would find in VALIDATING is known now: refuse
 * the job at once (422) instead of accepting it to fail. Files still being checked are judged by the job.
 */
function refuseKnownInputProblems(
  service: ServiceDefinition,
  request: Pick<CreateJobRequest, 'build' | 'phasing'>,
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
/**
 * Starts a QUEUED job's first execution (named by the job: starting it again is a no-op), which the job
 * names from its creation on (`insertJob`), so the watcher's look finds the execution that drives it
 * even when the request died right after starting it. A job the watcher already drives with another
 * execution (its first never started) is left to that one.
 */
export async function ensureStarted(job: JobRecord) {
  const first = executionArnFor(job.jobId);
  if (job.status !== JobStatus.QUEUED || (job.executionArn && job.executionArn !== first)) {
    return toJobView(job);
  }
  const executionArn = await startJobExecution({
    jobId: job.jobId,
    owner: job.owner,
    inputs: job.inputs.length,
  });
  if (executionArn !== job.executionArn) {
    await jobRepository().update(job.owner, job.jobId, { executionArn }, [JobStatus.QUEUED]);
  }
  return toJobView({ ...job, executionArn });
}

export async function requireJob(caller: Caller, jobId: string): Promise<JobRecord> {
  const job = await jobRepository().get(caller.sub, jobId);
  if (!job) throw new NotFoundError(`Job ${jobId} not found`, 'JOB_NOT_FOUND');
  if (isParentJob(job)) {
    throw new ConflictError(
      `Job ${jobId} is a parent job: it has no results, password or resubmission of its own; ask its children`,
      'JOB_IS_PARENT',
    );
  }
  return job;
}

export async function listJobs(
  caller: Caller,
  query: { limit: number; cursor?: string; status?: JobStatus },
) {
  try {
    const page = await jobRepository().list(caller.sub, query);
    // Without a status, children are listed under their parent only; parents (whose status is derived)
    // are not in the status index, so a status lists the jobs in it, children included.
    const items: (JobRecord | ParentJobRecord)[] = query.status
      ? page.jobs
      : page.jobs.filter((job) => isParentJob(job) || !job.parentId);
    const jobs = await Promise.all(
      items.map((item) => (isParentJob(item) ? parentJobSummary(item) : toJobSummary(item))),
    );
    return { jobs, nextCursor: page.nextCursor };
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
 * the service is asked to cancel and the watcher records CANCELED once the service confirms.
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
    const now = new Date();
    const requested = await jobs.transition(caller.sub, jobId, JobStatus.CANCEL_REQUESTED, {
      detail: job.externalJobId
        ? 'cancel requested by the owner'
        : 'cancel requested by the owner while the submission was under way',
      // Submitted: the watcher's next run asks the service (again) and records the outcome. Not yet: the
      // submit task settles it (the one under way, or one the watcher starts for a job that was waiting
      // for a slot, the service or a token after an attempt that may have reached the service).
      watch: nextWatch(job.watch, job.externalJobId ? 'POLL' : 'SUBMIT', now, now),
      serviceId: job.serviceId,
    });
    await requestRemoteCancel(caller, requested).catch((error: unknown) =>
      logger.warn('remote cancel deferred to the watcher', { jobId, error: String(error) }),
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
  return { jobId, password: await resultPassword(job.owner, job.jobId, await passwordKeyVersionOf(job)) };
}

export async function deleteJob(caller: Caller, jobId: string, options: { withParent?: boolean } = {}) {
  const job = await requireJob(caller, jobId);
  if (job.parentId && !options.withParent) {
    throw new ConflictError(
      `Job ${jobId} is one of the jobs of parent job ${job.parentId}: delete the parent job, which deletes all of them`,
      'CONFLICT',
    );
  }
  if (!TERMINAL_STATUSES.has(job.status)) {
    throw new ConflictError(`Job ${jobId} is still active (${job.status}): cancel it first`, 'JOB_ACTIVE');
  }
  const deletedFiles = await deleteResults(caller.sub, jobId);
  if (!(await jobRepository().delete(caller.sub, jobId, [...TERMINAL_STATUSES]))) {
    throw new NotFoundError(`Job ${jobId} not found`, 'JOB_NOT_FOUND');
  }
  logger.info('job deleted', { jobId, deletedFiles });
}

/**
 * POST /jobs/{jobId}/resubmit: a new job from the old one's inputs (the same uploads) and options, at the
 * same service, at another service with its own panel of the same panel key (`serviceId`), or at the
 * service the gateway picks for that panel (`panel`). The new job records `resubmittedFrom`; the old one
 * lists it in `resubmittedAs`.
 *
 * Allowed once the old job has ended, whatever the end: FAILED, CANCELED and EXPIRED, and SUCCEEDED too
 * (the same data imputed again, e.g. at another service's equivalent panel to compare). Never while it is
 * active (409 JOB_ACTIVE: it may still deliver; cancel it first). An Idempotency-Key binds the client's
 * request to the new job as for POST /jobs (the same key space: a key used for another request is 409).
 */
export async function resubmitJob(
  caller: Caller,
  jobId: string,
  body: ResubmitJobRequest,
  idempotencyKey?: string,
) {
  const old = await requireJob(caller, jobId);
  if (!TERMINAL_STATUSES.has(old.status)) {
    throw new ConflictError(
      `Job ${jobId} is still ${old.status}: it can be resubmitted once it has ended (cancel it first)`,
      'JOB_ACTIVE',
    );
  }
  const origin: JobOrigin = { resubmittedFrom: old.jobId, fingerprint: { resubmit: old.jobId, ...body } };
  if (idempotencyKey) {
    // A retry answers the job the first request created before anything is asked of a service again.
    const requestHash = createHash('sha256').update(JSON.stringify(origin.fingerprint)).digest('hex');
    const binding = await jobRepository().claimIdempotencyKey(caller.sub, idempotencyKey, {
      jobId: ulid(),
      requestHash,
    });
    if (binding.requestHash !== requestHash) {
      throw new ConflictError(
        'This Idempotency-Key was already used for a different job request',
        'IDEMPOTENCY_KEY_REUSED',
      );
    }
    const existing = binding.claimed ? undefined : await jobRepository().get(caller.sub, binding.jobId);
    if (existing?.resubmittedFrom === old.jobId) {
      await linkResubmission(caller.sub, old.jobId, existing.jobId);
      return { job: await ensureStarted(existing), created: false };
    }
  }
  const panel = panelKeyOf(old.refPanel);
  if (body.panel !== undefined && panelKeyOf(body.panel) !== panel) {
    const message = `A resubmission keeps the job's panel ("${panel}"); create a new job for another panel`;
    throw new ValidationError(message, [{ in: 'body', path: 'panel', message }]);
  }
  const target = body.panel !== undefined ? { panel } : await resubmissionTarget(caller, old, body.serviceId);
  const request: CreateJobRequest = {
    name: body.name ?? old.name,
    ...target,
    build: old.build,
    phasing: old.phasing,
    population: body.population ?? old.population,
    mode: old.mode,
    r2Filter: old.r2Filter,
    uploadIds: old.inputs.map((input) => input.uploadId),
    aesEncryption: old.aesEncryption ?? false,
    meta: old.meta ?? false,
  };
  let created: Awaited<ReturnType<typeof createJob>>;
  try {
    created = await createJob(caller, request, idempotencyKey, origin);
  } catch (error) {
    if (error instanceof NotFoundError && error.code === 'UPLOAD_NOT_FOUND') {
      throw new ConflictError(
        `An input of job ${jobId} is no longer kept (${error.message}): upload the file again and create a new job`,
        'UPLOAD_EXPIRED',
      );
    }
    throw error;
  }
  await linkResubmission(caller.sub, old.jobId, created.job.jobId);
  logger.info('job resubmitted', {
    jobId: old.jobId,
    as: created.job.jobId,
    serviceId: created.job.serviceId,
  });
  return created;
}

/** The old job's service and panel, or `serviceId` with its own panel of the old job's panel key. */
async function resubmissionTarget(caller: Caller, old: JobRecord, serviceId: string | undefined) {
  if (serviceId === undefined || serviceId === old.serviceId) {
    return { serviceId: old.serviceId, refPanel: old.refPanel };
  }
  const service = getService(serviceId);
  const panel = panelKeyOf(old.refPanel);
  const { options } = await getServiceOptions(caller, service);
  const offered = offeredPanel(options, panel);
  if (!offered) {
    const detail = `${service.name} does not offer the panel "${panel}" to you`;
    throw new ConflictError(`No equivalent panel at ${service.name}: ${detail}`, 'NO_SERVICE_FOR_PANEL', {
      panel,
      considered: [{ serviceId: service.id, verdict: 'PANEL_NOT_OFFERED', detail }],
    });
  }
  return { serviceId: service.id, refPanel: offered.id };
}
