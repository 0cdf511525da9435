/**
 * One poll of a submitted job, run by the watcher when the job's POLL watch is due (shared/health/
 * watch-jobs.ts): ask the service how the job is doing, record progress and the latest messages, and
 * schedule the next poll on the job's own item (backoff that doubles while nothing changes and resets on a
 * change). No execution waits meanwhile: a finished job gets a collect execution (copy, finalize); a job
 * the service failed, canceled or deleted needs none. The service being briefly unreachable, answering
 * what we cannot read or losing the job for a while is ridden out, never the job's end on the spot.
 */

import { createHash } from 'node:crypto';
import type { CloudgeneClient, CloudgeneJob } from '#shared/cloudgene/client';
import {
  CloudgeneError,
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ServiceTokenInvalidError,
} from '#shared/cloudgene/errors';
import { type JobRecord, jobRepository, type RemoteResultFile } from '#shared/jobs/job-repository';
import { isKnownRemoteState, isTerminal, JobStatus, statusFromRemoteState } from '#shared/jobs/job-status';
import { EXECUTION_LOOK_SECONDS, type JobWatch, nextWatch } from '#shared/jobs/job-watch';
import { withSighting } from '#shared/jobs/queue-estimate';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { settings } from '#shared/settings';
import { truncated } from '#shared/text-limit';
import { after, backoffEnv, nextWaitSeconds, pollPolicy } from './backoff';
import { type JobRef, loadJob, ownerClient } from './job-context';
import { endHereAndThere } from './remote-cancel';
import { JobFailure } from './task-errors';

const ACTIVE = [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING, JobStatus.CANCEL_REQUESTED];
const MAX_MESSAGES = 20;
/** Pages of the owner's job list read to confirm a job is gone. */
const LIST_PAGES_READ = 40;
/** Cloudgene states in which the job waits at the service rather than runs (1 waiting, -1 dead). */
const WAITING_STATES = new Set([1, -1]);

export interface RemoteFileRef {
  name: string;
  index: number;
}

/**
 * What became of the job: `WATCH` (still at the service; its next poll is scheduled on its item),
 * `COLLECT` (finished there: its result files are to be copied), `ENDED` (nothing more to do).
 */
export type PollResult =
  | { outcome: 'WATCH'; watch: JobWatch }
  | { outcome: 'COLLECT'; files: RemoteFileRef[] }
  | { outcome: 'ENDED' };

/** The watch of the next poll: the backoff grows from the last one, back to its start on a change. */
export function nextPollWatch(job: JobRecord, changed: boolean, now: Date, lastChange?: string): JobWatch {
  const previous = job.watch?.kind === 'POLL' ? job.watch : undefined;
  const base = nextWaitSeconds(previous?.baseWaitSeconds || undefined, changed, pollPolicy());
  return nextWatch(job.watch, 'POLL', after(now, base), now, {
    baseWaitSeconds: base,
    count: (previous?.count ?? 0) + 1,
    ...(lastChange !== undefined ? { lastChange } : {}),
  });
}

