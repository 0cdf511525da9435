/**
 * When a job's state can next change, so a client (the console's job pages) asks again then instead of on
 * a fixed tight loop. The workflow writes a job only when something changed; between changes it polls the
 * service on a known schedule (shared/workflow/backoff.ts: the first wait after a change, doubling up to
 * a cap). So the next moment a change can appear is the first scheduled poll after now, counted from the
 * last recorded change — computed here from the same policy, without any extra write per poll.
 * States the workflow leaves on its own within seconds (validation, submission, copying) say "soon".
 */
import {
  type BackoffPolicy,
  nextWaitSeconds,
  pollPolicy,
  scaledWait,
  slotWaitPolicy,
} from '#shared/workflow/backoff';
import type { JobRecord } from './job-record';
import { isTerminal, JobStatus } from './job-status';

/** A state the workflow moves on from by itself, without waiting for the service. */
const TRANSIENT_SECONDS = 2;
/** Time the poll task takes to ask the service and record the answer after its wait ends. */
const RECORDING_MARGIN_SECONDS = 1;
/** A schedule computed from a change days ago would loop long; past this many waits it is at its cap. */
const MAX_STEPS = 64;

/** The next scheduled check after `now`, counted from `anchor` along the policy's waits. */
export function nextScheduledCheck(anchor: Date, now: Date, policy: BackoffPolicy): Date {
  let base = nextWaitSeconds(undefined, true, policy);
  let at = anchor.getTime() + scaledWait(base) * 1000;
  for (let step = 0; at <= now.getTime() && step < MAX_STEPS; step++) {
    base = nextWaitSeconds(base, false, policy);
    at += scaledWait(base) * 1000;
  }
  if (at <= now.getTime()) {
    const cap = scaledWait(policy.maxSeconds) * 1000;
    at += Math.ceil((now.getTime() - at + 1) / cap) * cap;
  }
  return new Date(at + RECORDING_MARGIN_SECONDS * 1000);
}

/** ISO time when the job can next change; null once it is finished. */
export function nextCheckAt(job: Pick<JobRecord, 'status' | 'statusChangedAt' | 'remote'>, now: Date) {
  if (isTerminal(job.status)) return null;
  switch (job.status) {
    case JobStatus.QUEUED_REMOTE:
    case JobStatus.RUNNING:
    case JobStatus.CANCEL_REQUESTED: {
      const anchor = new Date(latest(job.statusChangedAt, job.remote?.checkedAt));
      return nextScheduledCheck(anchor, now, pollPolicy()).toISOString();
    }
    case JobStatus.WAITING_FOR_SLOT:
      return nextScheduledCheck(new Date(job.statusChangedAt), now, slotWaitPolicy()).toISOString();
    default:
      return new Date(now.getTime() + TRANSIENT_SECONDS * 1000).toISOString();
  }
}

function latest(first: string, second: string | undefined): string {
  return second && second > first ? second : first;
}
