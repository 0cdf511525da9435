/**
 * Builds the REST-API proxy events API Gateway hands our handlers, with the authorizer context that the
 * real authorizer produces for a caller, and invokes a handler with a Lambda-like context.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from '#infra/local/lambda-context';
import { type Caller, callerToAuthorizerContext } from '#shared/auth/caller';

export interface ApiEventInput {
  method?: string;
  path?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Objects are sent as JSON with Content-Type application/json; strings are sent as they are. */
  body?: unknown;
  /** Leave out to send an event without authorizer context. */
  caller?: Caller | null;
}

export function apiEvent(input: ApiEventInput): APIGatewayProxyEvent {
  const headers: Record<string, string> = { ...input.headers };
  let body: string | null = null;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const requestId = crypto.randomUUID();
  return {
    resource: input.path ?? '/',
    path: input.path ?? '/',
    httpMethod: input.method ?? 'GET',
    headers,
    multiValueHeaders: {},
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: input.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      stage: 'v1',
      requestId,
      httpMethod: input.method ?? 'GET',
      path: input.path ?? '/',
      resourceId: 'r',
      resourcePath: input.path ?? '/',
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      authorizer: input.caller ? callerToAuthorizerContext(input.caller) : null,
    },
  } as APIGatewayProxyEvent;
}

export { lambdaContext };

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiResult {
  status: number;
  headers: Record<string, string | number | boolean>;
  /** Parsed JSON body, or undefined for an empty body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests assert response bodies field by field
  body: any;
  raw: string;
}

export async function invoke(handler: ProxyHandler, input: ApiEventInput): Promise<ApiResult> {
  const result = await handler(apiEvent(input), lambdaContext('test-function'));
  const raw = result.body ?? '';
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: raw ? JSON.parse(raw) : undefined,
    raw,
  };
}
