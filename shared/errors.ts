/**
 * The one error hierarchy of the API. Handlers and shared code throw these; the HTTP middleware maps
 * them to `{"error":{"code","message","details?"}}` with the status they carry. Anything else becomes a
 * 500 that reveals nothing but a request id.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class BadRequestError extends AppError {
  override name = 'BadRequestError';
  constructor(message: string, details?: unknown, code = 'BAD_REQUEST') {
    super(400, code, message, details);
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(message: string, details?: unknown) {
    super(400, 'VALIDATION_FAILED', message, details);
  }
}

/** Also used for resources that exist but belong to someone else: we never confirm their existence. */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message = 'Not found', code = 'NOT_FOUND') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(message: string, code = 'CONFLICT') {
    super(409, code, message);
  }
}

export class UnprocessableError extends AppError {
  override name = 'UnprocessableError';
  constructor(code: string, message: string, details?: unknown) {
    super(422, code, message, details);
  }
}

/** An upstream imputation service failed or could not be reached. */
export class BadGatewayError extends AppError {
  override name = 'BadGatewayError';
  constructor(code: string, message: string) {
    super(502, code, message);
  }
}
