/**
 * Which errors out of an AWS SDK call are worth another try later: throttling (after the SDK's own
 * retries with backoff, three attempts by default), a 5xx of the service, a timeout or a dropped
 * connection. A workflow task turns them into TransientError, which the state machine retries on its
 * own, much longer backoff; without that, one burst of DynamoDB throttling or a 500 on an UploadPart
 * would fail the job (or give up a result file, whose downloads the service counts) at the first try.
 * A client error (a failed condition, a missing resource, a validation error) is no fault of the moment:
 * another try cannot change it. Only errors that passed through an SDK client count (the SDK stamps
 * `$metadata` on every error it throws), so no other library's network error is mistaken for AWS's.
 */

interface SdkError {
  name?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** The SDK's own list of throttling error names (@smithy/service-error-classification). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function sdkError(error: unknown): SdkError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as SdkError).$metadata;
  return typeof metadata === 'object' && metadata !== null ? (error as SdkError) : undefined;
}

export function isTransientAwsFault(error: unknown): boolean {
  const fault = sdkError(error);
  if (!fault) return false;
  const status = fault.$metadata?.httpStatusCode ?? 0;
  return (
    fault.$fault === 'server' ||
    fault.$retryable !== undefined ||
    status === 429 ||
    status >= 500 ||
    THROTTLING.has(fault.name ?? '') ||
    TIMEOUTS.has(fault.name ?? '') ||
    NETWORK_CODES.has(fault.code ?? '')
  );
}

/**
 * What may be told of an SDK error where it outlives the call (a job's record, an execution's history):
 * its name, status and attempts, never its message, which may quote a request's values.
 */
export function describeAwsFault(error: unknown): string {
  const fault = sdkError(error) ?? {};
  const name = fault.code && NETWORK_CODES.has(fault.code) ? fault.code : (fault.name ?? 'Error');
  const status = fault.$metadata?.httpStatusCode;
  const attempts = fault.$metadata?.attempts;
  return [
    `AWS ${name}`,
    status ? ` (HTTP ${status})` : '',
    attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '',
  ].join('');
}