export async function pollJob(ref: JobRef, now = new Date()): Promise<PollResult> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (isTerminal(job.status) || !job.externalJobId) return { outcome: 'ENDED' };
  if (job.status === JobStatus.COPYING_RESULTS) return copyOutcome(job.remoteFiles ?? []);
  if (!ACTIVE.includes(job.status as (typeof ACTIVE)[number])) return { outcome: 'ENDED' };
  const watchOf = (watch: JobWatch) => ({ serviceId: job.serviceId, watch });
  const keepWatching = async (
    watch: JobWatch,
    set: Partial<JobRecord> = {},
    remove: (keyof JobRecord)[] = [],
  ) => {
    await jobs.update(job.owner, job.jobId, set, ACTIVE, remove, watchOf(watch));
    return { outcome: 'WATCH' as const, watch };
  };

  let client: CloudgeneClient;
  try {
    client = await ownerClient(job);
  } catch (error) {
    if (!(error instanceof JobFailure) || error.code !== 'SERVICE_TOKEN_MISSING') throw error;
    if (await rideOut(job, undefined, 'TOKEN', error.message, now)) return { outcome: 'ENDED' };
    return keepWatching(nextPollWatch(job, false, now), {
      remoteTrouble: troubleOf(job, 'TOKEN', error.message, now),
    });
  }
  recordMetric('Polls', job.serviceId);

  if (job.status === JobStatus.CANCEL_REQUESTED) {
    await client.cancelJob(job.externalJobId).catch((error: unknown) => {
      logger.warn('cancel at the service failed; will retry on the next poll', {
        jobId: job.jobId,
        error: String(error),
      });
    });
  }

  let remote: Awaited<ReturnType<typeof client.getJob>>;
  try {
    remote = await client.getJob(job.externalJobId);
    if (!isKnownRemoteState(remote.state)) {
      throw new CloudgeneProtocolError(
        `the service answered job state ${remote.state}, which its API does not have`,
      );
    }
  } catch (error) {
    // Any other refusal of a status call (400, 409, 429…) is the service answering badly too: ridden
    // out with backoff like an outage (and ended past its limit), never polled every minute for ever.
    const kind =
      error instanceof CloudgeneNotFoundError
        ? 'NOT_FOUND'
        : error instanceof ServiceTokenInvalidError
          ? 'TOKEN'
          : error instanceof CloudgeneError
            ? 'UNWELL'
            : undefined;
    if (!kind) throw error;
    logger.warn('service trouble while polling; riding it out', {
      jobId: job.jobId,
      kind,
      error: (error as Error).message,
    });
    const ended = await rideOut(job, client, kind, (error as Error).message, now);
    if (ended) return { outcome: 'ENDED' };
    return keepWatching(nextPollWatch(job, false, now), {
      remoteTrouble: troubleOf(job, kind, (error as Error).message, now),
    });
  }

  const messages = remote.steps.flatMap((step) =>
    step.logMessages.map((log) => ({
      step: truncated(step.name, 200),
      type: log.type,
      message: truncated(plainText(log.message)),
    })),
  );
  const latest = messages.slice(-MAX_MESSAGES);
  // A digest of what the owner would see change; the text itself lives on the job.
  // The backoff resets on a new state or message, not on a queue position that moves by one: a queued
  // job whose place changes at every poll would otherwise be polled every minute for its whole wait.
  const fingerprint = createHash('sha256')
    .update(`${remote.state}|${messages.length}|${latest.at(-1)?.message ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
  const previousWatch = job.watch?.kind === 'POLL' ? job.watch : undefined;
  const changed = fingerprint !== previousWatch?.lastChange;
  // The view still records every new position (the console's estimate reads them).
  const moved = remote.positionInQueue !== job.remote?.positionInQueue;
  const checkedAt = now.toISOString();
  const waiting = WAITING_STATES.has(remote.state);
  const remoteView = {
    state: remote.state,
    positionInQueue: remote.positionInQueue,
    messages: latest,
    checkedAt,
    queueTrail:
      remote.state === 1 && remote.positionInQueue !== undefined
        ? withSighting(job.remote?.queueTrail, { at: checkedAt, position: remote.positionInQueue })
        : job.remote?.queueTrail,
    ...(waiting ? { waitingSince: job.remote?.waitingSince ?? job.statusChangedAt } : {}),
  };
  const target = statusFromRemoteState(remote.state);
  const clearTrouble: (keyof JobRecord)[] = job.remoteTrouble ? ['remoteTrouble'] : [];

  switch (target) {
    case JobStatus.QUEUED_REMOTE:
    case JobStatus.RUNNING: {
      const { QUEUE_DEADLINE_HOURS } = backoffEnv();
      const waitedMs = remoteView.waitingSince ? now.getTime() - Date.parse(remoteView.waitingSince) : 0;
      if (waiting && waitedMs >= QUEUE_DEADLINE_HOURS * 3_600_000) {
        const hours = Math.round(waitedMs / 3_600_000);
        await endHereAndThere(job, JobStatus.EXPIRED, {
          from: ACTIVE,
          client,
          error: {
            code: 'SERVICE_QUEUE_DEADLINE',
            message: `The service kept the job ${remote.state === 1 ? 'waiting in its queue' : 'stopped without running it'} for ${hours} h (since ${remoteView.waitingSince}), past the limit of ${QUEUE_DEADLINE_HOURS} h; it was given up`,
          },
          set: { remote: remoteView },
        });
        return { outcome: 'ENDED' };
      }
      const watch = nextPollWatch(job, changed, now, fingerprint);
      if (job.status !== target && job.status !== JobStatus.CANCEL_REQUESTED) {
        await jobs.transition(job.owner, job.jobId, target, {
          from: [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING].filter((status) => status !== target),
          set: { remote: remoteView },
          remove: clearTrouble,
          detail: latest.at(-1)?.message,
          watch,
          serviceId: job.serviceId,
        });
        return { outcome: 'WATCH', watch };
      }
      return keepWatching(
        watch,
        changed || moved || job.remoteTrouble ? { remote: remoteView } : {},
        clearTrouble,
      );
    }
    case JobStatus.COPYING_RESULTS: {
      const { files: remoteFiles, skipped } = resultFilesToCopy(remote.outputParams);
      const tooMany = tooManyFiles(remoteFiles.length, 'result');
      if (tooMany) {
        await jobs.transition(job.owner, job.jobId, JobStatus.FAILED, {
          from: ACTIVE,
          set: { remote: remoteView, error: tooMany },
          remove: clearTrouble,
        });
        return { outcome: 'ENDED' };
      }
      await jobs.transition(job.owner, job.jobId, JobStatus.COPYING_RESULTS, {
        from: ACTIVE,
        set: { remote: remoteView, remoteFiles, copyOutcomes: {} },
        remove: clearTrouble,
        detail:
          `${remoteFiles.length} result file(s) to copy` +
          (skipped > 0 ? `; ${skipped} service log or non-downloadable file(s) skipped` : ''),
        watch: collectWatch(job, now),
        serviceId: job.serviceId,
      });
      return copyOutcome(remoteFiles);
    }
    case JobStatus.FAILED: {
      const errors = messages.filter((m) => m.type === 1).map((m) => m.message);
      const error = {
        code: 'SERVICE_JOB_FAILED',
        message: truncated(errors.join('\n')) || 'The service reports the job as failed without a message',
      };
      // What the service wrote before failing (QC report, statistics such as chunks-excluded.txt) is what
      // tells the researcher why: it is copied like results, and the job still ends FAILED (finish-job.ts).
      // Past MAX_RESULT_FILES none are: the job fails with the service's error at once.
      const { files: remoteFiles } = resultFilesToCopy(remote.outputParams);
      if (remoteFiles.length > 0 && !tooManyFiles(remoteFiles.length, 'report')) {
        await jobs.transition(job.owner, job.jobId, JobStatus.COPYING_RESULTS, {
          from: ACTIVE,
          set: { remote: remoteView, remoteFiles, copyOutcomes: {}, serviceFailure: error },
          remove: clearTrouble,
          detail: `the service failed the job; ${remoteFiles.length} report file(s) it wrote to copy`,
          watch: collectWatch(job, now),
          serviceId: job.serviceId,
        });
        return copyOutcome(remoteFiles);
      }
      await jobs.transition(job.owner, job.jobId, JobStatus.FAILED, {
        from: ACTIVE,
        set: { remote: remoteView, error },
        remove: clearTrouble,
      });
      return { outcome: 'ENDED' };
    }
    default: {
      await jobs.transition(job.owner, job.jobId, target, {
        from: ACTIVE,
        set: { remote: remoteView },
        remove: clearTrouble,
        detail:
          target === JobStatus.CANCELED ? 'canceled at the service' : 'the service deleted the job data',
      });
      return { outcome: 'ENDED' };
    }
  }
}

/**
 * The watch of a job whose results are being copied: due when its collect execution should long have
 * ended, so the watcher can start another if that one is gone (the execution's end removes it).
 */
export function collectWatch(job: JobRecord, now: Date): JobWatch {
  return nextWatch(job.watch, 'COLLECT', after(now, EXECUTION_LOOK_SECONDS), now, { count: 0 });
}

type TroubleKind = NonNullable<JobRecord['remoteTrouble']>['kind'];

function troubleOf(job: JobRecord, kind: TroubleKind, detail: string, now: Date) {
  const earlier = job.remoteTrouble?.kind === kind ? job.remoteTrouble : undefined;
  return {
    kind,
    since: earlier?.since ?? now.toISOString(),
    count: (earlier?.count ?? 0) + 1,
    lastAt: now.toISOString(),
    detail: truncated(detail),
  };
}

/**
 * One more sign of trouble at the service for this job. A job ends only on proof: a 404 held for
 * NOT_FOUND_CONFIRM_SECONDS over at least 3 polls AND the job absent from the owner's job list at the
 * service (EXPIRED); or the service unreachable, unreadable or refusing the owner's token past
 * SERVICE_OUTAGE_LIMIT_HOURS (EXPIRED, and canceled there if it can be). True when the job ended; the
 * caller records the trouble otherwise.
 */
async function rideOut(
  job: JobRecord,
  client: CloudgeneClient | undefined,
  kind: TroubleKind,
  detail: string,
  now: Date,
): Promise<boolean> {
  const trouble = troubleOf(job, kind, detail, now);
  const lastedMs = now.getTime() - Date.parse(trouble.since);
  const minutes = Math.round(lastedMs / 60_000);
  const { NOT_FOUND_CONFIRM_SECONDS, SERVICE_OUTAGE_LIMIT_HOURS } = backoffEnv();
  if (kind === 'NOT_FOUND' && client && trouble.count >= 3 && lastedMs >= NOT_FOUND_CONFIRM_SECONDS * 1000) {
    // The list is the service's own word on which jobs the owner has: a job missing from all of it is
    // gone. A list longer than what is read (LIST_PAGES_READ pages) proves nothing, and the job is kept.
    const listed = await client.listJobs(LIST_PAGES_READ).catch(() => undefined);
    if (listed?.complete && !listed.jobs.some((entry) => entry.id === job.externalJobId)) {
      const end = `the service no longer has this job: it answered 404 for ${minutes} min (${trouble.count} times) and the job is not in your job list there`;
      await jobRepository().transition(job.owner, job.jobId, JobStatus.EXPIRED, {
        from: ACTIVE,
        set: { remoteTrouble: trouble, error: { code: 'SERVICE_JOB_NOT_FOUND', message: end } },
        detail: end,
      });
      return true;
    }
  }
  if (kind !== 'NOT_FOUND' && lastedMs >= SERVICE_OUTAGE_LIMIT_HOURS * 3_600_000) {
    const hours = Math.round(lastedMs / 3_600_000);
    const what =
      kind === 'TOKEN'
        ? 'your API token for the service was missing or refused'
        : 'the service stayed unreachable or answered what we could not read';
    await endHereAndThere(job, JobStatus.EXPIRED, {
      from: ACTIVE,
      client,
      error: {
        code: kind === 'TOKEN' ? 'SERVICE_TOKEN_INVALID' : 'SERVICE_UNAVAILABLE',
        message: `${what} for ${hours} h (since ${trouble.since}; last: ${trouble.detail}); the job was given up here`,
      },
      set: { remoteTrouble: trouble },
    });
    return true;
  }
  return false;
}

/** Output parameters a user never needs: the service's own logs (admin accounts see them). */
const SERVICE_LOG_PARAMS = new Set(['cloudgene_logs']);

/**
 * The files worth copying: everything the service lists, except its log parameter and anything marked
 * not downloadable (admin-only files are not meant for the share route). Two parameters listing the
 * same name get distinct object names.
 */
/** The longest result file name (and download key) taken from a listing; real ones are under 100. */
export const MAX_RESULT_NAME = 256;

export function resultFilesToCopy(outputParams: CloudgeneJob['outputParams']): {
  files: RemoteResultFile[];
  skipped: number;
} {
  const files: RemoteResultFile[] = [];
  const taken = new Set<string>();
  let skipped = 0;
  for (const param of outputParams) {
    const excluded =
      SERVICE_LOG_PARAMS.has(param.name) || param.adminOnly === true || param.download === false;
    for (const file of param.files) {
      // A name or key no real listing has (S3 keys end at 1,024 bytes; the item must stay small).
      const unusable = file.name.length > MAX_RESULT_NAME || file.hash.length > MAX_RESULT_NAME;
      if (excluded || unusable || (file as { download?: unknown }).download === false) {
        skipped++;
        continue;
      }
      if (files.some((f) => f.hash === file.hash && f.name === file.name)) continue;
      const target = taken.has(file.name) ? `${param.name || 'output'}/${file.name}` : file.name;
      taken.add(target);
      files.push({
        name: file.name,
        hash: file.hash,
        size: String(file.size ?? ''),
        param: param.name,
        ...(target !== file.name ? { target } : {}),
      });
    }
  }
  return { files, skipped };
}

/**
 * The job's error when the service lists more files than this deployment copies (MAX_RESULT_FILES): none
 * is copied (the list alone could outgrow the job's item), and they stay at the service.
 */
function tooManyFiles(
  count: number,
  what: 'result' | 'report',
): { code: string; message: string } | undefined {
  const { MAX_RESULT_FILES } = settings.resultLimits();
  if (count <= MAX_RESULT_FILES) return undefined;
  return {
    code: 'TOO_MANY_RESULT_FILES',
    message: `The service listed ${count} ${what} files, more than the ${MAX_RESULT_FILES} this gateway copies (MAX_RESULT_FILES); none was copied: download them from the job's page at the service before it deletes them`,
  };
}

function copyOutcome(remoteFiles: { name: string }[]): PollResult {
  return { outcome: 'COLLECT', files: remoteFiles.map((file, index) => ({ name: file.name, index })) };
}

/** Service log messages may contain HTML; the API shows plain text. */
export function plainText(message: string): string {
  return message
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
