/**
 * When a job's state can next change, so a client (the console's job pages) asks again then instead of on
 * a fixed tight loop. The workflow writes a job only when something changed; between changes it polls the
 * service on a known schedule (shared/workflow/backoff.ts: the first wait after a change, doubling up to
 * a cap). So the next moment a change can appear is the first scheduled poll after now, counted from the
 * last recorded change — computed here from the same policy, without any extra write per poll.
 * States the workflow leaves on its own (validation, submission, copying) end when their task does: in
 * seconds for most jobs, but a large input validates, uploads or copies for many minutes. So their next
 * check is soon while the state is young and grows with its age (a quarter of it, up to a minute).
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

/** A state the workflow moves on from by itself: the first and the longest wait before asking again. */
const TRANSIENT_MIN_SECONDS = 2;
const TRANSIENT_MAX_SECONDS = 60;
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
    default: {
      const ageSeconds = Math.max(0, (now.getTime() - Date.parse(job.statusChangedAt)) / 1000);
      const wait = Math.min(TRANSIENT_MAX_SECONDS, Math.max(TRANSIENT_MIN_SECONDS, ageSeconds / 4));
      return new Date(now.getTime() + Math.round(wait * 1000)).toISOString();
    }
  }
}

function latest(first: string, second: string | undefined): string {
  return second && second > first ? second : first;
}
