/**
 * Jobs run at several targets (POST /jobs with `targets`): a parent job and one child per target, sharing
 * the uploads and options. Every target is checked before anything is written (a refusal names the target:
 * `targets[i]: …`, and its validation issues' paths start `targets.i.`). Then the parent is written with
 * its planned children (ULIDs chosen up front), then each child as POST /jobs writes a job (a conditional
 * create) and starts its workflow: a crash between children leaves a parent that knows them all, and a retry
 * with the same Idempotency-Key creates those still missing. Cancel and delete of a parent act on every
 * child by the single-job logic.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Caller } from '#shared/auth/caller';
import { AppError, ConflictError, NotFoundError, ValidationError } from '#shared/errors';
import { logger } from '#shared/logger';
import { quotaLimits, userQuotas } from '#shared/quotas/user-quotas';
import { jobRepository } from './job-repository';
import type { CreateJobRequest, JobTarget } from './job-request';
import { isTerminal, type JobStatus } from './job-status';
import { toJobView } from './job-view';
import { cancelJob, deleteJob, ensureStarted, insertJob, type PreparedJob, prepareJob } from './jobs';
import { isParentJob, type ParentJobRecord, type PlannedChild } from './parent-job-record';
import { parentJobView, readChildren } from './parent-job-view';

type SharedRequest = Omit<CreateJobRequest, 'targets' | 'serviceId' | 'refPanel' | 'panel'>;

/** A child's own request: the shared fields with the target's service, panel and population. */
function childRequest(shared: SharedRequest, target: JobTarget, index: number, count: number) {
  const { serviceId, refPanel, panel, population } = target;
  return {
    ...shared,
    name: `${shared.name} (${index + 1}/${count})`,
    population: population ?? shared.population,
    ...(panel !== undefined ? { panel } : { serviceId, refPanel }),
  };
}

/** A refusal of one target, saying which. */
function targetError(index: number, error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const message = `targets[${index}]: ${error.message}`;
  if (error instanceof ValidationError && Array.isArray(error.details)) {
    return new ValidationError(
      message,
      error.details.map((issue: { path?: string }) => ({
        ...issue,
        path: issue.path ? `targets.${index}.${issue.path}` : `targets.${index}`,
      })),
    );
  }
  const details =
    error.details && typeof error.details === 'object' && !Array.isArray(error.details)
      ? { target: index, ...error.details }
      : { target: index, ...(error.details === undefined ? {} : { detail: error.details }) };
  return new AppError(error.code, message, details);
}

