/**
 * How soon the jobs list and a job page ask again: when the API expects the job to change next
 * (`nextCheckAt`), clamped to 2–30 s, and not at all once nothing is active. TanStack Query pauses the
 * timer while the tab is hidden (refetchIntervalInBackground is false).
 */
import { isFinished } from './job-status';

export const MIN_REFRESH_MS = 2_000;
export const MAX_REFRESH_MS = 30_000;
/** When an active job carries no `nextCheckAt` (an API before that field). */
export const DEFAULT_REFRESH_MS = 5_000;

export interface Refreshable {
  status: string;
  nextCheckAt?: string | null;
}

/** Milliseconds until the next refresh, or false when every job is finished. */
export function refreshInterval(jobs: readonly Refreshable[], now = Date.now()): number | false {
  const active = jobs.filter((job) => !isFinished(job.status));
  if (active.length === 0) return false;
  let soonest = Number.POSITIVE_INFINITY;
  for (const job of active) {
    const at = job.nextCheckAt ? Date.parse(job.nextCheckAt) : Number.NaN;
    soonest = Math.min(soonest, Number.isNaN(at) ? now + DEFAULT_REFRESH_MS : at);
  }
  return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, soonest - now));
}
