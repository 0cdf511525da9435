/**
 * The watcher's second duty, after probing the services: everything that waits on a service. No
 * execution waits or loops; each job's item says what it waits for and when to look again (its watch,
 * shared/jobs/job-watch.ts), and one Query per service and kind on the sparse watch index finds what is
 * due. Per service, in this order:
 *
 * 1. `POLL`: submitted jobs whose next poll is due are polled (a bounded number at once per service). A
 *    job the service finished gets a `collect` execution; one it failed, canceled or deleted needs none.
 *    While the service is DOWN or in maintenance nothing is polled (its jobs keep their state, nothing is
 *    polled into failure) until the outage outlasts SERVICE_OUTAGE_LIMIT_HOURS: then they end EXPIRED.
 * 2. `SERVICE`: jobs waiting for the service are submitted once it is UP (all at once when it comes back).
 * 3. `SLOT`: jobs waiting for a free slot, due or of an owner whose job there just ended: the owner's job
 *    list at the service says how many slots are free, and that many submissions start (oldest first).
 * 4. `TOKEN`: jobs waiting for their owner's token are submitted once the owner stored one that works
 *    (every waiting job is looked at on every run: one credential read per owner).
 * 5. `CANCEL`: cancels at the service that did not go through are retried.
 * 6. `VALIDATE` / `SUBMIT` / `COLLECT`: the execution driving the job is looked up (5 minutes after it
 *    started, then every 5 minutes); one that is gone is started again (a submission or collect once its
 *    last task cannot still be running; a submission's upload lease is reclaimed first), counted
 *    (`JobsRedriven`) and said on the job's timeline. Last, so that many healthy executions never take
 *    the budget from the waits above.

 * A run stops taking new work after its budget (WATCH_BUDGET_MS), well inside its minute; what is left
 * is due at the next run.
 */
import {
  type ExecutionDeps,
  executionArnFor,
  executionState,
  jobExecutionInput,
  startExecution,
} from '#shared/aws/executions';
import { findService } from '#shared/catalog/service-catalog';
import { ServiceTokenInvalidError } from '#shared/cloudgene/errors';
import { credentialStore } from '#shared/credentials/credential-store';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus, PRE_SUBMISSION_STATUSES } from '#shared/jobs/job-status';
import {
  EXECUTION_LOOK_SECONDS,
  type JobWatch,
  nextWatch,
  TASK_LONGEST_SECONDS,
  type WatchKind,
} from '#shared/jobs/job-watch';
import { rewatch } from '#shared/jobs/rewatch';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { settings } from '#shared/settings';
import { after, backoffEnv, nextWaitSeconds, slotWaitPolicy } from '#shared/workflow/backoff';
import { ownerClient } from '#shared/workflow/job-context';
import { pollJob } from '#shared/workflow/poll-job';
import { endHereAndThere, retryRemoteCancel } from '#shared/workflow/remote-cancel';
import { JobFailure } from '#shared/workflow/task-errors';
import { uploadSlots } from '#shared/workflow/upload-slots';
import type { HealthStatus } from './service-health';

/** Cloudgene states that hold one of the user's slots. */
const SLOT_STATES = new Set([1, 2, 3]);
const PAGE = 100;

export interface ServiceState {
  serviceId: string;
  status: HealthStatus;
  since: string;
  /** The status changed in this run (a service back UP wakes every job waiting for it). */
  changed: boolean;
}

export interface JobsRun {
  polled: number;
  collectsStarted: number;
  submitsStarted: number;
  expired: number;
  cancelsRetried: number;
  /** Jobs whose execution was gone, driven again. */
  redriven: number;
  /** Work left for the next run because the budget ran out. */
  deferred: boolean;
  errors: number;
}

type Ref = { owner: string; jobId: string };

export async function watchJobs(services: ServiceState[], now = new Date()): Promise<JobsRun> {
  const run: JobsRun = {
    polled: 0,
    collectsStarted: 0,
    submitsStarted: 0,
    expired: 0,
    cancelsRetried: 0,
    redriven: 0,
    deferred: false,
    errors: 0,
  };
  const { WATCH_BUDGET_MS } = settings.watcher();
  const deadline = Date.now() + WATCH_BUDGET_MS;
  await Promise.all(services.map((service) => watchService(service, now, deadline, run)));
  return run;
}

