/** The workflow's last steps: record the copied results (SUCCEEDED), or the failure Step Functions caught. */
import {
  type JobRecord,
  type JobResultFile,
  JobTransitionConflict,
  jobRepository,
  type MissingResultFile,
} from '#shared/jobs/job-repository';
import { isTerminal, JobStatus, jobStatuses } from '#shared/jobs/job-status';
import { nextWatch } from '#shared/jobs/job-watch';
import { deleteResultObject, resultKey } from '#shared/jobs/result-store';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { truncated } from '#shared/text-limit';
import { type JobRef, loadJob, ownerClient, submissionMarker } from './job-context';
import { endHereAndThere } from './remote-cancel';
import { describeFailure } from './task-errors';
import { uploadSlots } from './upload-slots';

/** What the Map state hands over per file: the copy's summary, or the error it gave up with. */
export interface CopyResultItem {
  index?: number;
  name?: string;
  status?: string;
  /** The error type of a copy that gave up after its retries. */
  error?: string;
}

/** Imputed genotypes: the per-chromosome zips (or plain dosage VCFs); the rest are reports and logs. */
export function isImputedResult(name: string): boolean {
  return /\.zip$/i.test(name) || /\.dose\.vcf\.gz$/i.test(name);
}

/**
 * Ends the copy phase from the outcomes each copy recorded on the job. Missing files do not undo the
 * others: the job succeeds with a warning naming them, unless no imputed result (no file at all, in QC
 * mode) could be copied, then it fails with a code that says what happened. Either way every copied
 * file is listed in `results`, and an unrecorded object left by a copy that gave up is removed.
 */
export async function finalizeJob(
  ref: JobRef,
  items: CopyResultItem[] = [],
): Promise<{ outcome: 'SUCCEEDED' | 'FAILED' | 'SERVICE_FAILED' | 'STOPPED' }> {
  const job = await loadJob(ref);
  if (job.status !== JobStatus.COPYING_RESULTS) return { outcome: 'STOPPED' };
  const { copied, missing } = await settleOutcomes(job, items);
  const bytes = copied.reduce((sum, file) => sum + file.size, 0);
  const needed = job.mode === 'qc_only' ? copied : copied.filter((file) => isImputedResult(file.name));
  // One message about many files: kept to about 1 KB like any other (the list is in missingResults).
  const describe = (files: MissingResultFile[]) =>
    truncated(files.map((file) => `${file.name} (${file.reason})`).join(', '));

  if (job.serviceFailure) {
    // The service failed the job; what it wrote before (QC report, statistics) is kept for the owner.
    await jobRepository().transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: [JobStatus.COPYING_RESULTS],
      set: { results: copied, missingResults: missing, error: job.serviceFailure },
      detail: `${job.serviceFailure.code}; ${copied.length} report file(s) of the service copied`,
    });
    recordMetric('JobsFailed', job.serviceId);
    // Not a failure of ours: the execution ends like one whose job the service failed without reports.
    return { outcome: 'SERVICE_FAILED' };
  }

  if (needed.length === 0) {
    const listedImputed = (job.remoteFiles ?? []).filter((file) => isImputedResult(file.name));
    const missingNeeded = missing.filter((file) => job.mode === 'qc_only' || isImputedResult(file.name));
    const error =
      job.mode !== 'qc_only' && listedImputed.length === 0
        ? {
            code: 'NO_IMPUTED_RESULTS',
            message: `The service finished the job but listed no imputed result (*.zip); it listed ${(job.remoteFiles ?? []).length} other file(s)`,
          }
        : missingNeeded.length > 0 && missingNeeded.every((file) => file.code === 'DOWNLOADS_EXHAUSTED')
          ? {
              code: 'DOWNLOADS_EXHAUSTED',
              message: `The service allows no more downloads of the imputed results: ${describe(missingNeeded)}`,
            }
          : {
              code: 'RESULTS_UNAVAILABLE',
              message: `The service listed the results but none of the imputed results could be downloaded: ${describe(missingNeeded)}`,
            };
    await jobRepository().transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: [JobStatus.COPYING_RESULTS],
      set: { results: copied, missingResults: missing, error },
      detail: `${error.code}; ${copied.length} other result file(s) copied`,
    });
    recordMetric('JobsFailed', job.serviceId);
    return { outcome: 'FAILED' };
  }

  const warnings =
    missing.length > 0
      ? [
          {
            code: 'RESULT_FILES_MISSING',
            message: `${missing.length} of ${missing.length + copied.length} result files could not be copied: ${describe(missing)}`,
          },
        ]
      : [];
  await jobRepository().transition(ref.owner, ref.jobId, JobStatus.SUCCEEDED, {
    from: [JobStatus.COPYING_RESULTS],
    set: { results: copied, missingResults: missing, warnings },
    detail:
      `${copied.length} result file(s), ${bytes} bytes copied` +
      (missing.length > 0 ? `; ${missing.length} missing` : ''),
  });
  recordMetric('JobsSucceeded', job.serviceId);
  return { outcome: 'SUCCEEDED' };
}

