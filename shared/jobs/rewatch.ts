/**
 * The safety net of the watch (job-watch.ts): a handler that finds a job's watch no longer fits where the
 * job stands (the write that moved it did not say what looks after it next) gives it the watch that fits,
 * due now, never none while the job is not over. The same kind again (its handler saw nothing to do) is
 * looked at in 5 minutes rather than at once, so nothing spins.
 */
import { after } from '#shared/workflow/backoff';
import type { JobRecord } from './job-record';
import { jobRepository } from './job-repository';
import { fittingWatchKind, nextWatch } from './job-watch';

export async function rewatch(job: JobRecord, now: Date): Promise<void> {
  const kind = fittingWatchKind(job);
  const at = kind === job.watch?.kind ? after(now, 5 * 60) : now;
  await jobRepository().update(job.owner, job.jobId, {}, [job.status], [], {
    serviceId: job.serviceId,
    watch: kind ? nextWatch(job.watch, kind, at, now) : null,
  });
}
