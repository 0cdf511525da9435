/**
 * Typed failures of a Cloudgene 3 server, so callers decide by class (wait, retry, fail, tell the user)
 * instead of parsing messages. The `name` of each class is what Step Functions sees as the error type;
 * the `code` is the failure's word in the gateway's vocabulary (shared/errors.ts), defined here once.
 * None carries an HTTP status of ours: what the API answers is the HTTP layer's business
 * (shared/http/status-codes.ts), what a job records is the workflow's (shared/workflow/task-errors.ts).
 * The status the service answered, when there was one, is a detail. No error ever carries the API
 * token: messages are built from status codes and the service's own text.
 */

/** Every code a Cloudgene failure can have. */
export const CLOUDGENE_ERROR_CODES = [
  /** A failure the client could not place more precisely. */
  'SERVICE_ERROR',
  'SERVICE_TOKEN_INVALID',
  'CONCURRENCY_LIMIT',
  'DOWNLOADS_EXHAUSTED',
  'SERVICE_UNAVAILABLE',
  /** The service refused the request: 4xx (a 404 included) other than the token or the job limit. */
  'SERVICE_REJECTED',
  'SERVICE_PROTOCOL_ERROR',
] as const;
export type CloudgeneErrorCode = (typeof CLOUDGENE_ERROR_CODES)[number];

export interface CloudgeneErrorDetails {
  /** The HTTP status the service answered with (none for network failures). */
  serviceStatus?: number;
  /** The service's own message, when it sent one. */
  serviceMessage?: string;
}

export class CloudgeneError extends Error {
  override name = 'CloudgeneError';
  readonly code: CloudgeneErrorCode = 'SERVICE_ERROR';
  constructor(
    message: string,
    readonly details: CloudgeneErrorDetails = {},
  ) {
    super(message);
  }

  /** The service's own message, when it sent one. */
  get serviceMessage(): string | undefined {
    return this.details.serviceMessage;
  }
}

/** 401 (missing, malformed or expired token; usually an empty body) or 403 (revoked, access denied). */
export class ServiceTokenInvalidError extends CloudgeneError {
  override name = 'ServiceTokenInvalidError';
  override readonly code = 'SERVICE_TOKEN_INVALID';
  constructor(serviceStatus?: number, serviceMessage?: string) {
    super('service token invalid or expired', { serviceStatus, serviceMessage });
  }
}

/** "Only N jobs per user can be executed simultaneously." — wait and submit again later. */
export class ConcurrencyLimitError extends CloudgeneError {
  override name = 'ConcurrencyLimitError';
  override readonly code = 'CONCURRENCY_LIMIT';
  constructor(
    serviceMessage: string,
    readonly limit: number | null,
  ) {
    super(`The service's per-user job limit is reached: ${serviceMessage}`, {
      serviceStatus: 400,
      serviceMessage,
    });
  }
}

/** A 404: to the API a refusal like any other (`SERVICE_REJECTED`); to a job, a job or file gone. */
export class CloudgeneNotFoundError extends CloudgeneError {
  override name = 'CloudgeneNotFoundError';
  override readonly code = 'SERVICE_REJECTED';
  constructor(serviceMessage?: string) {
    super(serviceMessage ?? 'Not found at the service', { serviceStatus: 404, serviceMessage });
  }
}

/** A result file's download counter is used up: "number of max downloads exceeded." */
export class DownloadsExhaustedError extends CloudgeneError {
  override name = 'DownloadsExhaustedError';
  override readonly code = 'DOWNLOADS_EXHAUSTED';
  constructor(fileName: string, serviceMessage?: string) {
    super(`No downloads of ${fileName} are left at the service`, { serviceStatus: 400, serviceMessage });
  }
}

/** 5xx, maintenance (503), connection resets and timeouts: worth retrying later. */
export class ServiceUnavailableError extends CloudgeneError {
  override name = 'ServiceUnavailableError';
  override readonly code = 'SERVICE_UNAVAILABLE';
  readonly retryable = true;
}

/** Other refusals (unknown field, too large, …), carrying the service's message. */
export class CloudgeneBadRequestError extends CloudgeneError {
  override name = 'CloudgeneBadRequestError';
  override readonly code = 'SERVICE_REJECTED';
}

/** A 200 whose body is not what the API documents. */
export class CloudgeneProtocolError extends CloudgeneError {
  override name = 'CloudgeneProtocolError';
  override readonly code = 'SERVICE_PROTOCOL_ERROR';
}

/**
 * A redirect the client will not follow: to plain http, to an address that is not public, or one hop too
 * many. Said with the target's scheme, host and path (never its query, which may hold a signature).
 */
export class RedirectRefusedError extends CloudgeneProtocolError {
  override name = 'RedirectRefusedError';
}

/** A result file larger than this deployment copies (MAX_RESULT_FILE_BYTES). */
export class ResultTooLargeError extends CloudgeneProtocolError {
  override name = 'ResultTooLargeError';
}
