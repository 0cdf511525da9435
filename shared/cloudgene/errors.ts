/**
 * Typed failures of a Cloudgene 3 server, so callers decide by class (wait, retry, fail, tell the user)
 * instead of parsing messages. The `name` of each class is what Step Functions sees as the error type.
 * No error ever carries the API token: messages are built from status codes and the service's own text.
 */
export class CloudgeneError extends Error {
  override name = 'CloudgeneError';
  readonly code: string = 'SERVICE_ERROR';
  constructor(
    message: string,
    readonly status?: number,
    /** The service's own message, when it sent one. */
    readonly serviceMessage?: string,
  ) {
    super(message);
  }
}

/** 401 (missing, malformed or expired token; usually an empty body) or 403 (revoked, access denied). */
export class ServiceTokenInvalidError extends CloudgeneError {
  override name = 'ServiceTokenInvalidError';
  override readonly code = 'SERVICE_TOKEN_INVALID';
  constructor(status: number, serviceMessage?: string) {
    super('service token invalid or expired', status, serviceMessage);
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
    super(`The service's per-user job limit is reached: ${serviceMessage}`, 400, serviceMessage);
  }
}

export class CloudgeneNotFoundError extends CloudgeneError {
  override name = 'CloudgeneNotFoundError';
  override readonly code = 'NOT_FOUND';
  constructor(serviceMessage?: string) {
    super(serviceMessage ?? 'Not found at the service', 404, serviceMessage);
  }
}

/** A result file's download counter is used up: "number of max downloads exceeded." */
export class DownloadsExhaustedError extends CloudgeneError {
  override name = 'DownloadsExhaustedError';
  override readonly code = 'DOWNLOADS_EXHAUSTED';
  constructor(fileName: string, serviceMessage?: string) {
    super(`No downloads of ${fileName} are left at the service`, 400, serviceMessage);
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
