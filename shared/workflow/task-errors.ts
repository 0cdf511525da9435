/**
 * The workflow's side of the failure vocabulary. Step Functions sees a thrown error's `name` as the
 * error type: the ASL retries the names in RETRYABLE_TASK_ERRORS (a test holds the ASL's Retry lists to
 * it) and sends anything else to RecordFailure, which turns it into the job's failure with
 * `describeFailure` — the one map from an error to a job's code and message. A task throws JobFailure,
 * TransientError or a Cloudgene error, never an API error (the API's codes map to HTTP statuses instead).
 */
/** Codes a failed job may carry (`job.error.code`), whoever records them. */
export const JOB_ERROR_CODES = [
  /** validate-input.ts: one message per invalid input file. */
  'INPUT_INVALID',
  /** submit-job.ts: an input object is not the one validated (replaced since: another ETag). */
  'INPUT_CHANGED',
  'JOB_NOT_FOUND',
  'SERVICE_NOT_FOUND',
  'SERVICE_TOKEN_MISSING',
  'SERVICE_TOKEN_INVALID',
  'SERVICE_UNAVAILABLE',
  'SERVICE_REJECTED',
  'SERVICE_JOB_NOT_FOUND',
  /** The service ran the job and reports it failed (poll-job.ts). */
  'SERVICE_JOB_FAILED',
  'DOWNLOADS_EXHAUSTED',
  'RESULT_LIST_CHANGED',
  /** finish-job.ts: no imputed result was listed, or none could be copied. */
  'NO_IMPUTED_RESULTS',
  'RESULTS_UNAVAILABLE',
  'TASK_TIMEOUT',
  'INTERNAL',
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

export class TransientError extends Error {
  override name = 'TransientError';
}

/** A job failure with a code and message meant for the job's owner. */
export class JobFailure extends Error {
  override name = 'JobFailure';
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The error names a task's Retry may list (besides Lambda.* and States.*): worth trying again. */
export const RETRYABLE_TASK_ERRORS = ['TransientError', 'ServiceUnavailableError'] as const;

export interface JobError {
  code: JobErrorCode;
  message: string;
}

/**
 * Error types RecordFailure knows, each with the job failure it means; `message` is the error's own
 * (often the service's words). Every other type is INTERNAL.
 */
const JOB_FAILURES: Record<string, (message: string) => JobError> = {
  ServiceTokenInvalidError: () => ({
    code: 'SERVICE_TOKEN_INVALID',
    message:
      'service token invalid or expired: store a new API token for this service and submit the job again',
  }),
  DownloadsExhaustedError: (message) => ({
    code: 'DOWNLOADS_EXHAUSTED',
    message: `The service allows no more downloads of a result file (${message})`,
  }),
  ServiceUnavailableError: (message) => ({
    code: 'SERVICE_UNAVAILABLE',
    message: `The service stayed unreachable: ${message}`,
  }),
  CloudgeneBadRequestError: (message) => ({
    code: 'SERVICE_REJECTED',
    message: `The service rejected the job: ${message}`,
  }),
  CloudgeneNotFoundError: (message) => ({
    code: 'SERVICE_JOB_NOT_FOUND',
    message: `The service no longer knows this job: ${message}`,
  }),
  'States.Timeout': () => ({ code: 'TASK_TIMEOUT', message: 'A step of the workflow took too long' }),
};

/** The error types `describeFailure` maps (besides JobFailure, whose code travels in its message). */
export const MAPPED_FAILURE_TYPES = Object.keys(JOB_FAILURES);

const isJobErrorCode = (code: string): code is JobErrorCode =>
  (JOB_ERROR_CODES as readonly string[]).includes(code);

/** Maps the error type Step Functions caught, and its message, to the job's error code and message. */
export function describeFailure(errorType: string, message: string): JobError {
  if (errorType === 'JobFailure') {
    const full = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(message);
    if (full && isJobErrorCode(full[1]!)) return { code: full[1], message: full[2]! };
    // Only the code reached us (the full message could not be recorded on the job).
    if (isJobErrorCode(message))
      return { code: message, message: `The workflow stopped the job (${message})` };
  }
  const mapped = Object.hasOwn(JOB_FAILURES, errorType) ? JOB_FAILURES[errorType] : undefined;
  return (
    mapped?.(message) ?? { code: 'INTERNAL', message: `The workflow failed unexpectedly (${errorType})` }
  );
}
