/**
 * The local stand-in for API Gateway: an HTTP server that routes with the same route table the CDK stack
 * deploys, runs the real authorizer handler (TOKEN type, results cached per token like API Gateway's
 * authorizer cache), builds REST-API proxy events with the authorizer context, and calls the real handler
 * modules. Gateway-produced errors use the same JSON error shape as the deployed API's gateway responses.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { matchRoute, type RouteDefinition, routes } from '#shared/api/routes';
import { lambdaContext } from './lambda-context';

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Authorizer = (
  event: APIGatewayTokenAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

export interface LocalApiGatewayOptions {
  port?: number;
  host?: string;
  root?: string;
  stage?: string;
  /** Authorizer cache TTL (API Gateway's default is 300 s). */
  authorizerCacheSeconds?: number;
  /** Extra routes answered before the route table, e.g. GET /health (no authorizer). */
  publicRoutes?: Record<string, (request: IncomingMessage) => Promise<{ status: number; body: unknown }>>;
  corsOrigins?: string[];
}

export interface LocalApiGateway {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 6 * 1024 * 1024; // Lambda's synchronous payload limit

export async function startLocalApiGateway(options: LocalApiGatewayOptions = {}): Promise<LocalApiGateway> {
  const root = options.root ?? process.cwd();
  const stage = options.stage ?? 'v1';
  const cacheMs = (options.authorizerCacheSeconds ?? 300) * 1000;
  const handlerCache = new Map<string, Promise<ProxyHandler>>();
  const authorizerCache = new Map<
    string,
    { expiresAt: number; result: APIGatewayAuthorizerResult | 'deny' }
  >();
  const loadHandler = (route: RouteDefinition) => {
    let loaded = handlerCache.get(route.id);
    if (!loaded) {
      loaded = import(resolve(root, route.entry)).then((m: { handler: ProxyHandler }) => m.handler);
      handlerCache.set(route.id, loaded);
    }
    return loaded;
  };
  const authorizerModule = import(resolve(root, 'functions/authorizer/handler.ts')) as Promise<{
    handler: Authorizer;
  }>;

  async function authorize(header: string | undefined, methodArn: string) {
    if (!header) return 'deny' as const;
    const cached = authorizerCache.get(header);
    if (cached && cached.expiresAt > Date.now()) return cached.result;
    const { handler } = await authorizerModule;
    let result: APIGatewayAuthorizerResult | 'deny';
    try {
      result = await handler(
        { type: 'TOKEN', authorizationToken: header, methodArn },
        lambdaContext('authorizer'),
      );
    } catch {
      result = 'deny';
    }
    const allowed = result !== 'deny' && result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
    if (!allowed) result = 'deny';
    authorizerCache.set(header, { expiresAt: Date.now() + cacheMs, result });
    return result;
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('local API gateway error', error);
      sendJson(response, 500, {
        error: { code: 'INTERNAL', message: 'Internal error in the local gateway' },
      });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://local');
    const method = request.method ?? 'GET';
    const cors = corsHeaders(request.headers.origin, options.corsOrigins ?? []);
    if (method === 'OPTIONS') {
      response.writeHead(cors['Access-Control-Allow-Origin'] ? 204 : 403, cors);
      response.end();
      return;
    }
    const publicRoute = options.publicRoutes?.[`${method} ${url.pathname}`];
    if (publicRoute) {
      const result = await publicRoute(request);
      sendJson(response, result.status, result.body, cors);
      return;
    }
    const match = matchRoute(method, url.pathname);
    if (!match) {
      sendJson(
        response,
        404,
        { error: { code: 'NOT_FOUND', message: `No route for ${method} ${url.pathname}` } },
        cors,
      );
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      sendJson(
        response,
        413,
        { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' } },
        cors,
      );
      return;
    }
    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/${stage}/${method}${match.route.path}`;
    const authorization = headerValue(request.headers.authorization);
    const auth = await authorize(authorization, methodArn);
    if (auth === 'deny') {
      sendJson(response, 401, { error: { code: 'UNAUTHORIZED', message: 'Unauthorized' } }, cors);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      const v = headerValue(value);
      if (v !== undefined) headers[name] = v;
    }
    const query = Object.fromEntries(url.searchParams.entries());
    const event = {
      resource: match.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders: {},
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        stage,
        requestId: crypto.randomUUID(),
        httpMethod: method,
        path: `/${stage}${url.pathname}`,
        resourcePath: match.route.path,
        resourceId: match.route.id,
        protocol: 'HTTP/1.1',
        requestTimeEpoch: Date.now(),
        identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1' },
        authorizer: { ...auth.context, principalId: auth.principalId },
      },
    } as unknown as APIGatewayProxyEvent;
    const handler = await loadHandler(match.route);
    const result = await handler(event, lambdaContext(match.route.id));
    response.writeHead(result.statusCode, { ...cors, ...(result.headers as Record<string, string>) });
    response.end(result.body ?? '');
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
  if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Headers': 'Authorization,Content-Type,Idempotency-Key',
    'Access-Control-Allow-Methods': 'GET,POST,PUT,DELETE,OPTIONS',
    Vary: 'Origin',
  };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

export { routes };
