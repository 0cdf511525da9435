/**
 * The job state machine of the gateway: one transition table used by the API (cancel, delete) and by
 * every workflow task, so no code path can move a job along an edge that does not exist: the job
 * repository refuses a `from` list that names a state the table does not allow (IllegalTransitionError)
 * and pairs every move with a DynamoDB condition on the previous state.
 */
export const JobStatus = {
  QUEUED: 'QUEUED',
  VALIDATING: 'VALIDATING',
  SUBMITTING: 'SUBMITTING',
  WAITING_FOR_SLOT: 'WAITING_FOR_SLOT',
  WAITING_FOR_SERVICE: 'WAITING_FOR_SERVICE',
  WAITING_FOR_TOKEN: 'WAITING_FOR_TOKEN',
  QUEUED_REMOTE: 'QUEUED_REMOTE',
  RUNNING: 'RUNNING',
  COPYING_RESULTS: 'COPYING_RESULTS',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCEL_REQUESTED: 'CANCEL_REQUESTED',
  CANCELED: 'CANCELED',
  EXPIRED: 'EXPIRED',
} as const;

export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const jobStatuses = Object.values(JobStatus) as JobStatus[];

const S = JobStatus;

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  S.SUCCEEDED,
  S.FAILED,
  S.CANCELED,
  S.EXPIRED,
]);

/** Before submission nothing exists at the service: a cancel only has to stop our execution. */
export const PRE_SUBMISSION_STATUSES: ReadonlySet<JobStatus> = new Set([
  S.QUEUED,
  S.VALIDATING,
  S.SUBMITTING,
  S.WAITING_FOR_SLOT,
  S.WAITING_FOR_SERVICE,
  S.WAITING_FOR_TOKEN,
]);

const transitions: Record<JobStatus, readonly JobStatus[]> = {
  QUEUED: [S.VALIDATING, S.CANCELED, S.FAILED],
  VALIDATING: [S.SUBMITTING, S.CANCELED, S.FAILED],
  // A cancel while an upload may be in flight waits for its outcome (CANCEL_REQUESTED): the service may
  // have accepted the job, and then it must be canceled there too.
  SUBMITTING: [
    S.WAITING_FOR_SLOT,
    S.WAITING_FOR_SERVICE,
    S.WAITING_FOR_TOKEN,
    S.QUEUED_REMOTE,
    S.RUNNING,
    S.CANCEL_REQUESTED,
    S.CANCELED,
    S.FAILED,
  ],
  // The watcher starts a submission again when a slot is free or the service is back; a wait past the
  // outage limit ends EXPIRED.
  WAITING_FOR_SLOT: [
    S.SUBMITTING,
    S.WAITING_FOR_SERVICE,
    S.WAITING_FOR_TOKEN,
    S.QUEUED_REMOTE,
    S.RUNNING,
    S.CANCEL_REQUESTED,
    S.CANCELED,
    S.FAILED,
    S.EXPIRED,
  ],
  WAITING_FOR_SERVICE: [
    S.SUBMITTING,
    S.WAITING_FOR_SLOT,
    S.WAITING_FOR_TOKEN,
    S.QUEUED_REMOTE,
    S.RUNNING,
    S.CANCEL_REQUESTED,
    S.CANCELED,
    S.FAILED,
    S.EXPIRED,
  ],
  // The owner's token is missing, refused or expired: the watcher submits again once a new one is stored.
  WAITING_FOR_TOKEN: [
    S.WAITING_FOR_SLOT,
    S.WAITING_FOR_SERVICE,
    S.QUEUED_REMOTE,
    S.RUNNING,
    S.CANCEL_REQUESTED,
    S.CANCELED,
    S.FAILED,
    S.EXPIRED,
  ],
  QUEUED_REMOTE: [S.RUNNING, S.COPYING_RESULTS, S.CANCEL_REQUESTED, S.CANCELED, S.FAILED, S.EXPIRED],
  RUNNING: [S.QUEUED_REMOTE, S.COPYING_RESULTS, S.CANCEL_REQUESTED, S.CANCELED, S.FAILED, S.EXPIRED],
  // The service may finish the job before it sees the cancel; then the results are still copied.
  CANCEL_REQUESTED: [S.CANCELED, S.COPYING_RESULTS, S.FAILED, S.EXPIRED],
  COPYING_RESULTS: [S.SUCCEEDED, S.FAILED],
  SUCCEEDED: [],
  FAILED: [],
  CANCELED: [],
  EXPIRED: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return transitions[from].includes(to);
}

/** The states a job may be in for a move to `to` to be legal: the condition of the conditional write. */
export function allowedPredecessors(to: JobStatus): JobStatus[] {
  return jobStatuses.filter((from) => canTransition(from, to));
}

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`A job cannot move from ${from} to ${to}`);
  }
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/**
 * Cloudgene's numeric job states (cloudgene-api.md) in our terms. -1 ("dead, can be restarted") counts
 * as running: the service may restart it, and the watcher's deadline (QUEUE_DEADLINE_HOURS) catches a job
 * stuck there.
 */
/** What the watcher does for a job (shared/jobs/job-watch.ts); a job in any other state has no watch. */
export const WATCHED_STATUSES: ReadonlySet<JobStatus> = new Set([
  S.WAITING_FOR_SLOT,
  S.WAITING_FOR_SERVICE,
  S.WAITING_FOR_TOKEN,
  S.QUEUED_REMOTE,
  S.RUNNING,
  S.CANCEL_REQUESTED,
]);

/** Whether `state` is one of the states Cloudgene's API has (statusFromRemoteState knows it). */
export function isKnownRemoteState(state: number): boolean {
  return [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].includes(state);
}

export function statusFromRemoteState(state: number): JobStatus {
  switch (state) {
    case 1:
      return S.QUEUED_REMOTE;
    case -1:
    case 2:
    case 3:
      return S.RUNNING;
    case 4:
    case 8:
      return S.COPYING_RESULTS;
    case 5:
    case 9:
      return S.FAILED;
    case 6:
      return S.CANCELED;
    case 7:
    case 10:
      return S.EXPIRED;
    default:
      throw new Error(`Unknown Cloudgene job state ${state}`);
  }
}
