/**
 * How long the watcher waits between polls of a job (and between looks for a slot). Imputation takes
 * minutes to days, so a fixed 30 s poll would call the service thousands of times per job; the wait
 * doubles while nothing changes (30 s up to 5 min) and drops back to the start whenever the service
 * reports a change.
 */
import { settings } from '#shared/settings';

/** The poll and slot-wait settings (shared/settings.ts, group `backoff`), read once per runtime. */
export const backoffEnv = settings.backoff;

export interface BackoffPolicy {
  initialSeconds: number;
  maxSeconds: number;
}

/** The next wait: back to the start after a change, otherwise double the last wait up to the cap. */
export function nextWaitSeconds(
  previous: number | undefined,
  changed: boolean,
  policy: BackoffPolicy,
): number {
  if (changed || previous === undefined || previous <= 0) return policy.initialSeconds;
  return Math.min(policy.maxSeconds, previous * 2);
}

/** The wait actually scheduled: scaled down for local runs, never below one second. */
export function scaledWait(seconds: number): number {
  return Math.max(1, Math.round(seconds / backoffEnv().WORKFLOW_TIME_SCALE));
}

/** The moment `seconds` (deployed seconds) after `now`, scaled down for local runs (at least 1 ms). */
export function after(now: Date, seconds: number): Date {
  return new Date(
    now.getTime() + Math.max(1, Math.round((seconds * 1000) / backoffEnv().WORKFLOW_TIME_SCALE)),
  );
}

export function pollPolicy(): BackoffPolicy {
  const env = backoffEnv();
  return { initialSeconds: env.POLL_INITIAL_SECONDS, maxSeconds: env.POLL_MAX_SECONDS };
}

export function slotWaitPolicy(): BackoffPolicy {
  const env = backoffEnv();
  return { initialSeconds: env.SLOT_WAIT_INITIAL_SECONDS, maxSeconds: env.SLOT_WAIT_MAX_SECONDS };
}
