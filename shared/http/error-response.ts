/**
 * Maps any thrown value to the API's error body. Domain errors keep their code and message and get the
 * status their code maps to (status-codes.ts, the only such map); middy's own http errors (unsupported
 * media type, malformed JSON) get stable codes; an AWS fault that outlasted the SDK's retries
 * (throttling, a 5xx) is a 503 with Retry-After; everything else is a 500 that carries only a request
 * id, with the details in the log.
 */
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { describeAwsFault, isTransientAwsFault } from '#shared/aws/aws-faults';
import { AppError, QuotaExceededError } from '#shared/errors';
import { logger } from '#shared/logger';
import { httpStatusOf } from './status-codes';

interface HttpLikeError {
  statusCode: number;
  expose?: boolean;
  message: string;
}

function isHttpLikeError(error: unknown): error is HttpLikeError {
  return (
    typeof error === 'object' && error !== null && typeof (error as HttpLikeError).statusCode === 'number'
  );
}

/** How long a caller should wait before retrying after AWS throttled us. */
const RETRY_AFTER_SECONDS = 5;

export function errorBody(
  status: number,
  code: string,
  message: string,
  details?: unknown,
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify({ error: details === undefined ? { code, message } : { code, message, details } }),
  };
}

export function errorResponse(error: unknown, context?: Context): APIGatewayProxyResult {
  if (error instanceof AppError) {
    const status = httpStatusOf(error.code);
    if (status >= 500) logger.error('request failed upstream', { code: error.code, error });
    else logger.info('request rejected', { code: error.code, status });
    const body = errorBody(status, error.code, error.message, error.details);
    if (!(error instanceof QuotaExceededError)) return body;
    return { ...body, headers: { ...body.headers, 'Retry-After': String(error.retryAfterSeconds) } };
  }
  if (isHttpLikeError(error) && error.statusCode >= 400 && error.statusCode < 500) {
    if (error.statusCode === 415) {
      return errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    }
    if (error.statusCode === 422 || error.statusCode === 400) {
      return errorBody(400, 'INVALID_JSON', 'The request body is not valid JSON');
    }
    return errorBody(error.statusCode, 'BAD_REQUEST', error.expose ? error.message : 'Bad request');
  }
  if (isTransientAwsFault(error)) {
    // Throttling or a 5xx that outlasted the SDK's retries: the caller may simply retry; what AWS said
    // (table names, capacity) stays in our log.
    logger.warn('AWS fault after the SDK retries', { fault: describeAwsFault(error), error });
    const busy = errorBody(
      httpStatusOf('TEMPORARILY_UNAVAILABLE'),
      'TEMPORARILY_UNAVAILABLE',
      'The gateway is busy right now; retry in a few seconds',
    );
    return { ...busy, headers: { ...busy.headers, 'Retry-After': String(RETRY_AFTER_SECONDS) } };
  }
  const requestId = context?.awsRequestId ?? 'unknown';
  logger.error('unexpected error', { error });
  return {
    statusCode: 500,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify({
      error: { code: 'INTERNAL', message: `Internal error (request id ${requestId})`, requestId },
    }),
  };
}
