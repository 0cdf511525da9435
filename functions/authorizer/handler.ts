/**
 * The API's Lambda authorizer (TOKEN type, header Authorization). It allows the caller on the whole API
 * (`…/<stage>/*\/*`), so API Gateway's authorizer cache answers every route for the same token, and
 * passes the verified identity (sub, username, groups) as context — the only identity handlers trust.
 * Every failure is API Gateway's 401 ("Unauthorized"); the log says why, never the token.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import { callerToAuthorizerContext } from '#shared/auth/caller';
import { type TokenVerifier, tokenVerifier } from '#shared/auth/verifier';
import { logger } from '#shared/logger';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** `arn:aws:execute-api:region:account:apiId/stage/METHOD/path` → `…:apiId/stage/*\/*`. */
export function wholeApiArn(methodArn: string): string {
  const [apiArn, stage] = methodArn.split('/') as [string, string?];
  return `${apiArn}/${stage ?? '*'}/*/*`;
}

function authorizationHeader(event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent) {
  if (event.type === 'TOKEN') return event.authorizationToken;
  const headers = event.headers ?? {};
  return headers.Authorization ?? headers.authorization ?? undefined;
}

export function createAuthorizerHandler(verifier: () => TokenVerifier) {
  return async (
    event: APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent,
  ): Promise<APIGatewayAuthorizerResult> => {
    const header = authorizationHeader(event);
    const match = header ? BEARER.exec(header) : null;
    if (!match) {
      logger.info('denied', { reason: header ? 'not a Bearer JWT' : 'no Authorization header' });
      throw new Error('Unauthorized');
    }
    let caller: Awaited<ReturnType<TokenVerifier['verify']>>;
    try {
      caller = await verifier().verify(match[1]!);
    } catch (error) {
      logger.info('denied', { reason: (error as Error).name, detail: (error as Error).message });
      throw new Error('Unauthorized');
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