async function watchService(service: ServiceState, now: Date, deadline: number, run: JobsRun) {
  const { WATCH_CONCURRENCY } = settings.watcher();
  const jobs = jobRepository();
  const usable = service.status === 'UP' || service.status === 'DEGRADED';
  const each = async (kind: WatchKind, due: boolean, act: (ref: Ref) => Promise<void>) => {
    let cursor: Record<string, unknown> | undefined;
    do {
      if (Date.now() > deadline) {
        run.deferred = true;
        return;
      }
      const page = await jobs.watched(service.serviceId, kind, {
        ...(due ? { now } : {}),
        limit: PAGE,
        cursor,
      });
      await forEachLimited(page.jobs, WATCH_CONCURRENCY, async (ref) => {
        if (Date.now() > deadline) {
          run.deferred = true;
          return;
        }
        try {
          await act(ref);
        } catch (error) {
          run.errors++;
          logger.error('watcher could not look after a job; it stays due', {
            jobId: ref.jobId,
            kind,
            error: String(error),
          });
        }
      });
      cursor = page.cursor;
    } while (cursor);
  };

  if (!usable) {
    const outageMs = now.getTime() - Date.parse(service.since);
    if (outageMs < backoffEnv().SERVICE_OUTAGE_LIMIT_HOURS * 3_600_000) return;
    // Past the outage limit: every job that waits on this service is given up, with a message that says so.
    for (const kind of ['POLL', 'SLOT', 'SERVICE', 'TOKEN', 'SUBMIT'] as const) {
      await each(kind, false, async (ref) => {
        if (await expireForOutage(ref, service, now)) run.expired++;
      });
    }
    return;
  }

  const freed = new Set<string>();
  await each('POLL', true, async (ref) => {
    const result = await pollJob(ref, now);
    run.polled++;
    if (result.outcome === 'COLLECT') {
      await startCollect(ref, now);
      run.collectsStarted++;
    }
    if (result.outcome !== 'WATCH') freed.add(ref.owner);
  });
  await each('SERVICE', !service.changed, async (ref) => {
    const job = await jobs.get(ref.owner, ref.jobId);
    if (job?.status === JobStatus.WAITING_FOR_SERVICE) {
      if (await startSubmit(job, now)) run.submitsStarted++;
    } else if (job) await rewatchIfStill(job, 'SERVICE', now);
  });
  run.submitsStarted += await wakeSlotWaiters(service.serviceId, freed, now, deadline);
  const tokens = await wakeTokenWaiters(service.serviceId, now, deadline);
  run.submitsStarted += tokens.started;
  run.expired += tokens.expired;
  await each('CANCEL', true, async (ref) => {
    await retryRemoteCancel(ref, now);
    run.cancelsRetried++;
  });
  // Last: executions that drive jobs, looked at every 5 minutes while they run. Many of them healthy must
  // not take the run's budget from jobs waiting to be submitted; what is left is due at the next run.
  await each('VALIDATE', true, async (ref) => {
    if (await restartIfGone(ref, 'VALIDATE', now)) run.redriven++;
  });
  await each('COLLECT', true, async (ref) => {
    if (await restartIfGone(ref, 'COLLECT', now)) {
      run.collectsStarted++;
      run.redriven++;
    }
  });
  await each('SUBMIT', true, async (ref) => {
    if (await restartIfGone(ref, 'SUBMIT', now)) {
      run.submitsStarted++;
      run.redriven++;
    }
  });
}

/** A job waiting on a service that stayed down past the outage limit ends EXPIRED. */
async function expireForOutage(ref: Ref, service: ServiceState, now: Date): Promise<boolean> {
  const job = await jobRepository().get(ref.owner, ref.jobId);
  if (!job || isTerminal(job.status) || job.status === JobStatus.COPYING_RESULTS) return false;
  const name = findService(job.serviceId)?.name ?? job.serviceId;
  const hours = Math.round((now.getTime() - Date.parse(service.since)) / 3_600_000);
  const submitted = Boolean(job.externalJobId);
  await endHereAndThere(job, JobStatus.EXPIRED, {
    error: {
      code: 'SERVICE_UNAVAILABLE',
      message: `${name} has been ${service.status === 'MAINTENANCE' ? 'in maintenance' : 'down'} for ${hours} h (since ${service.since}), past the limit of ${backoffEnv().SERVICE_OUTAGE_LIMIT_HOURS} h; the job was given up ${submitted ? 'after submission' : 'before it was submitted'}`,
    },
    now,
  });
  return true;
}

