/**
 * When a job's state can next change, so a client (the console's job pages) asks again then instead of on
 * a fixed tight loop. A job the watcher looks after carries the time of its next look on its own item
 * (its watch: the next poll, the next look for a slot); the watcher runs once a minute, so the change, if
 * any, is recorded by the first run after that time. A job waiting for its service to come back can move
 * at any run. States an execution moves on from (validation, submission, copying) end when their task
 * does: in seconds for most jobs, but a large input validates, uploads or copies for many minutes, so
 * their next check is soon while the state is young and grows with its age (a quarter of it, up to a
 * minute).
 */
import { after } from '#shared/workflow/backoff';
import type { JobRecord } from './job-record';
import { isTerminal } from './job-status';

/** A state an execution moves on from: the first and the longest wait before asking again. */
const TRANSIENT_MIN_SECONDS = 2;
const TRANSIENT_MAX_SECONDS = 60;
/** The watcher's schedule (every minute) in deployed seconds, and the time a run takes to record. */
const WATCH_INTERVAL_SECONDS = 60;
const RECORDING_MARGIN_SECONDS = 5;

/** ISO time when the job can next change; null once it is finished. */
export function nextCheckAt(job: Pick<JobRecord, 'status' | 'statusChangedAt' | 'watch'>, now: Date) {
  if (isTerminal(job.status)) return null;
  const watch = job.watch;
  if (watch && watch.kind !== 'SUBMIT' && watch.kind !== 'COLLECT') {
    const due = Date.parse(watch.nextAt);
    // Due (or waiting for the service, which any run may find back): the next run records it.
    if (watch.kind === 'SERVICE' || due <= now.getTime()) {
      return after(now, WATCH_INTERVAL_SECONDS + RECORDING_MARGIN_SECONDS).toISOString();
    }
    return after(new Date(due), WATCH_INTERVAL_SECONDS + RECORDING_MARGIN_SECONDS).toISOString();
  }
  const ageSeconds = Math.max(0, (now.getTime() - Date.parse(job.statusChangedAt)) / 1000);
  const wait = Math.min(TRANSIENT_MAX_SECONDS, Math.max(TRANSIENT_MIN_SECONDS, ageSeconds / 4));
  return new Date(now.getTime() + Math.round(wait * 1000)).toISOString();
}
