/**
 * Errors a workflow task throws on purpose. Step Functions sees the error's `name` as the error type:
 * the ASL retries `TransientError` (and the client's `ServiceUnavailableError`); anything else goes to
 * RecordFailure, which turns the name into the job's error code.
 */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** A job failure with a code and message meant for the job's owner. */
export class JobFailure extends Error {
  override name = 'JobFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Maps the error type Step Functions caught to the job's error code and a message for its owner. */
export function describeFailure(errorType: string, message: string): { code: string; message: string } {
  const jobFailure = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(message);
  if (errorType === 'JobFailure' && jobFailure) return { code: jobFailure[1]!, message: jobFailure[2]! };
  // Only the code reached us (the full message could not be recorded on the job).
  if (errorType === 'JobFailure' && /^[A-Z][A-Z0-9_]+$/.test(message)) {
    return { code: message, message: `The workflow stopped the job (${message})` };
  }
  switch (errorType) {
    case 'ServiceTokenInvalidError':
      return {
        code: 'SERVICE_TOKEN_INVALID',
        message:
          'service token invalid or expired: store a new API token for this service and submit the job again',
      };
    case 'DownloadsExhaustedError':
      return {
        code: 'DOWNLOADS_EXHAUSTED',
        message: `The service allows no more downloads of a result file (${message})`,
      };
    case 'ServiceUnavailableError':
      return { code: 'SERVICE_UNAVAILABLE', message: `The service stayed unreachable: ${message}` };
    case 'CloudgeneBadRequestError':
      return { code: 'SERVICE_REJECTED', message: `The service rejected the job: ${message}` };
    case 'CloudgeneNotFoundError':
      return { code: 'SERVICE_JOB_NOT_FOUND', message: `The service no longer knows this job: ${message}` };
    case 'States.Timeout':
      return { code: 'TASK_TIMEOUT', message: 'A step of the workflow took too long' };
    default:
      return { code: 'INTERNAL', message: `The workflow failed unexpectedly (${errorType})` };
  }
}