/** Starts the collect execution of a job whose results are to be copied (idempotent by name). */
async function startCollect(ref: Ref, now: Date, deps?: ExecutionDeps): Promise<void> {
  const job = await jobRepository().get(ref.owner, ref.jobId);
  if (job?.status !== JobStatus.COPYING_RESULTS) return;
  const round = (job.watch?.kind === 'COLLECT' ? job.watch.count : 0) + 1;
  const files = (job.remoteFiles ?? []).map((file, index) => ({ name: file.name, index }));
  const executionArn = await startExecution(
    `${job.jobId}-collect-${round}`,
    { jobId: job.jobId, owner: job.owner, collect: { files } },
    deps,
  );
  const watch = nextWatch(job.watch, 'COLLECT', after(now, EXECUTION_LOOK_SECONDS), now, {
    count: round,
  });
  await jobRepository().update(job.owner, job.jobId, { executionArn }, [JobStatus.COPYING_RESULTS], [], {
    serviceId: job.serviceId,
    watch,
  });
}

/**
 * A validation, collect or submit execution that should have ended by now: if it still runs, look again
 * later; if it is gone (failed without recording it, stopped by hand, lost in a restart of the local
 * stack), start it again. True when started.
 */
export async function restartIfGone(
  ref: Ref,
  kind: 'VALIDATE' | 'COLLECT' | 'SUBMIT',
  now: Date,
  deps?: ExecutionDeps,
): Promise<boolean> {
  const jobs = jobRepository();
  const job = await jobs.get(ref.owner, ref.jobId);
  if (!job) return false;
  const drivable =
    kind === 'VALIDATE'
      ? job.status === JobStatus.QUEUED || job.status === JobStatus.VALIDATING
      : kind === 'COLLECT'
        ? job.status === JobStatus.COPYING_RESULTS
        : // Submitted but not yet moved on (its execution lost right after the service took it): the
          // submit task's first step moves it to polling. A cancel requested is settled by that task
          // only before the service took the job; after, the watcher polls it (POLL).
          PRE_SUBMISSION_STATUSES.has(job.status) ||
          (job.status === JobStatus.CANCEL_REQUESTED && !job.externalJobId);
  if (!drivable) {
    // Moved on without its watch saying so: the watch that fits where it stands (a submission's lease
    // is given back: the job holds no upload any more).
    if (kind === 'SUBMIT') await uploadSlots().release(job.owner, job.serviceId, job.jobId);
    await rewatch(job, now);
    return false;
  }
  const execution = job.executionArn ? await executionState(job.executionArn, deps) : { status: 'MISSING' };
  // Still running: look again later. Ended lately: a submission's or a collect's last task may still be
  // uploading or downloading (a stopped execution does not stop it), so they wait until it cannot be.
  // (One that SUCCEEDED ran every task to its end: nothing of it can still be running.)
  const settled =
    execution.stopDate && execution.status !== 'SUCCEEDED'
      ? after(execution.stopDate, TASK_LONGEST_SECONDS)
      : undefined;
  const wait =
    execution.status === 'RUNNING'
      ? after(now, EXECUTION_LOOK_SECONDS)
      : kind !== 'VALIDATE' && settled && settled > now
        ? settled
        : undefined;
  if (wait) {
    const later = nextWatch(job.watch, kind, wait, now);
    await jobs.update(job.owner, job.jobId, {}, [job.status], [], { serviceId: job.serviceId, watch: later });
    return false;
  }
  if (kind === 'VALIDATE') {
    const round = (job.watch?.kind === 'VALIDATE' ? job.watch.count : 0) + 1;
    if (!(await redriven(job, 'validation', execution.status))) return false;
    const executionArn = await startExecution(
      `${job.jobId}-validate-${round}`,
      jobExecutionInput({ jobId: job.jobId, owner: job.owner, inputs: job.inputs.length }),
      deps,
    );
    await jobs.update(job.owner, job.jobId, { executionArn }, [job.status], [], {
      serviceId: job.serviceId,
      watch: nextWatch(job.watch, 'VALIDATE', after(now, EXECUTION_LOOK_SECONDS), now, { count: round }),
    });
    return true;
  }
  if (kind === 'COLLECT') {
    if (!(await redriven(job, 'collect', execution.status))) return false;
    await startCollect(ref, now, deps);
    return true;
  }
  // A cancel requested while the job waited (for a slot, the service or a token) after an attempt that
  // may have reached the service: its last execution ended its work before the cancel, and the submit
  // task settles the cancel (finds the job at the service by its marker, or is sure there is none). That
  // is the cancel's own path, not a lost execution: no re-drive counted.
  const settling =
    job.status === JobStatus.CANCEL_REQUESTED &&
    execution.status === 'SUCCEEDED' &&
    execution.stopDate !== undefined &&
    execution.stopDate.getTime() <= Date.parse(job.statusChangedAt);
  // SUBMIT: the task that held the upload lease is over; no other job of the owner waits on it any longer.
  if (!settling && !(await redriven(job, 'submission', execution.status))) return false;
  await uploadSlots().release(job.owner, job.serviceId, job.jobId);
  return startSubmit(job, now, deps);
}

