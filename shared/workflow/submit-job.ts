/**
 * Workflow step 2: submit the inputs to the service with the owner's token, streaming each file from S3
 * into the multipart request. The service checks its per-user limit only after the whole upload, so
 * the task first counts the owner's running jobs there and waits without uploading while the limit is
 * reached; the "Only N jobs per user…" answer stays the fallback (a wait, not a failure). A retried task
 * must never submit twice: it looks for a service job carrying this job's marker first, and the external
 * id is recorded before anything else. A cancel during an upload is settled here, never left behind.
 */

import type { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput, HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '#shared/aws/clients';
import type { CloudgeneClient } from '#shared/cloudgene/client';
import {
  CloudgeneError,
  ConcurrencyLimitError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import { healthStore } from '#shared/health/health-store';
import { type JobInput, type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus } from '#shared/jobs/job-status';
import { type JobWatch, nextWatch } from '#shared/jobs/job-watch';
import { passwordKeyVersionOf, resultPassword } from '#shared/jobs/result-password';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { uploadsEnv } from '#shared/uploads/uploads';
import { after, backoffEnv, nextWaitSeconds, pollPolicy, slotWaitPolicy } from './backoff';
import { type JobRef, jobService, loadJob, ownerClient, submissionMarker } from './job-context';
import { JobFailure } from './task-errors';
import { uploadSlots } from './upload-slots';

/** What an attempt came to (for the execution's history: the job's item has the rest). */
export interface SubmitOutcome {
  outcome:
    | 'SUBMITTED'
    | 'WAIT_FOR_SLOT'
    | 'WAIT_FOR_SERVICE'
    | 'WAIT_FOR_TOKEN'
    | 'WAIT_FOR_SUBMISSION'
    | 'STOPPED';
}

const SUBMITTABLE = [
  JobStatus.SUBMITTING,
  JobStatus.WAITING_FOR_SLOT,
  JobStatus.WAITING_FOR_SERVICE,
  JobStatus.WAITING_FOR_TOKEN,
];
/** Uploads of several GB take minutes; the task's own timeout (900 s) is the real bound. */
const SUBMIT_TIMEOUT_MS = 14 * 60_000;
/** An attempt older than the task's timeout (plus margin) cannot still be uploading. */
const ATTEMPT_STALE_MS = 16 * 60_000;
/** After an upload whose answer was lost, the time the service may take to list the job. */
const LOST_ANSWER_GRACE_MS = 60_000;
const ATTEMPT_FIELDS: (keyof JobRecord)[] = ['submissionAttemptAt', 'submissionAttemptEndedAt'];
/** Cloudgene states that hold one of the user's slots (cloudgene-api.md: 1–3). */
const SLOT_STATES = new Set([1, 2, 3]);
/** Pages of the user's job list read before submitting (25 jobs each, newest first). */
const LIST_PAGES = 3;

/**
 * One submission attempt, run by an execution (the job's first, or one the watcher starts when a slot is
 * free or the service is back). Whatever happens is recorded on the job with its next watch, so the
 * execution ends here: `SUBMITTED` (the watcher polls it), `WAIT_FOR_SLOT`, `WAIT_FOR_SERVICE`, or
 * `STOPPED`.
 */
export async function submitImputationJob(ref: JobRef): Promise<SubmitOutcome> {
  const job = await loadJob(ref);
  if (isTerminal(job.status)) return { outcome: 'STOPPED' };
  if (job.externalJobId) return startPolling(job, job.externalJobId);
  if (job.status === JobStatus.CANCEL_REQUESTED) return settleCanceledSubmission(job);
  if (!SUBMITTABLE.includes(job.status as (typeof SUBMITTABLE)[number])) return { outcome: 'STOPPED' };
  const health = await healthStore().get(job.serviceId);
  if (health && (health.status === 'DOWN' || health.status === 'MAINTENANCE')) {
    return waitForService(job, serviceDownReason(job, health.status, health.lastError?.detail));
  }
  try {
    return await submitNow(ref, job);
  } catch (error) {
    const tokenProblem =
      error instanceof ServiceTokenInvalidError ||
      (error instanceof JobFailure && error.code === 'SERVICE_TOKEN_MISSING');
    if (tokenProblem) {
      // Not the job's fault: it waits for the owner to store a token that works (the watcher looks).
      const current = await loadJob(ref);
      if (!SUBMITTABLE.includes(current.status as (typeof SUBMITTABLE)[number]))
        return { outcome: 'STOPPED' };
      const name = jobService(current).name;
      return waitForToken(
        current,
        error instanceof JobFailure
          ? `no API token for ${name} is stored; the job is submitted once you store one`
          : `${name} refused your API token (revoked, replaced or expired); the job is submitted once you store a new one`,
      );
    }
    if (!(error instanceof ServiceUnavailableError)) throw error;
    // Unreachable or answering 5xx: the service is unwell, not the job. It waits for the service (the
    // watcher's probes say when it is back); a marked attempt is looked for by its marker then.
    const current = await loadJob(ref);
    if (current.status === JobStatus.CANCEL_REQUESTED) return settleCanceledSubmission(current);
    if (!SUBMITTABLE.includes(current.status as (typeof SUBMITTABLE)[number])) return { outcome: 'STOPPED' };
    return waitForService(
      current,
      `${jobService(current).name} did not answer: ${error.message.slice(0, 200)}`,
    );
  }
}

function serviceDownReason(job: JobRecord, status: string, detail?: string): string {
  const name = jobService(job).name;
  return status === 'MAINTENANCE'
    ? `${name} is in maintenance${detail ? ` (${detail.slice(0, 200)})` : ''}`
    : `${name} is down${detail ? ` (${detail.slice(0, 200)})` : ''}`;
}

async function submitNow(ref: JobRef, job: JobRecord): Promise<SubmitOutcome> {
  const jobs = jobRepository();
  const service = jobService(job);
  const client = await ownerClient(job, SUBMIT_TIMEOUT_MS);
  const marker = submissionMarker(job.jobId);
  const slots = uploadSlots();
  const seen = await slots.read(job.owner, job.serviceId);
  // One listing serves two questions: did an earlier attempt get through, and is a slot free?
  const recent = await client.listRecentJobs(LIST_PAGES);
  let externalJobId = recent.find((remote) => remote.name?.includes(marker))?.id;
  if (externalJobId) {
    logger.warn('adopting a submission made by an earlier attempt', { jobId: job.jobId, externalJobId });
  } else {
    // The objects validated are the objects sent: a file replaced since fails the job before any upload.
    await assertInputsUnchanged(job);
    // The limit the service last stated (remembered for all the owner's jobs) wins over the catalog's.
    const limit = seen.serviceLimit ?? service.maxConcurrentJobs;
    const active = recent.filter(
      (remote) => remote.state !== undefined && SLOT_STATES.has(remote.state),
    ).length;
    if (active >= limit) {
      // The service checks its limit only after receiving the whole upload: wait without sending it.
      return waitForSlot(
        job,
        `${active} of your jobs are running at ${service.name} (at most ${limit} at a time); waiting for one to finish`,
      );
    }
    // The service cannot see uploads still on their way: our own jobs share the free slots by lease.
    if (
      !(await slots.acquire(job.owner, job.serviceId, job.jobId, limit - active, {
        limit,
        submitted: seen.submitted,
      }))
    ) {
      return waitForSlot(
        job,
        `another of your uploads to ${service.name} takes the last free slot (at most ${limit} jobs at a time); waiting`,
      );
    }
    // Mark the attempt before the first byte goes out: a cancel from now on waits for its outcome.
    const attemptAt = new Date().toISOString();
    // The password's key version goes with it: a retry or a rotation never changes a sent password.
    const passwordKeyVersion = await passwordKeyVersionOf(job);
    const marked = { submissionAttemptAt: attemptAt, passwordKeyVersion };
    if (!(await jobs.update(job.owner, job.jobId, marked, SUBMITTABLE))) {
      await slots.release(job.owner, job.serviceId, job.jobId);
      return resumeAfterConflict(ref, client);
    }
    try {
      const submitted = await client.submitJob({
        jobName: `${job.name} ${marker}`,
        refPanel: job.refPanel,
        build: job.build,
        phasing: job.phasing,
        population: job.population,
        mode: job.mode,
        r2Filter: job.r2Filter,
        password: await resultPassword(job.owner, job.jobId, passwordKeyVersion),
        aesEncryption: job.aesEncryption === true,
        meta: job.meta === true,
        files: job.inputs.map((input) => ({
          name: input.fileName,
          size: input.size,
          stream: () => inputStream(input),
        })),
      });
      externalJobId = submitted.id;
      // The service lists the job from now on: its slot shows there, the lease is no longer needed.
      await slots.release(job.owner, job.serviceId, job.jobId, true);
    } catch (error) {
      // Learn the stated limit before freeing the lease, so no other job uploads on the old belief.
      if (error instanceof ConcurrencyLimitError && error.limit) {
        await slots.rememberLimit(job.owner, job.serviceId, error.limit);
      }
      await slots.release(job.owner, job.serviceId, job.jobId);
      // A definite refusal means nothing was created at the service; any other failure (a lost answer,
      // a timeout) leaves the attempt marked, so a cancel or a retry looks for the job by its marker.
      if (error instanceof CloudgeneError && !(error instanceof ServiceUnavailableError)) {
        await jobs.update(
          job.owner,
          job.jobId,
          {},
          [...SUBMITTABLE, JobStatus.CANCEL_REQUESTED],
          ATTEMPT_FIELDS,
        );
      } else {
        // Over, with its outcome unknown: a cancel now waits only a short grace for the job to show up.
        await jobs.update(job.owner, job.jobId, { submissionAttemptEndedAt: new Date().toISOString() }, [
          ...SUBMITTABLE,
          JobStatus.CANCEL_REQUESTED,
        ]);
      }
      if (!(error instanceof ConcurrencyLimitError)) throw error;
      const current = await loadJob(ref);
      if (current.status === JobStatus.CANCEL_REQUESTED) return settleCanceledSubmission(current, client);
      return waitForSlot(current, error.serviceMessage ?? error.message);
    }
  }
  return recordSubmission(job, externalJobId, client);
}

/**
 * Records the service's job id before anything else (from then on a retry adopts it). A cancel that
 * came in during the upload is carried out at the service now; the watcher's polls confirm it.
 */
async function recordSubmission(
  job: JobRecord,
  externalJobId: string,
  client: CloudgeneClient,
): Promise<SubmitOutcome> {
  const jobs = jobRepository();
  const recorded = await jobs.update(
    job.owner,
    job.jobId,
    { externalJobId },
    [...SUBMITTABLE, JobStatus.CANCEL_REQUESTED],
    ATTEMPT_FIELDS,
  );
  const current = await loadJob(job);
  if (!recorded || current.status === JobStatus.CANCEL_REQUESTED || isTerminal(current.status)) {
    logger.info('job canceled during submission; cancelling it at the service', { jobId: job.jobId });
    await client.cancelJob(externalJobId).catch((error: unknown) =>
      logger.warn('cancel at the service failed; the watcher retries it', {
        jobId: job.jobId,
        error: String(error),
      }),
    );
    if (!recorded) {
      // Already CANCELED here (an older execution): keep the id so the job can be traced at the service.
      await jobs.update(job.owner, job.jobId, { externalJobId }, [JobStatus.CANCELED]);
      return { outcome: 'STOPPED' };
    }
  }
  return startPolling(current, externalJobId);
}

/**
 * A cancel arrived while a submission may have been on its way. If the service has the job (found by
 * its marker), record it and let the watcher cancel it there; if not, and no attempt can still be
 * uploading, nothing exists at the service and the job is CANCELED.
 */
async function settleCanceledSubmission(job: JobRecord, client?: CloudgeneClient): Promise<SubmitOutcome> {
  client ??= await ownerClient(job);
  const found = await client.findJobByName(submissionMarker(job.jobId), LIST_PAGES);
  if (found) return recordSubmission(job, found.id, client);
  if (submissionMayStillAppear(job)) {
    // Looked for again shortly, by a submit execution the watcher starts.
    const now = new Date();
    const base = pollPolicy().initialSeconds;
    await jobRepository().update(job.owner, job.jobId, {}, [JobStatus.CANCEL_REQUESTED], [], {
      serviceId: job.serviceId,
      watch: nextWatch(job.watch, 'SUBMIT', after(now, base), now, {
        baseWaitSeconds: base,
      }),
    });
    return { outcome: 'WAIT_FOR_SUBMISSION' };
  }
  await jobRepository().transition(job.owner, job.jobId, JobStatus.CANCELED, {
    from: [JobStatus.CANCEL_REQUESTED],
    remove: ATTEMPT_FIELDS,
    detail: 'canceled by the owner; the service never accepted the job',
  });
  return { outcome: 'STOPPED' };
}

/**
 * Whether the service may still show a job for the marked attempt: an upload still under way (not ended,
 * younger than the longest a task runs), or one that ended without an answer less than a grace ago.
 */
export function submissionMayStillAppear(job: JobRecord, now = Date.now()): boolean {
  if (!job.submissionAttemptAt) return false;
  const started = Date.parse(job.submissionAttemptAt);
  const ended = job.submissionAttemptEndedAt ? Date.parse(job.submissionAttemptEndedAt) : Number.NaN;
  if (!(ended >= started)) return now - started < ATTEMPT_STALE_MS;
  return now - ended < LOST_ANSWER_GRACE_MS;
}

/**
 * The wait the job is in, or comes back to from an attempt the watcher started for it (`waited`): with
 * its `since`, backoff and count, so waiting does not start anew at each failed attempt.
 */
function currentWait(job: JobRecord, kind: 'SLOT' | 'SERVICE' | 'TOKEN'): JobWatch | undefined {
  const watch = job.watch;
  if (watch?.kind === kind) return watch;
  if (watch?.kind !== 'SUBMIT' || watch.waited?.kind !== kind) return undefined;
  const { baseWaitSeconds, count } = watch.waited;
  return { kind, nextAt: watch.nextAt, since: watch.since, baseWaitSeconds, count, submits: watch.submits };
}

/** A wait before submission, on the job's own item: the watcher starts the next attempt. */
function waitingWatch(job: JobRecord, kind: 'SLOT' | 'SERVICE' | 'TOKEN', now: Date): JobWatch {
  const previous = currentWait(job, kind);
  const base = nextWaitSeconds(previous?.baseWaitSeconds || undefined, false, slotWaitPolicy());
  return nextWatch(previous ?? job.watch, kind, after(now, base), now, {
    baseWaitSeconds: base,
    count: (previous?.count ?? 0) + 1,
  });
}

async function waitForSlot(job: JobRecord, reason: string): Promise<SubmitOutcome> {
  recordMetric('SlotWaits', job.serviceId);
  return waitBeforeSubmission(job, JobStatus.WAITING_FOR_SLOT, 'SLOT', reason);
}

async function waitForToken(job: JobRecord, reason: string): Promise<SubmitOutcome> {
  return waitBeforeSubmission(job, JobStatus.WAITING_FOR_TOKEN, 'TOKEN', reason);
}

async function waitForService(job: JobRecord, reason: string): Promise<SubmitOutcome> {
  recordMetric('ServiceWaits', job.serviceId);
  const since = currentWait(job, 'SERVICE')?.since;
  const limitHours = backoffEnv().SERVICE_OUTAGE_LIMIT_HOURS;
  const waited = job.status === JobStatus.WAITING_FOR_SERVICE;
  if (waited && since && Date.now() - Date.parse(since) >= limitHours * 3_600_000) {
    return giveUpWaitingForService(job, reason, since, limitHours);
  }
  return waitBeforeSubmission(job, JobStatus.WAITING_FOR_SERVICE, 'SERVICE', reason);
}

/**
 * A job that waited for its service past the outage limit, the service failing its every attempt (even
 * while its probes say it is up): an attempt whose answer was lost is looked for by its marker (then it is
 * submitted after all, and polled); otherwise the job ends EXPIRED, saying why.
 */
async function giveUpWaitingForService(
  job: JobRecord,
  reason: string,
  since: string,
  limitHours: number,
): Promise<SubmitOutcome> {
  if (job.submissionAttemptAt) {
    try {
      const client = await ownerClient(job);
      const found = await client.findJobByName(submissionMarker(job.jobId), LIST_PAGES);
      if (found) return recordSubmission(job, found.id, client);
    } catch (error) {
      logger.warn('could not look for a lost submission before giving the job up', {
        jobId: job.jobId,
        error: String(error),
      });
    }
  }
  const hours = Math.round((Date.now() - Date.parse(since)) / 3_600_000);
  await jobRepository().transition(job.owner, job.jobId, JobStatus.EXPIRED, {
    from: [JobStatus.WAITING_FOR_SERVICE],
    remove: ATTEMPT_FIELDS,
    detail: 'given up: the service could not take the job within the outage limit',
    set: {
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message:
          `${jobService(job).name} could not take this job for ${hours} h (since ${since}), past the limit of ${limitHours} h: its submissions failed or it was down. The job was given up before it was submitted; resubmit it later or at another service. Last: ${reason}`.slice(
            0,
            1000,
          ),
      },
    },
  });
  return { outcome: 'STOPPED' };
}

async function waitBeforeSubmission(
  job: JobRecord,
  status:
    | typeof JobStatus.WAITING_FOR_SLOT
    | typeof JobStatus.WAITING_FOR_SERVICE
    | typeof JobStatus.WAITING_FOR_TOKEN,
  kind: 'SLOT' | 'SERVICE' | 'TOKEN',
  reason: string,
): Promise<SubmitOutcome> {
  const now = new Date();
  const watch = waitingWatch(job, kind, now);
  const change = { detail: reason, watch, serviceId: job.serviceId };
  if (job.status === status) {
    await jobRepository().update(job.owner, job.jobId, {}, [status], [], { serviceId: job.serviceId, watch });
  } else if (status === JobStatus.WAITING_FOR_SLOT) {
    await jobRepository().transition(job.owner, job.jobId, JobStatus.WAITING_FOR_SLOT, {
      from: [JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SERVICE, JobStatus.WAITING_FOR_TOKEN],
      ...change,
    });
  } else if (status === JobStatus.WAITING_FOR_SERVICE) {
    await jobRepository().transition(job.owner, job.jobId, JobStatus.WAITING_FOR_SERVICE, {
      from: [JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SLOT, JobStatus.WAITING_FOR_TOKEN],
      ...change,
    });
  } else {
    await jobRepository().transition(job.owner, job.jobId, JobStatus.WAITING_FOR_TOKEN, {
      from: [JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SLOT, JobStatus.WAITING_FOR_SERVICE],
      ...change,
    });
  }
  return { outcome: `WAIT_FOR_${kind}` };
}

/** The job moved while we were about to upload (a cancel won the race): act on where it is now. */
async function resumeAfterConflict(ref: JobRef, client: CloudgeneClient): Promise<SubmitOutcome> {
  const current = await loadJob(ref);
  if (current.status === JobStatus.CANCEL_REQUESTED) return settleCanceledSubmission(current, client);
  return { outcome: 'STOPPED' };
}

/** Accepted by the service: from now on the watcher polls it (at once if a cancel is waiting). */
async function startPolling(job: JobRecord, externalJobId: string): Promise<SubmitOutcome> {
  const now = new Date();
  const due = job.status === JobStatus.CANCEL_REQUESTED ? 0 : pollPolicy().initialSeconds;
  const watch = nextWatch(undefined, 'POLL', due === 0 ? now : after(now, due), now, {
    baseWaitSeconds: pollPolicy().initialSeconds,
  });
  if (SUBMITTABLE.includes(job.status as (typeof SUBMITTABLE)[number])) {
    await jobRepository().transition(job.owner, job.jobId, JobStatus.QUEUED_REMOTE, {
      from: SUBMITTABLE,
      detail: `submitted to the service as ${externalJobId}`,
      watch,
      serviceId: job.serviceId,
    });
  } else if (job.status === JobStatus.CANCEL_REQUESTED) {
    await jobRepository().update(job.owner, job.jobId, {}, [JobStatus.CANCEL_REQUESTED], [], {
      serviceId: job.serviceId,
      watch,
    });
  }
  return { outcome: 'SUBMITTED' };
}

/**
 * Each input object read with If-Match on the ETag its validation recorded (jobs validated before ETags
 * were recorded have none, and are read as they are): another object fails the job, naming the files.
 */
async function assertInputsUnchanged(job: JobRecord): Promise<void> {
  const changed: string[] = [];
  for (const input of job.inputs) {
    if (!input.etag) continue;
    try {
      await s3Client().send(
        new HeadObjectCommand({ Bucket: uploadsEnv().INPUTS_BUCKET, Key: input.key, IfMatch: input.etag }),
      );
    } catch (error) {
      if (!isChangedOrGone(error)) throw error;
      changed.push(input.fileName);
    }
  }
  if (changed.length > 0) throw inputChanged(changed);
}

function inputChanged(fileNames: string[]): JobFailure {
  return new JobFailure(
    'INPUT_CHANGED',
    `${fileNames.join(', ')}: the file changed (or is gone) since it was checked, so it was not sent: upload it again and create a new job`,
  );
}

/** S3's answer to a precondition that failed (412) or an object that is gone (404). */
function isChangedOrGone(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    name === 'PreconditionFailed' ||
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    status === 412 ||
    status === 404
  );
}

async function inputStream(input: JobInput): Promise<Readable> {
  let object: GetObjectCommandOutput;
  try {
    object = await s3Client().send(
      new GetObjectCommand({
        Bucket: uploadsEnv().INPUTS_BUCKET,
        Key: input.key,
        ...(input.etag ? { IfMatch: input.etag } : {}),
      }),
    );
  } catch (error) {
    // Replaced between the check above and this read: the service must not get another file.
    if (isChangedOrGone(error)) throw inputChanged([input.fileName]);
    throw error;
  }
  if (!object.Body) throw new Error(`Input ${input.key} has no body`);
  return object.Body as Readable;
}
