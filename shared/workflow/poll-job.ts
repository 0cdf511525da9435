/**
 * Workflow step 3, repeated: ask the service how the job is doing, record progress and the latest
 * messages, and decide the next wait (backoff that resets on change). The service being briefly
 * unreachable is not a failure: the loop waits and asks again. After a bounded number of polls the
 * execution continues as a new one, so a day-long job never nears the history limit.
 */

import { createHash } from 'node:crypto';
import type { CloudgeneClient, CloudgeneJob } from '#shared/cloudgene/client';
import {
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import { type JobRecord, jobRepository, type RemoteResultFile } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus, statusFromRemoteState } from '#shared/jobs/job-status';
import { withSighting } from '#shared/jobs/queue-estimate';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { backoffEnv, nextWaitSeconds, pollPolicy, scaledWait } from './backoff';
import { type JobRef, loadJob, ownerClient } from './job-context';
import type { PollState } from './poll-state';

const ACTIVE = [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING, JobStatus.CANCEL_REQUESTED];
const MAX_MESSAGES = 20;
/** Pages of the owner's job list read to confirm a job is gone. */
const LIST_PAGES_READ = 40;

export interface RemoteFileRef {
  name: string;
  index: number;
}

export async function pollImputationJob(
  ref: JobRef,
  previous: PollState,
): Promise<PollState & { files?: RemoteFileRef[] }> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (isTerminal(job.status) || !job.externalJobId) return { outcome: 'STOPPED' };
  if (job.status === JobStatus.COPYING_RESULTS) return copyOutcome(job.remoteFiles ?? []);

  const client = await ownerClient(job);
  const pollCount = (previous.pollCount ?? 0) + 1;
  recordMetric('Polls', job.serviceId);
  const wait = (changed: boolean, extra: Partial<PollState> = {}): PollState => {
    const base = nextWaitSeconds(previous.baseWaitSeconds, changed, pollPolicy());
    const outcome = pollCount >= backoffEnv().MAX_POLLS_PER_EXECUTION ? 'CONTINUE' : 'WAIT';
    return {
      ...previous,
      ...extra,
      outcome,
      baseWaitSeconds: base,
      waitSeconds: scaledWait(base),
      pollCount,
    };
  };

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
  } catch (error) {
    const kind =
      error instanceof CloudgeneNotFoundError
        ? 'NOT_FOUND'
        : error instanceof ServiceUnavailableError || error instanceof CloudgeneProtocolError
          ? 'UNWELL'
          : undefined;
    if (!kind) throw error;
    logger.warn('service trouble while polling; riding it out', {
      jobId: job.jobId,
      kind,
      error: (error as Error).message,
    });
    const ended = await rideOut(job, client, kind, (error as Error).message);
    return ended ? { outcome: 'STOPPED' } : wait(false);
  }
  if (job.remoteTrouble) await jobs.update(job.owner, job.jobId, {}, ACTIVE, ['remoteTrouble']);

  const messages = remote.steps.flatMap((step) =>
    step.logMessages.map((log) => ({ step: step.name, type: log.type, message: plainText(log.message) })),
  );
  const latest = messages.slice(-MAX_MESSAGES);
  // A digest, not the text: the service's messages stay out of the execution state (they live on the job).
  const fingerprint = createHash('sha256')
    .update(
      `${remote.state}|${remote.positionInQueue ?? ''}|${messages.length}|${latest.at(-1)?.message ?? ''}`,
    )
    .digest('base64url')
    .slice(0, 16);
  const changed = fingerprint !== previous.lastChange;
  const checkedAt = new Date().toISOString();
  const remoteView = {
    state: remote.state,
    positionInQueue: remote.positionInQueue,
    messages: latest,
    checkedAt,
    queueTrail:
      remote.state === 1 && remote.positionInQueue !== undefined
        ? withSighting(job.remote?.queueTrail, { at: checkedAt, position: remote.positionInQueue })
        : job.remote?.queueTrail,
  };
  const target = statusFromRemoteState(remote.state);

  switch (target) {
    case JobStatus.QUEUED_REMOTE:
    case JobStatus.RUNNING: {
      if (job.status !== target && job.status !== JobStatus.CANCEL_REQUESTED) {
        await jobs.transition(job.owner, job.jobId, target, {
          from: [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING].filter((status) => status !== target),
          set: { remote: remoteView },
          detail: latest.at(-1)?.message,
        });
      } else if (changed) {
        await jobs.update(job.owner, job.jobId, { remote: remoteView }, ACTIVE);
      }
      return wait(changed, { remoteState: remote.state, lastChange: fingerprint });
    }
    case JobStatus.COPYING_RESULTS: {
      const { files: remoteFiles, skipped } = resultFilesToCopy(remote.outputParams);
      await jobs.transition(job.owner, job.jobId, JobStatus.COPYING_RESULTS, {
        from: ACTIVE,
        set: { remote: remoteView, remoteFiles, copyOutcomes: {} },
        detail:
          `${remoteFiles.length} result file(s) to copy` +
          (skipped > 0 ? `; ${skipped} service log or non-downloadable file(s) skipped` : ''),
      });
      return copyOutcome(remoteFiles);
    }
    case JobStatus.FAILED: {
      const errors = messages.filter((m) => m.type === 1).map((m) => m.message);
      const error = {
        code: 'SERVICE_JOB_FAILED',
        message: errors.join('\n') || 'The service reports the job as failed without a message',
      };
      // What the service wrote before failing (QC report, statistics such as chunks-excluded.txt) is what
      // tells the researcher why: it is copied like results, and the job still ends FAILED (finish-job.ts).
      const { files: remoteFiles } = resultFilesToCopy(remote.outputParams);
      if (remoteFiles.length > 0) {
        await jobs.transition(job.owner, job.jobId, JobStatus.COPYING_RESULTS, {
          from: ACTIVE,
          set: { remote: remoteView, remoteFiles, copyOutcomes: {}, serviceFailure: error },
          detail: `the service failed the job; ${remoteFiles.length} report file(s) it wrote to copy`,
        });
        return copyOutcome(remoteFiles);
      }
      await jobs.transition(job.owner, job.jobId, JobStatus.FAILED, {
        from: ACTIVE,
        set: { remote: remoteView, error },
      });
      return { outcome: 'STOPPED' };
    }
    default: {
      await jobs.transition(job.owner, job.jobId, target, {
        from: ACTIVE,
        set: { remote: remoteView },
        detail:
          target === JobStatus.CANCELED ? 'canceled at the service' : 'the service deleted the job data',
      });
      return { outcome: 'STOPPED' };
    }
  }
}

