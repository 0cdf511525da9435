/**
 * Ended here ⇒ ended there. Whenever the gateway ends a job that the service may still run (a failure of
 * ours after submission, a deadline, an outage or a refused token past its limit), it asks the service to
 * cancel the job and records whether that went through (`remoteCancel`). One that did not leaves the job
 * on the watcher's CANCEL watch, which retries with backoff (a minute, doubling to an hour) until it goes
 * through or CANCEL_RETRY_HOURS have passed. Otherwise the job would keep one of the owner's slots at the
 * service, and its results would be computed for nobody.
 */
import type { CloudgeneClient } from '#shared/cloudgene/client';
import { CloudgeneBadRequestError, CloudgeneNotFoundError } from '#shared/cloudgene/errors';
import { type JobError, type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, type JobStatus } from '#shared/jobs/job-status';
import { type JobWatch, nextWatch } from '#shared/jobs/job-watch';
import { rewatch } from '#shared/jobs/rewatch';
import { logger } from '#shared/logger';
import { after, backoffEnv, nextWaitSeconds } from './backoff';
import { type JobRef, loadJob, ownerClient } from './job-context';

const CANCEL_RETRY = { initialSeconds: 60, maxSeconds: 3_600 };

type RemoteCancel = NonNullable<JobRecord['remoteCancel']>;

/** Asks the service to cancel; a job it no longer has or no longer runs needs no cancel. */
async function cancelThere(
  job: JobRecord,
  client?: CloudgeneClient,
): Promise<{ ok: boolean; detail?: string }> {
  if (!job.externalJobId) return { ok: true };
  try {
    await (client ?? (await ownerClient(job))).cancelJob(job.externalJobId);
    return { ok: true };
  } catch (error) {
    if (error instanceof CloudgeneNotFoundError || error instanceof CloudgeneBadRequestError) {
      return { ok: true, detail: `the service answered: ${error.message.slice(0, 200)}` };
    }
    return { ok: false, detail: (error as Error).message.slice(0, 300) };
  }
}

function cancelWatch(previous: JobRecord['watch'], attempts: number, now: Date): JobWatch {
  const prior = previous?.kind === 'CANCEL' ? previous : undefined;
  const base = nextWaitSeconds(prior?.baseWaitSeconds || undefined, false, CANCEL_RETRY);
  return nextWatch(previous, 'CANCEL', after(now, base), now, {
    baseWaitSeconds: base,
    count: attempts,
  });
}

/**
 * Moves the job to `to` (a terminal state) with `error`, after asking the service to cancel it: the
 * outcome of that ask is recorded with the move, and a cancel that did not go through stays on the watch.
 */
export async function endHereAndThere(
  job: JobRecord,
  to: JobStatus,
  options: {
    from?: JobStatus[];
    client?: CloudgeneClient;
    error: JobError;
    set?: Partial<JobRecord>;
    now?: Date;
  },
): Promise<JobRecord> {
  const now = options.now ?? new Date();
  const mayRun = Boolean(job.externalJobId) && !isTerminal(job.status);
  const outcome = mayRun
    ? await cancelThere(job, options.client).catch((e: Error) => ({ ok: false, detail: e.message }))
    : undefined;
  const remoteCancel: RemoteCancel | undefined = outcome
    ? {
        state: outcome.ok ? 'DONE' : 'PENDING',
        attempts: 1,
        lastAt: now.toISOString(),
        ...(outcome.detail ? { detail: outcome.detail } : {}),
      }
    : undefined;
  const said = !outcome
    ? ''
    : outcome.ok
      ? '; canceled at the service'
      : '; the cancel at the service did not go through yet and is retried';
  if (outcome && !outcome.ok) {
    logger.warn('cancel at the service failed; the watcher retries it', {
      jobId: job.jobId,
      detail: outcome.detail,
    });
  }
  return jobRepository().transition(job.owner, job.jobId, to, {
    from: options.from,
    set: { ...options.set, error: options.error, ...(remoteCancel ? { remoteCancel } : {}) },
    detail: `${options.error.message}${said}`,
    watch: remoteCancel?.state === 'PENDING' ? cancelWatch(undefined, 1, now) : null,
    serviceId: job.serviceId,
  });
}

/** The watcher's retry of a cancel that did not go through: true when it is settled (done or given up). */
export async function retryRemoteCancel(ref: JobRef, now = new Date()): Promise<boolean> {
  const job = await loadJob(ref);
  const jobs = jobRepository();
  const pending = job.remoteCancel?.state === 'PENDING' && isTerminal(job.status);
  if (!pending) {
    await rewatch(job, now);
    return true;
  }
  const outcome = await cancelThere(job).catch((e: Error) => ({ ok: false, detail: e.message }));
  const attempts = (job.remoteCancel?.attempts ?? 0) + 1;
  const givenUp =
    !outcome.ok &&
    now.getTime() - Date.parse(job.statusChangedAt) >= backoffEnv().CANCEL_RETRY_HOURS * 3_600_000;
  const remoteCancel: RemoteCancel = {
    state: outcome.ok ? 'DONE' : givenUp ? 'GAVE_UP' : 'PENDING',
    attempts,
    lastAt: now.toISOString(),
    ...(outcome.detail ? { detail: outcome.detail } : {}),
  };
  await jobs.update(job.owner, job.jobId, { remoteCancel }, [job.status], [], {
    serviceId: job.serviceId,
    watch: remoteCancel.state === 'PENDING' ? cancelWatch(job.watch, attempts, now) : null,
  });
  if (givenUp) logger.error('gave up cancelling a job at the service', { jobId: job.jobId, attempts });
  return remoteCancel.state !== 'PENDING';
}