export async function createParentJob(caller: Caller, request: CreateJobRequest, idempotencyKey?: string) {
  const jobs = jobRepository();
  const { targets, serviceId: _s, refPanel: _r, panel: _p, ...shared } = request;
  if (!targets) throw new Error('createParentJob needs targets');
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  let parentId = ulid();
  if (idempotencyKey) {
    const binding = await jobs.claimIdempotencyKey(caller.sub, idempotencyKey, {
      jobId: parentId,
      requestHash,
    });
    if (binding.requestHash !== requestHash) {
      throw new ConflictError(
        'This Idempotency-Key was already used for a different job request',
        'IDEMPOTENCY_KEY_REUSED',
      );
    }
    parentId = binding.jobId;
    const existing = await jobs.getAny(caller.sub, parentId);
    if (isParentJob(existing)) return { job: await completeChildren(caller, existing), created: false };
  }

  // Room for every child, before anything is asked of a service or written.
  await userQuotas().assertJobRoom(caller.sub, targets.length, quotaLimits().activeJobs);
  // Every target is checked before anything is written.
  const prepared: PreparedJob[] = [];
  for (const [index, target] of targets.entries()) {
    try {
      prepared.push(await prepareJob(caller, childRequest(shared, target, index, targets.length)));
    } catch (error) {
      throw targetError(index, error);
    }
  }

  const now = new Date().toISOString();
  const children: PlannedChild[] = targets.map((target, index) => {
    const plan = prepared[index]!;
    return {
      jobId: ulid(),
      target,
      serviceId: plan.service.id,
      refPanel: plan.refPanel,
      population: target.population ?? shared.population,
      ...(plan.routing ? { routing: plan.routing } : {}),
    };
  });
  const parent: ParentJobRecord = {
    kind: 'parent',
    jobId: parentId,
    owner: caller.sub,
    name: shared.name,
    build: shared.build,
    phasing: shared.phasing,
    population: shared.population,
    mode: shared.mode,
    r2Filter: shared.r2Filter,
    aesEncryption: shared.aesEncryption,
    meta: shared.meta,
    inputs: prepared[0]!.inputs.map(({ uploadId, fileName, size }) => ({ uploadId, fileName, size })),
    children,
    createdAt: now,
    updatedAt: now,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  if (!(await jobs.createParent(parent))) {
    // A concurrent retry wrote it first: complete what it planned.
    const existing = await jobs.getAny(caller.sub, parentId);
    if (!isParentJob(existing)) throw new Error(`Parent job ${parentId} vanished during creation`);
    return { job: await completeChildren(caller, existing), created: false };
  }
  logger.info('parent job created', { jobId: parentId, children: children.map((c) => c.jobId) });
  await Promise.all(
    children.map((child, index) =>
      insertJob(
        caller,
        child.jobId,
        childRequest(shared, targets[index]!, index, targets.length),
        prepared[index]!,
        {
          parentId,
        },
      ),
    ),
  );
  return { job: await parentJobView(parent), created: true };
}

/** Creates the planned children that do not exist yet (at the service planned), starts those that do. */
async function completeChildren(caller: Caller, parent: ParentJobRecord) {
  const count = parent.children.length;
  const shared: SharedRequest = {
    name: parent.name,
    build: parent.build,
    phasing: parent.phasing,
    population: parent.population,
    mode: parent.mode,
    r2Filter: parent.r2Filter,
    uploadIds: parent.inputs.map((input) => input.uploadId),
    aesEncryption: parent.aesEncryption,
    meta: parent.meta,
  };
  for (const [index, child] of parent.children.entries()) {
    const existing = await jobRepository().get(caller.sub, child.jobId);
    if (existing) {
      await ensureStarted(existing);
      continue;
    }
    const request = childRequest(
      shared,
      { serviceId: child.serviceId, refPanel: child.refPanel, population: child.population },
      index,
      count,
    );
    let prepared: PreparedJob;
    try {
      prepared = await prepareJob(caller, request);
    } catch (error) {
      throw targetError(index, error);
    }
    await insertJob(
      caller,
      child.jobId,
      request,
      { ...prepared, routing: child.routing },
      {
        parentId: parent.jobId,
      },
    );
  }
  return parentJobView(parent);
}

async function requireAny(caller: Caller, jobId: string) {
  const item = await jobRepository().getAny(caller.sub, jobId);
  if (!item) throw new NotFoundError(`Job ${jobId} not found`, 'JOB_NOT_FOUND');
  return item;
}

/** GET /jobs/{jobId}: a job's view, or a parent's with its children's. */
export async function getJobOrParent(caller: Caller, jobId: string) {
  const item = await requireAny(caller, jobId);
  return isParentJob(item) ? parentJobView(item) : toJobView(item);
}

/** What a parent's cancel did to one child. */
export interface ChildCancel {
  jobId: string;
  outcome: 'CANCELED' | 'ALREADY_ENDED' | 'REFUSED';
  status: JobStatus;
  error: { code: string; message: string } | null;
}

/**
 * POST /jobs/{jobId}/cancel of a parent: every child still active is canceled as a job is; each child's
 * outcome is reported (`cancel`). 409 JOB_FINISHED when every child had ended already.
 */
export async function cancelJobOrParent(caller: Caller, jobId: string) {
  const item = await requireAny(caller, jobId);
  if (!isParentJob(item)) return cancelJob(caller, jobId);
  const children = await readChildren(item);
  if (children.every((child) => isTerminal(child.status))) {
    throw new ConflictError(`Every job of parent job ${jobId} has already finished`, 'JOB_FINISHED');
  }
  const cancel: ChildCancel[] = [];
  for (const child of children) {
    if (isTerminal(child.status)) {
      cancel.push({ jobId: child.jobId, outcome: 'ALREADY_ENDED', status: child.status, error: null });
      continue;
    }
    try {
      const view = await cancelJob(caller, child.jobId);
      cancel.push({ jobId: child.jobId, outcome: 'CANCELED', status: view.status, error: null });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const current = await jobRepository().get(caller.sub, child.jobId);
      cancel.push({
        jobId: child.jobId,
        outcome: 'REFUSED',
        status: current?.status ?? child.status,
        error: { code: error.code, message: error.message },
      });
    }
  }
  logger.info('parent job canceled', { jobId, cancel });
  return { ...(await parentJobView(item)), cancel };
}

/**
 * DELETE /jobs/{jobId} of a parent: only once every child has ended (409 JOB_ACTIVE naming the active
 * ones, nothing deleted); then each child is deleted as a job (its results with it), then the parent.
 */
export async function deleteJobOrParent(caller: Caller, jobId: string) {
  const item = await requireAny(caller, jobId);
  if (!isParentJob(item)) return deleteJob(caller, jobId);
  const children = await readChildren(item);
  const active = children.filter((child) => !isTerminal(child.status));
  if (active.length > 0) {
    throw new ConflictError(
      `Parent job ${jobId} still has active jobs (${active.map((c) => `${c.jobId}: ${c.status}`).join(', ')}): cancel it first`,
      'JOB_ACTIVE',
      { children: active.map((child) => ({ jobId: child.jobId, status: child.status })) },
    );
  }
  for (const child of children) {
    try {
      await deleteJob(caller, child.jobId, { withParent: true });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  await jobRepository().deleteParent(caller.sub, jobId);
  logger.info('parent job deleted', { jobId, children: children.map((child) => child.jobId) });
}