/**
 * One more sign of trouble at the service for this job, recorded on it. A job ends only on proof: a 404
 * held for NOT_FOUND_CONFIRM_SECONDS over at least 3 polls AND the job absent from the owner's job list
 * at the service (EXPIRED); or the service unreachable or unreadable past SERVICE_OUTAGE_LIMIT_HOURS
 * (EXPIRED, cancelled there if it can be). True when the job ended.
 */
async function rideOut(
  job: JobRecord,
  client: CloudgeneClient,
  kind: 'NOT_FOUND' | 'UNWELL',
  detail: string,
): Promise<boolean> {
  const jobs = jobRepository();
  const now = new Date();
  const earlier = job.remoteTrouble?.kind === kind ? job.remoteTrouble : undefined;
  const trouble = {
    kind,
    since: earlier?.since ?? now.toISOString(),
    count: (earlier?.count ?? 0) + 1,
    lastAt: now.toISOString(),
    detail: detail.slice(0, 500),
  };
  const lastedMs = now.getTime() - Date.parse(trouble.since);
  const minutes = Math.round(lastedMs / 60_000);
  const { NOT_FOUND_CONFIRM_SECONDS, SERVICE_OUTAGE_LIMIT_HOURS } = backoffEnv();
  let end: string | undefined;
  if (kind === 'NOT_FOUND' && trouble.count >= 3 && lastedMs >= NOT_FOUND_CONFIRM_SECONDS * 1000) {
    // The list is the service's own word on which jobs the owner has: a job missing from all of it is
    // gone. A list longer than what is read (LIST_PAGES_READ pages) proves nothing, and the job is kept.
    const listed = await client.listJobs(LIST_PAGES_READ).catch(() => undefined);
    if (listed?.complete && !listed.jobs.some((entry) => entry.id === job.externalJobId)) {
      end = `the service no longer has this job: it answered 404 for ${minutes} min (${trouble.count} times) and the job is not in your job list there`;
    }
  }
  if (kind === 'UNWELL' && lastedMs >= SERVICE_OUTAGE_LIMIT_HOURS * 3_600_000) {
    const cancelled = await client.cancelJob(job.externalJobId!).then(
      () => 'cancelled there',
      () => 'a cancel there did not go through',
    );
    end = `the service stayed unreachable or answered what we could not read for ${Math.round(lastedMs / 3_600_000)} h (since ${trouble.since}; last: ${trouble.detail}); the job was given up here and ${cancelled}`;
  }
  if (end) {
    await jobs.transition(job.owner, job.jobId, JobStatus.EXPIRED, {
      from: ACTIVE,
      set: {
        remoteTrouble: trouble,
        error: { code: kind === 'NOT_FOUND' ? 'SERVICE_JOB_NOT_FOUND' : 'SERVICE_UNAVAILABLE', message: end },
      },
      detail: end,
    });
    return true;
  }
  await jobs.update(job.owner, job.jobId, { remoteTrouble: trouble }, ACTIVE);
  return false;
}

/** Output parameters a user never needs: the service's own logs (admin accounts see them). */
const SERVICE_LOG_PARAMS = new Set(['cloudgene_logs']);

/**
 * The files worth copying: everything the service lists, except its log parameter and anything marked
 * not downloadable (admin-only files are not meant for the share route). Two parameters listing the
 * same name get distinct object names.
 */
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
      if (excluded || (file as { download?: unknown }).download === false) {
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

function copyOutcome(remoteFiles: { name: string }[]) {
  return { outcome: 'COPY', files: remoteFiles.map((file, index) => ({ name: file.name, index })) };
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