/**
 * A job whose execution ended without moving it on (a bug, a manual stop, a redrive gone wrong, a restart
 * of the local stack): counted (`JobsRedriven`), logged, and said on its timeline, before it is driven again.
 */
async function redriven(job: JobRecord, what: string, was: string): Promise<boolean> {
  const noted = await jobRepository().noteEvent(
    job.owner,
    job.jobId,
    job.status,
    `resumed: its ${what} execution had ended (${was.toLowerCase()}) without moving the job on; started again`,
  );
  // The job moved since it was read (its execution ended right after moving it on): nothing to drive.
  if (!noted) return false;
  recordMetric('JobsRedriven', job.serviceId);
  logger.warn('execution gone; the watcher drives the job again', { jobId: job.jobId, what, was });
  return true;
}

/**
 * A job found through a wait's watch that no longer waits so (moved by a write that did not say what looks
 * after it next, e.g. a cancel requested while it waited): the watch that fits where it stands, unless
 * its watch changed meanwhile (then whoever changed it said).
 */
async function rewatchIfStill(job: JobRecord, kind: WatchKind, now: Date): Promise<void> {
  if (job.watch?.kind === kind) await rewatch(job, now);
}

/**
 * Starts a submit execution for the job, named by its attempt number. Its SUBMIT watch is written first,
 * conditional on the job's state, so a job that moved meanwhile is left alone and a run that dies after
 * the write finds the attempt due again later.
 */
export async function startSubmit(job: JobRecord, now: Date, deps?: ExecutionDeps): Promise<boolean> {
  const jobs = jobRepository();
  const attempt = (job.watch?.submits ?? 0) + 1;
  const watch: JobWatch = {
    ...nextWatch(job.watch, 'SUBMIT', after(now, EXECUTION_LOOK_SECONDS), now, { count: 0 }),
    // The wait's own start stays: the view says since when the job waits.
    since: job.watch?.since ?? now.toISOString(),
    submits: attempt,
  };
  const from = job.watch?.kind;
  if (from === 'SLOT' || from === 'SERVICE' || from === 'TOKEN') {
    watch.waited = { kind: from, baseWaitSeconds: job.watch!.baseWaitSeconds, count: job.watch!.count };
  }
  // The execution's ARN goes in with the watch, before it is started: a run that dies right after the
  // start leaves the job pointing at the execution that drives it (its look finds it RUNNING), never at an
  // old one whose end would have the attempt started a second time.
  const name = `${job.jobId}-submit-${attempt}`;
  const executionArn = executionArnFor(name, deps?.stateMachineArn);
  if (
    !(await jobs.update(job.owner, job.jobId, { executionArn }, [job.status], [], {
      serviceId: job.serviceId,
      watch,
    }))
  ) {
    return false;
  }
  await startExecution(name, { jobId: job.jobId, owner: job.owner, submit: true }, deps);
  return true;
}

/**
 * Jobs waiting for a slot: those due, and every one of an owner whose job at this service just ended.
 * Per owner, one listing of their jobs at the service says how many slots are free; that many of the
 * owner's waiting jobs (oldest first) get a submission, the others their next look.
 */
async function wakeSlotWaiters(
  serviceId: string,
  freed: Set<string>,
  now: Date,
  deadline: number,
): Promise<number> {
  const jobs = jobRepository();
  const waiting = new Map<string, Ref[]>();
  const add = (ref: Ref) => {
    const list = waiting.get(ref.owner) ?? [];
    if (!list.some((known) => known.jobId === ref.jobId)) list.push(ref);
    waiting.set(ref.owner, list);
  };
  // Everything waiting is read only when a slot was just freed (slot waits are few); otherwise the due ones.
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await jobs.watched(serviceId, 'SLOT', {
      ...(freed.size > 0 ? {} : { now }),
      limit: PAGE,
      cursor,
    });
    for (const ref of page.jobs) add(ref);
    cursor = page.cursor;
  } while (cursor && Date.now() < deadline);
  let started = 0;
  for (const [owner, refs] of waiting) {
    if (Date.now() > deadline) break;
    try {
      const read = await Promise.all(refs.map((ref) => jobs.get(ref.owner, ref.jobId)));
      for (const job of read) {
        if (job && job.status !== JobStatus.WAITING_FOR_SLOT) await rewatchIfStill(job, 'SLOT', now);
      }
      const records = read.filter((job): job is JobRecord => job?.status === JobStatus.WAITING_FOR_SLOT);
      const due = records.filter(
        (job) => freed.has(owner) || !job.watch || Date.parse(job.watch.nextAt) <= now.getTime(),
      );
      if (due.length === 0) continue;
      due.sort((a, b) => a.jobId.localeCompare(b.jobId));
      const free = await freeSlots(due[0]!);
      for (const [index, job] of due.entries()) {
        if (index < free) {
          if (await startSubmit(job, now)) started++;
        } else {
          await jobs.update(job.owner, job.jobId, {}, [JobStatus.WAITING_FOR_SLOT], [], {
            serviceId,
            watch: slotWatch(job, now),
          });
        }
      }
    } catch (error) {
      logger.error('watcher could not look at the slots of an owner', { serviceId, error: String(error) });
    }
  }
  return started;
}

