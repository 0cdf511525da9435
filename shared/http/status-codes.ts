/**
 * The one map from a failure code to the HTTP status the API answers with. Domain errors carry only a
 * code (shared/errors.ts, shared/cloudgene/errors.ts); the status is decided here, for every code, so the
 * compiler refuses a code without one. An upstream failure is ours to report as 502, except a token the
 * service refused, which the caller can fix (422).
 */
import type { ErrorCode } from '#shared/errors';

export const HTTP_STATUS_BY_CODE = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,

  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  SERVICE_NOT_FOUND: 404,
  CREDENTIAL_NOT_FOUND: 404,

  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  UPLOAD_NOT_READY: 409,
  UPLOAD_COMPLETED: 409,
  UPLOAD_ABORTED: 409,
  UPLOAD_NOT_MULTIPART: 409,
  UPLOAD_PARTS_INVALID: 409,
  UPLOAD_EXPIRED: 409,
  NO_SERVICE_FOR_PANEL: 409,
  JOB_FINISHED: 409,
  JOB_STATE_CHANGED: 409,
  JOB_ACTIVE: 409,
  JOB_IS_PARENT: 409,
  RESULTS_NOT_READY: 409,
  SERVICE_TOKEN_MISSING: 409,

  INPUT_INVALID: 422,
  SERVICE_TOKEN_EXPIRED: 422,
  SERVICE_TOKEN_REJECTED: 422,
  SERVICE_TOKEN_INVALID: 422,

  QUOTA_EXCEEDED: 429,

  INTERNAL: 500,
  TEMPORARILY_UNAVAILABLE: 503,

  SERVICE_ERROR: 502,
  SERVICE_UNAVAILABLE: 502,
  SERVICE_REJECTED: 502,
  SERVICE_PROTOCOL_ERROR: 502,
  CONCURRENCY_LIMIT: 502,
  DOWNLOADS_EXHAUSTED: 502,
} as const satisfies Record<ErrorCode, number>;

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS_BY_CODE[code];
}
