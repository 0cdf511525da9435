/**
 * The gateway's failure vocabulary. Handlers and shared code throw these domain errors: each carries a
 * `code` from the one list below, a message for the user and, for validation, details. None carries an
 * HTTP status: the HTTP layer alone maps a code to one (shared/http/status-codes.ts), and the workflow
 * alone maps an error to a job's failure (shared/workflow/task-errors.ts), so a code means the same
 * everywhere and a workflow task never throws something shaped like an HTTP answer. Cloudgene failures
 * define their codes in shared/cloudgene/errors.ts; they are part of this vocabulary too.
 */
import type { CloudgeneErrorCode } from '#shared/cloudgene/errors';

/** The codes of the gateway's own refusals, grouped by what they are about. */
export const APP_ERROR_CODES = [
  // The request itself.
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  // Something that does not exist, or is not the caller's (never confirmed either way).
  'NOT_FOUND',
  'JOB_NOT_FOUND',
  'UPLOAD_NOT_FOUND',
  'SERVICE_NOT_FOUND',
  'CREDENTIAL_NOT_FOUND',
  // The state of things does not allow it (yet).
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
  'UPLOAD_NOT_READY',
  'UPLOAD_COMPLETED',
  'UPLOAD_ABORTED',
  'UPLOAD_NOT_MULTIPART',
  'UPLOAD_PARTS_INVALID',
  'UPLOAD_EXPIRED',
  // No service can take a job named by its panel (each one's reason in the details).
  'NO_SERVICE_FOR_PANEL',
  // The job's input files are not fit for it (known from each upload's check).
  'INPUT_INVALID',
  'JOB_FINISHED',
  'JOB_STATE_CHANGED',
  'JOB_ACTIVE',
  'JOB_IS_PARENT',
  'RESULTS_NOT_READY',
  'SERVICE_TOKEN_MISSING',
  // The caller's stored service token cannot be used.
  'SERVICE_TOKEN_EXPIRED',
  'SERVICE_TOKEN_REJECTED',
  // A per-user quota is reached (active jobs, pending uploads, stored bytes): retry once one frees.
  'QUOTA_EXCEEDED',
  // Ours: reveals nothing but a request id.
  'INTERNAL',
  // AWS throttled or failed us beyond the SDK's own retries: worth retrying shortly.
  'TEMPORARILY_UNAVAILABLE',
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** Every code an error of the gateway may carry. */
export type ErrorCode = AppErrorCode | CloudgeneErrorCode;

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(message: string, details?: unknown) {
    super('VALIDATION_FAILED', message, details);
  }
}

/** Also used for resources that exist but belong to someone else: we never confirm their existence. */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message = 'Not found', code: AppErrorCode = 'NOT_FOUND') {
    super(code, message);
  }
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(message: string, code: AppErrorCode = 'CONFLICT', details?: unknown) {
    super(code, message, details);
  }
}

/** A well-formed request that cannot be carried out as things are (e.g. the stored token is unusable). */
export class UnprocessableError extends AppError {
  override name = 'UnprocessableError';
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message, details);
  }
}

/**
 * A per-user quota (shared/quotas/user-quotas.ts) is reached: the message names the limit, its value and
 * what frees it; `retryAfterSeconds` becomes the answer's Retry-After header.
 */
export class QuotaExceededError extends AppError {
  override name = 'QuotaExceededError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: unknown,
  ) {
    super('QUOTA_EXCEEDED', message, details);
  }
}

/**
 * An imputation service failed, could not be reached or refused: a Cloudgene failure retold for the
 * user (shared/catalog/service-client.ts), with the Cloudgene code it had.
 */
export class UpstreamError extends AppError {
  override name = 'UpstreamError';
  constructor(code: CloudgeneErrorCode, message: string) {
    super(code, message);
  }
}
