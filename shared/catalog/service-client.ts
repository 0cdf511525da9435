/**
 * How API handlers talk to an imputation service: a Cloudgene client for a catalog entry (with the
 * caller's session, so a stale cached token is read again before it counts as refused), and the one
 * step that retells a Cloudgene failure for the user: same code, a message naming the service and what
 * to do. The service's own message is passed on (it is what the user needs to fix the problem); our
 * token never is. The status the API answers with follows from the code (shared/http/status-codes.ts).
 */
import { CloudgeneClient } from '#shared/cloudgene/client';
import { CloudgeneError } from '#shared/cloudgene/errors';
import { UpstreamError } from '#shared/errors';
import type { ServiceDefinition } from './service-catalog';

/** API calls wait at most this long for a service, well inside API Gateway's 29 s. */
const API_CALL_TIMEOUT_MS = 20_000;

/** What a client acting for a user needs of their stored token (shared/credentials/service-credentials). */
export interface ServiceTokenSession {
  token: string;
  refreshToken: () => Promise<string | undefined>;
  onTokenRejected: () => Promise<void>;
}

export function serviceClient(service: ServiceDefinition, session?: ServiceTokenSession): CloudgeneClient {
  return new CloudgeneClient({
    baseUrl: service.baseUrl,
    appId: service.appId,
    token: session?.token,
    refreshToken: session?.refreshToken,
    timeoutMs: API_CALL_TIMEOUT_MS,
    onTokenRejected: session?.onTokenRejected,
  });
}

/** The message a user reads for a Cloudgene failure at `service`. */
export function serviceFailureMessage(error: CloudgeneError, service: ServiceDefinition): string {
  const said = error.serviceMessage ? `: ${error.serviceMessage}` : '';
  switch (error.code) {
    case 'SERVICE_TOKEN_INVALID':
      return (
        `${service.name} rejected your API token (invalid, expired or replaced by a newer one). ` +
        `Create a new token at the service and store it with PUT /me/credentials/${service.id}.`
      );
    case 'SERVICE_UNAVAILABLE':
      return `${service.name} is not reachable right now${said}`;
    case 'SERVICE_REJECTED':
    case 'CONCURRENCY_LIMIT':
    case 'DOWNLOADS_EXHAUSTED':
      return `${service.name} rejected the request${said}`;
    case 'SERVICE_PROTOCOL_ERROR':
    case 'SERVICE_ERROR':
      return `${service.name} sent an answer we could not understand`;
  }
}

/** Runs a call to the service, retelling its failures for the user. */
export async function callService<T>(service: ServiceDefinition, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof CloudgeneError)) throw error;
    throw new UpstreamError(error.code, serviceFailureMessage(error, service));
  }
}
