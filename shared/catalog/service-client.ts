/**
 * How API handlers talk to an imputation service: a Cloudgene client for a catalog entry, and the
 * translation of the client's typed errors into API errors. The service's own message is passed on
 * (it is what the user needs to fix the problem); our token never is.
 */
import { CloudgeneClient } from '#shared/cloudgene/client';
import {
  CloudgeneBadRequestError,
  CloudgeneError,
  CloudgeneNotFoundError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import { AppError, BadGatewayError, UnprocessableError } from '#shared/errors';
import type { ServiceDefinition } from './service-catalog';

/** API calls wait at most this long for a service, well inside API Gateway's 29 s. */
const API_CALL_TIMEOUT_MS = 20_000;

export function serviceClient(
  service: ServiceDefinition,
  token?: string,
  onTokenRejected?: () => Promise<void>,
): CloudgeneClient {
  return new CloudgeneClient({
    baseUrl: service.baseUrl,
    appId: service.appId,
    token,
    timeoutMs: API_CALL_TIMEOUT_MS,
    onTokenRejected,
  });
}

export function toApiError(error: unknown, service: ServiceDefinition): unknown {
  if (!(error instanceof CloudgeneError) || error instanceof AppError) return error;
  const said = error.serviceMessage ? `: ${error.serviceMessage}` : '';
  if (error instanceof ServiceTokenInvalidError) {
    return new UnprocessableError(
      'SERVICE_TOKEN_INVALID',
      `${service.name} rejected your API token (invalid, expired or replaced by a newer one). ` +
        `Create a new token at the service and store it with PUT /me/credentials/${service.id}.`,
    );
  }
  if (error instanceof ServiceUnavailableError) {
    return new BadGatewayError('SERVICE_UNAVAILABLE', `${service.name} is not reachable right now${said}`);
  }
  if (error instanceof CloudgeneBadRequestError || error instanceof CloudgeneNotFoundError) {
    return new BadGatewayError('SERVICE_REJECTED', `${service.name} rejected the request${said}`);
  }
  return new BadGatewayError(
    'SERVICE_PROTOCOL_ERROR',
    `${service.name} sent an answer we could not understand`,
  );
}

/** Runs a call to the service, rethrowing its failures as API errors. */
export async function callService<T>(service: ServiceDefinition, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toApiError(error, service);
  }
}
