/**
 * The API's Lambda authorizer: TOKEN type on header Authorization (REQUEST type works too). It allows the
 * caller on the whole API (`…/<stage>/*\/*`), so API Gateway's authorizer cache answers every route for
 * the same token, and passes the verified identity (sub, username, groups) as context — the only identity
 * handlers trust. A token that is not acceptable is API Gateway's 401 ("Unauthorized"); a failure of
 * ours (JWKS unreachable, bad configuration) is a 500 the client may retry. Logs say why, never the token.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { type Caller, callerToAuthorizerContext } from '#shared/auth/caller';
import { TokenRejectedError, type TokenVerifier, tokenVerifier } from '#shared/auth/verifier';
import { logger } from '#shared/logger';

export type AuthorizerEvent = APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;

// RFC 6750: the scheme (case-insensitive), one space, then a compact JWS. Anything else is not ours to try.
const BEARER_JWT = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD/path` → `…:apiId/stage/*\/*`. */
export function wholeApiArn(methodArn: string): string {
  const [apiArn, stage] = methodArn.split('/') as [string, string?];
  return `${apiArn}/${stage || '*'}/*/*`;
}

function authorizationHeader(event: AuthorizerEvent): string | undefined {
  if (event.type === 'TOKEN') return event.authorizationToken;
  const name = Object.keys(event.headers ?? {}).find((key) => key.toLowerCase() === 'authorization');
  return name ? (event.headers?.[name] ?? undefined) : undefined;
}

function deny(reason: string): never {
  logger.info('Request denied', { reason });
  throw new Error('Unauthorized');
}

export function createAuthorizerHandler(getVerifier: () => TokenVerifier) {
  return async (event: AuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> => {
    if (context) logger.addContext(context);
    const header = authorizationHeader(event);
    if (!header) deny('no Authorization header');
    const token = BEARER_JWT.exec(header)?.[1];
    if (!token) deny('not a Bearer JWT');

    const verifier = getVerifier(); // a configuration error propagates as it is: a 500 naming the variable
    let caller: Caller;
    try {
      caller = await verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenRejectedError) deny(error.reason);
      // Only the class name, here and in what we rethrow: verification messages can quote token bytes.
      const name = error instanceof Error ? error.constructor.name : typeof error;
      logger.error('Token verification failed', { error: name });
      throw new Error(`Token verification failed (${name})`);
    }
    return {
      principalId: caller.sub,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) },
        ],
      },
      context: callerToAuthorizerContext(caller),
    };
  };
}

export const handler = createAuthorizerHandler(tokenVerifier);
