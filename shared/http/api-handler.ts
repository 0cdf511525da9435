/**
 * The one HTTP stack for API handlers. Every route is `apiHandler(spec, fn)`: middy normalises headers,
 * parses JSON (only on routes that declare a body), validates body/path/query with zod, reads the caller
 * from the authorizer context (never from the request itself), adds CORS and security headers, and maps
 * every error to `{"error":{"code","message","details?"}}`.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { $ZodObject, $ZodType, $ZodUndefined, output } from 'zod/v4/core';
import { type Caller, callerFromEvent } from '#shared/auth/caller';
import { logger } from '#shared/logger';
import { settings } from '#shared/settings';
import { errorResponse } from './error-response';
import { validateInput } from './validate';

export interface ApiRequest<B, P, Q> {
  caller: Caller;
  body: B;
  path: P;
  query: Q;
  headers: Record<string, string | undefined>;
  event: APIGatewayProxyEvent;
  context: Context;
}

export interface ApiResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Any zod schema: `zod/mini` or classic. */
export interface ApiSpec<B extends $ZodType, P extends $ZodType, Q extends $ZodType> {
  body?: B;
  path?: P;
  query?: Q;
  /** The body may be left out (no body, or an empty one, is `{}`); one that is sent must be JSON. */
  optionalBody?: boolean;
}

export function apiHandler<
  B extends $ZodType = $ZodUndefined,
  P extends $ZodType = $ZodObject<Record<string, never>>,
  Q extends $ZodType = $ZodObject<Record<string, never>>,
>(
  spec: ApiSpec<B, P, Q>,
  fn: (request: ApiRequest<output<B>, output<P>, output<Q>>) => Promise<ApiResponse>,
) {
  const core = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const caller = callerFromEvent(event);
    const input = validateInput(spec, event);
    const result = await fn({
      caller,
      body: input.body as output<B>,
      path: input.path as output<P>,
      query: input.query as output<Q>,
      headers: event.headers ?? {},
      event,
      context,
    });
    return toProxyResult(result);
  };

  const origins = settings.cors().CORS_ALLOWED_ORIGINS;
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders());
  if (origins.length > 0)
    handler.use(httpCors({ origins, credentials: false, exposeHeaders: 'Location, Retry-After' }));
  // Registered after CORS/security headers: middy runs onError in reverse order, so the mapped error
  // response exists before those middlewares decorate it.
  handler.use({
    onError: (request) => {
      request.response = errorResponse(request.error, request.context);
    },
  });
  if (spec.body && spec.optionalBody) handler.use({ before: (request) => emptyBodyAsObject(request.event) });
  if (spec.body) handler.use(httpJsonBodyParser({ disableContentTypeError: false }));
  return handler.handler(core);
}

/** An absent or blank body as the JSON `{}` (headers are lower-case here: the normalizer ran first). */
function emptyBodyAsObject(event: APIGatewayProxyEvent): void {
  if (event.body !== null && event.body !== undefined && event.body.trim() !== '') return;
  event.body = '{}';
  event.isBase64Encoded = false;
  event.headers = { ...event.headers, 'content-type': 'application/json' };
}

function toProxyResult(result: ApiResponse): APIGatewayProxyResult {
  const status = result.status ?? 200;
  if (result.body === undefined || status === 204) {
    return { statusCode: status, headers: { ...result.headers }, body: '' };
  }
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...result.headers },
    body: JSON.stringify(result.body),
  };
}
