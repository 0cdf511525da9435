/** The workflow's last steps: record the copied results (SUCCEEDED), or the failure Step Functions caught. */
import { type JobResultFile, JobTransitionConflict, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus, jobStatuses } from '#shared/jobs/job-status';
import { logger } from '#shared/logger';
import type { JobRef } from './job-context';
import { describeFailure } from './task-errors';

export async function finalizeJob(ref: JobRef, copied: JobResultFile[]): Promise<void> {
  const bytes = copied.reduce((sum, file) => sum + file.size, 0);
  await jobRepository().transition(ref.owner, ref.jobId, JobStatus.SUCCEEDED, {
    from: [JobStatus.COPYING_RESULTS],
    set: { results: copied },
    detail: `${copied.length} result file(s), ${bytes} bytes copied`,
  });
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
  const error = describeFailure(errorType, causeMessage(cause));
  logger.error('job failed', { jobId: ref.jobId, errorType, code: error.code });
  try {
    await jobRepository().transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: jobStatuses.filter((status) => !isTerminal(status)),
      set: { error },
      detail: error.code,
    });
  } catch (failure) {
    // Already in a final state (e.g. canceled meanwhile, or the job was deleted): nothing to record.
    if (!(failure instanceof JobTransitionConflict)) throw failure;
  }
}