/** Per listed file: its recorded outcome, or a copy that gave up (whose unrecorded object is removed). */
async function settleOutcomes(job: JobRecord, items: CopyResultItem[]) {
  const copied: JobResultFile[] = [];
  const missing: MissingResultFile[] = [];
  for (const [index, remote] of (job.remoteFiles ?? []).entries()) {
    const outcome = job.copyOutcomes?.[String(index)];
    if (outcome?.status === 'COPIED') {
      copied.push({ name: outcome.name, key: outcome.key, size: outcome.size, sha256: outcome.sha256 });
      continue;
    }
    if (outcome) {
      missing.push({ name: outcome.name, code: outcome.code, reason: outcome.reason });
      continue;
    }
    const gaveUp = items.find((item) => item.index === index);
    await deleteResultObject(resultKey(job.owner, job.jobId, remote.target ?? remote.name));
    missing.push({
      name: remote.name,
      code: 'COPY_FAILED',
      reason: `the copy did not complete${gaveUp?.error ? ` (${gaveUp.error})` : ''}`,
    });
  }
  return { copied, missing };
}

/** Step Functions hands the error type and a cause that is either plain text or Lambda's JSON error. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

export async function recordJobFailure(
  ref: JobRef,
  errorType: string,
  cause: string | undefined,
): Promise<void> {
  const job = await jobRepository().get(ref.owner, ref.jobId);
  // The full message was recorded on the job by the task that threw (the state carries only its name).
  const recorded = job?.lastFailure?.type === errorType ? job.lastFailure.message : undefined;
  // A job the service had failed keeps the service's reason, whatever failed while copying its reports.
  const error = job?.serviceFailure ?? describeFailure(errorType, recorded ?? causeMessage(cause));
  logger.error('job failed', { jobId: ref.jobId, errorType, code: error.code });
  // Files copied before the failure stay listed (and downloadable), never orphaned in the bucket.
  const results = Object.values(job?.copyOutcomes ?? {}).flatMap((outcome) =>
    outcome.status === 'COPIED'
      ? [{ name: outcome.name, key: outcome.key, size: outcome.size, sha256: outcome.sha256 }]
      : [],
  );
  // A lease the failed task may hold is given back now, not when it goes stale.
  if (job)
    await uploadSlots()
      .release(job.owner, job.serviceId, job.jobId)
      .catch(() => undefined);
  const set = { ...(results.length > 0 ? { results } : {}) };
  try {
    if (job?.externalJobId && MAY_RUN_THERE.has(job.status)) {
      // Ended here ⇒ ended there: the service is asked to cancel it, and the watcher retries if need be.
      await endHereAndThere(job, JobStatus.FAILED, {
        from: jobStatuses.filter((status) => !isTerminal(status)),
        error,
        set,
      });
    } else {
      await jobRepository().transition(ref.owner, ref.jobId, JobStatus.FAILED, {
        from: jobStatuses.filter((status) => !isTerminal(status)),
        set: { error, ...set },
        detail: error.code,
      });
    }
    if (job) recordMetric('JobsFailed', job.serviceId);
  } catch (failure) {
    // Already in a final state (e.g. canceled meanwhile, or the job was deleted): nothing to record.
    if (!(failure instanceof JobTransitionConflict)) throw failure;
  }
  if (job?.submissionAttemptAt && !job.externalJobId) await cancelLostSubmission(job);
}

/** States in which the service may still run the job (a job copying results has finished there). */
const MAY_RUN_THERE: ReadonlySet<string> = new Set([
  JobStatus.SUBMITTING,
  JobStatus.WAITING_FOR_SLOT,
  JobStatus.WAITING_FOR_SERVICE,
  JobStatus.QUEUED_REMOTE,
  JobStatus.RUNNING,
  JobStatus.CANCEL_REQUESTED,
]);

/**
 * The job failed while an upload's outcome was unknown (its answer was lost and the retries ran out):
 * the service may have accepted it. Find it by its marker and cancel it, so nothing runs on unseen.
 */
async function cancelLostSubmission(job: JobRecord): Promise<void> {
  try {
    const client = await ownerClient(job);
    const found = await client.findJobByName(submissionMarker(job.jobId));
    if (!found) return;
    await jobRepository().update(job.owner, job.jobId, { externalJobId: found.id }, [JobStatus.FAILED]);
    const canceled = await client.cancelJob(found.id).then(
      () => true,
      () => false,
    );
    const now = new Date();
    // A cancel that did not go through is retried by the watcher (remote-cancel.ts).
    await jobRepository().update(
      job.owner,
      job.jobId,
      { remoteCancel: { state: canceled ? 'DONE' : 'PENDING', attempts: 1, lastAt: now.toISOString() } },
      [JobStatus.FAILED],
      [],
      canceled ? undefined : { serviceId: job.serviceId, watch: nextWatch(undefined, 'CANCEL', now, now) },
    );
    logger.warn('found a submission the service accepted after all', { externalJobId: found.id, canceled });
  } catch (error) {
    logger.warn('could not check the service for a lost submission', { error: String(error) });
  }
}
