/**
 * What the watcher does next for a job, kept on the job's own item so the job's state and its watch change
 * in one conditional write: a job can never wait with nothing looking after it, nor be looked after once
 * it ended. The item then carries the watch index's keys (`GSI2PK` = `WATCH#<service>#<kind>`, `GSI2SK` =
 * `<nextAt>#<jobId>`, a sparse keys-only index), so the watcher finds what is due with one Query per
 * service and kind, never a Scan; a job without a watch is not in the index at all.
 *
 * Kinds:
 * - `VALIDATE`: a new job, validated by its own execution; due after EXECUTION_LOOK_SECONDS and every
 *   5 minutes while that execution runs: if it is gone, the watcher starts the validation again. So every
 *   state a job can wait in has a watch, and a job whose execution was lost is found without a Scan.
 * - `POLL`: submitted (queued, running, or a cancel requested): ask the service at `nextAt`, backoff in
 *   `baseWaitSeconds` (doubling while nothing changes, back to the start on a change).
 * - `SLOT`: the owner's limit of running jobs at the service is reached; a submission is started again
 *   once the service lists a free slot (checked at `nextAt`, or at once when another of the owner's jobs
 *   there ends).
 * - `SERVICE`: the service is down or in maintenance; a submission is started again once it is `UP`.
 * - `TOKEN`: the owner's token for the service is missing, refused or expired; a submission is started
 *   again once the owner stored one that works (looked at on every run).
 * - `SUBMIT`: a submit execution was started; looked at like `VALIDATE`. Once it is gone and its last
 *   task cannot be running any more (TASK_LONGEST_SECONDS after it ended), its upload lease is reclaimed
 *   and the submission started again.
 * - `COLLECT`: the service finished the job and a collect execution copies its results; looked at like
 *   `SUBMIT`, and started again the same way.
 * - `CANCEL`: the job ended here but the cancel at the service has not gone through yet; retried.
 */
import { tableKeys } from '#shared/aws/table-definition';
import { isTerminal, type JobStatus } from './job-status';

export type WatchKind = 'VALIDATE' | 'POLL' | 'SLOT' | 'SERVICE' | 'TOKEN' | 'SUBMIT' | 'COLLECT' | 'CANCEL';
export const WATCH_KINDS: readonly WatchKind[] = [
  'VALIDATE',
  'POLL',
  'SLOT',
  'SERVICE',
  'TOKEN',
  'SUBMIT',
  'COLLECT',
  'CANCEL',
];

export interface JobWatch {
  kind: WatchKind;
  /** When the watcher acts next (ISO). */
  nextAt: string;
  /** Since when the job waits for what `kind` says. */
  since: string;
  /** The unscaled wait the backoff grows from. */
  baseWaitSeconds: number;
  /** POLL: a digest of the service's last answer (a change resets the backoff). */
  lastChange?: string;
  /** POLL: polls so far; SLOT/SERVICE/SUBMIT/CANCEL: attempts so far. */
  count: number;
  /** Submit executions started for this job (they are named `<jobId>-submit-<n>`). */
  submits?: number;
  /**
   * SUBMIT started by the watcher for a waiting job: the wait it came from, so a failed attempt goes back
   * to the same wait where it was (its backoff, its count; `since` stays the watch's own), not to a new one.
   */
  waited?: { kind: 'SLOT' | 'SERVICE' | 'TOKEN'; baseWaitSeconds: number; count: number };
}

export const watchPartition = (serviceId: string, kind: WatchKind) => `WATCH#${serviceId}#${kind}`;

/** The index keys of a watch: the sort key orders by time, the job id keeps keys unique. */
export function watchFields(serviceId: string, jobId: string, watch: JobWatch): Record<string, unknown> {
  return {
    watch,
    [tableKeys.gsi2.partitionKey]: watchPartition(serviceId, watch.kind),
    [tableKeys.gsi2.sortKey]: `${watch.nextAt}#${jobId}`,
  };
}

/** The fields removed when a job leaves the watch. */
export const WATCH_FIELDS: readonly string[] = ['watch', tableKeys.gsi2.partitionKey, tableKeys.gsi2.sortKey];

/** The index sort key below which everything is due at `now` (`~` sorts after any job id). */
export const dueBefore = (now: Date) => `${now.toISOString()}~`;

/** A new watch, or the next step of the same one (keeping its `since`). */
export function nextWatch(
  previous: JobWatch | undefined,
  kind: WatchKind,
  nextAt: Date,
  now: Date,
  changes: Partial<Omit<JobWatch, 'kind' | 'nextAt'>> = {},
): JobWatch {
  const same = previous?.kind === kind;
  return {
    kind,
    since: same ? previous.since : now.toISOString(),
    baseWaitSeconds: same ? previous.baseWaitSeconds : 0,
    count: same ? previous.count : 0,
    ...(previous?.submits !== undefined ? { submits: previous.submits } : {}),
    ...(same && previous.lastChange !== undefined ? { lastChange: previous.lastChange } : {}),
    ...changes,
    nextAt: nextAt.toISOString(),
  };
}

/**
 * When the watcher first looks whether the execution driving a job (its validation, a submission, a
 * collect) still runs, and then again every 5 minutes while it does (deployed seconds; scaled like every
 * wait locally). A job whose execution is gone is found within minutes, whatever the execution's length.
 */
export const EXECUTION_LOOK_SECONDS = 5 * 60;
/**
 * The longest a task invocation of an execution may go on after the execution ended (its Lambda's
 * 900 s timeout and a margin): a stopped execution does not stop the invocation under way. A submission or
 * a collect is driven again only once that is past, so a late upload or download never races its re-drive;
 * the upload lease the dead task held is given back then too.
 */
export const TASK_LONGEST_SECONDS = 16 * 60;

/** What `fittingWatchKind` reads of a job. */
export interface WatchedJobState {
  status: JobStatus;
  externalJobId?: string;
  remoteCancel?: { state: string };
}

/** Per state, the watch a job in it must have (`undefined`: over; `CANCEL` only with a cancel pending). */
const KIND_OF_STATUS: Record<JobStatus, WatchKind | undefined> = {
  QUEUED: 'VALIDATE',
  VALIDATING: 'VALIDATE',
  SUBMITTING: 'SUBMIT',
  WAITING_FOR_SLOT: 'SLOT',
  WAITING_FOR_SERVICE: 'SERVICE',
  WAITING_FOR_TOKEN: 'TOKEN',
  QUEUED_REMOTE: 'POLL',
  RUNNING: 'POLL',
  COPYING_RESULTS: 'COLLECT',
  // A cancel requested: polled at the service once submitted; before that the submission decides.
  CANCEL_REQUESTED: 'SUBMIT',
  SUCCEEDED: undefined,
  FAILED: undefined,
  CANCELED: undefined,
  EXPIRED: undefined,
};

/**
 * The kind of watch a job in this state must have (none for a job that is over and owes the service
 * nothing). A handler that finds a job's watch no longer fits its state gives it this one instead of
 * dropping it: a job that is not over always has something looking after it, even when a write that moved
 * it forgot to say what.
 */
export function fittingWatchKind(job: WatchedJobState): WatchKind | undefined {
  if (isTerminal(job.status)) return job.remoteCancel?.state === 'PENDING' ? 'CANCEL' : undefined;
  if (job.status === 'CANCEL_REQUESTED' && job.externalJobId) return 'POLL';
  return KIND_OF_STATUS[job.status];
}