/**
 * Jobs waiting for their owner's token: submitted as soon as the owner's credential for the service is
 * usable (stored, not refused since, not expired), read once per owner and run; past the outage limit
 * without one, the job ends EXPIRED.
 */
async function wakeTokenWaiters(
  serviceId: string,
  now: Date,
  deadline: number,
): Promise<{ started: number; expired: number }> {
  const jobs = jobRepository();
  const waiting = new Map<string, Ref[]>();
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await jobs.watched(serviceId, 'TOKEN', { limit: PAGE, cursor });
    for (const ref of page.jobs) waiting.set(ref.owner, [...(waiting.get(ref.owner) ?? []), ref]);
    cursor = page.cursor;
  } while (cursor && Date.now() < deadline);
  const counts = { started: 0, expired: 0 };
  const limitMs = backoffEnv().SERVICE_OUTAGE_LIMIT_HOURS * 3_600_000;
  for (const [owner, refs] of waiting) {
    if (Date.now() > deadline) break;
    try {
      const credential = await credentialStore().get(owner, serviceId);
      const usable =
        credential !== undefined &&
        !credential.rejectedAt &&
        (!credential.expiresAt || Date.parse(credential.expiresAt) > now.getTime());
      for (const ref of refs) {
        const job = await jobs.get(ref.owner, ref.jobId);
        if (job && job.status !== JobStatus.WAITING_FOR_TOKEN) await rewatchIfStill(job, 'TOKEN', now);
        if (job?.status !== JobStatus.WAITING_FOR_TOKEN) continue;
        if (usable) {
          if (await startSubmit(job, now)) counts.started++;
        } else if (job.watch && now.getTime() - Date.parse(job.watch.since) >= limitMs) {
          const name = findService(serviceId)?.name ?? serviceId;
          await endHereAndThere(job, JobStatus.EXPIRED, {
            error: {
              code: 'SERVICE_TOKEN_MISSING',
              message: `No working API token for ${name} was stored for ${Math.round((now.getTime() - Date.parse(job.watch.since)) / 3_600_000)} h (since ${job.watch.since}), past the limit of ${backoffEnv().SERVICE_OUTAGE_LIMIT_HOURS} h; the job was given up before it was submitted`,
            },
            now,
          });
          counts.expired++;
        }
      }
    } catch (error) {
      logger.error('watcher could not look at the token of an owner', { serviceId, error: String(error) });
    }
  }
  return counts;
}

/** The owner's free slots at the service, by the limit the service stated or the catalog's. */
async function freeSlots(job: JobRecord): Promise<number> {
  const service = findService(job.serviceId);
  if (!service) return 0;
  const seen = await uploadSlots().read(job.owner, job.serviceId);
  const limit = seen.serviceLimit ?? service.maxConcurrentJobs;
  try {
    const client = await ownerClient(job);
    const active = (await client.listRecentJobs(3)).filter(
      (remote) => remote.state !== undefined && SLOT_STATES.has(remote.state),
    ).length;
    return Math.max(0, limit - active);
  } catch (error) {
    // The owner's token is missing or refused: a submission attempt records that the jobs wait for one.
    if (error instanceof ServiceTokenInvalidError) return Number.POSITIVE_INFINITY;
    if (error instanceof JobFailure && error.code === 'SERVICE_TOKEN_MISSING')
      return Number.POSITIVE_INFINITY;
    throw error;
  }
}

function slotWatch(job: JobRecord, now: Date): JobWatch {
  const previous = job.watch?.kind === 'SLOT' ? job.watch : undefined;
  const base = nextWaitSeconds(previous?.baseWaitSeconds || undefined, false, slotWaitPolicy());
  return nextWatch(job.watch, 'SLOT', after(now, base), now, {
    baseWaitSeconds: base,
    count: (previous?.count ?? 0) + 1,
  });
}

/** Runs `act` over `items`, at most `limit` at once. */
export async function forEachLimited<T>(items: T[], limit: number, act: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await act(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
