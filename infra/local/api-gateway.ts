/**
 * The local stand-in for API Gateway: an HTTP server that routes with the same route table the CDK stack
 * deploys, runs the real authorizer handler (TOKEN type, results cached per token like API Gateway's
 * authorizer cache), builds REST-API proxy events with the authorizer context, and calls the real handler
 * modules. Gateway-produced errors use the same JSON error shape and codes as the deployed API's gateway
 * responses (infra/constructs/api.ts), down to the refusals of the HTTP parser itself (see `clientError`).
 * `GET /openapi.json` answers the API's OpenAPI document (shared/api/openapi.ts) without the authorizer,
 * with this gateway as its server, so a client can be generated against the running stack.
 * (About 400 lines: routing, the authorizer cache and the gateway's own refusals are one request path
 * that reads best in one place; the event building is the first part to move out if it grows.)
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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

/** What a gateway error says; the codes are those of the deployed gateway responses. */
interface GatewayError {
  status: number;
  code: string;
  message: string;
}

const UNAUTHORIZED: GatewayError = {
  status: 401,
  code: 'UNAUTHORIZED',
  message: 'Missing or invalid bearer token',
};
const FORBIDDEN: GatewayError = { status: 403, code: 'FORBIDDEN', message: 'Access denied' };
// API Gateway answers a failing authorizer with 500 and a failing integration with 502 (DEFAULT_5XX).
const AUTHORIZER_FAILED: GatewayError = {
  status: 500,
  code: 'GATEWAY_ERROR',
  message: 'Internal server error',
};
const INTEGRATION_FAILED: GatewayError = {
  status: 502,
  code: 'GATEWAY_ERROR',
  message: 'Internal server error',
};

type Authorization =
  | { effect: 'allow'; result: APIGatewayAuthorizerResult }
  | { effect: 'deny'; error: GatewayError };

export async function startLocalApiGateway(options: LocalApiGatewayOptions = {}): Promise<LocalApiGateway> {
  const root = options.root ?? process.cwd();
  const stage = options.stage ?? 'v1';
  const cacheMs = (options.authorizerCacheSeconds ?? 300) * 1000;
  const handlerCache = new Map<string, Promise<ProxyHandler>>();
  const authorizerCache = new Map<string, { expiresAt: number; result: Authorization }>();
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
  let openApiText: Promise<string> | undefined;
  /** Generated on first request (the generator is not needed to serve the API), then kept. */
  const openApiDocument = () => {
    openApiText ??= openApiDocumentText(`http://${options.host ?? '127.0.0.1'}:${port}`);
    return openApiText;
  };

  /**
   * Like API Gateway: no header is a 401 without calling the authorizer; the authorizer throwing exactly
   * "Unauthorized" is a 401 and a policy without Allow a 403 (both cached); any other throw is a 500 that
   * is not cached, so the client's retry calls the authorizer again.
   */
  async function authorize(header: string | undefined, methodArn: string): Promise<Authorization> {
    if (!header) return { effect: 'deny', error: UNAUTHORIZED };
    const cached = authorizerCache.get(header);
    if (cached && cached.expiresAt > Date.now()) return cached.result;
    const { handler } = await authorizerModule;
    let result: Authorization;
    try {
      const policy = await handler(
        { type: 'TOKEN', authorizationToken: header, methodArn },
        lambdaContext('authorizer'),
      );
      result = policy.policyDocument.Statement.some((s) => s.Effect === 'Allow')
        ? { effect: 'allow', result: policy }
        : { effect: 'deny', error: FORBIDDEN };
    } catch (error) {
      if (!(error instanceof Error && error.message === 'Unauthorized')) {
        console.error('local API gateway: the authorizer failed', error);
        return { effect: 'deny', error: AUTHORIZER_FAILED };
      }
      result = { effect: 'deny', error: UNAUTHORIZED };
    }
    authorizerCache.set(header, { expiresAt: Date.now() + cacheMs, result });
    return result;
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error('local API gateway error', error);
      if (response.headersSent) response.destroy();
      else sendError(response, INTEGRATION_FAILED);
    });
  });
  // Requests the HTTP parser refuses (oversized headers, a malformed request line, a timeout) never reach
  // `handle`; without this listener Node answers them with a bare status line and no body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
    answerClientError(error, socket),
  );

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const method = request.method ?? 'GET';
    const cors = corsHeaders(request.headers.origin, options.corsOrigins ?? []);
    const url = requestUrl(request.url);
    if (!url) {
      sendError(
        response,
        {
          status: 400,
          code: 'BAD_REQUEST',
          message: 'The request URL is malformed or not valid URL encoding',
        },
        cors,
      );
      return;
    }
    if (method === 'OPTIONS') {
      if (cors['Access-Control-Allow-Origin']) {
        response.writeHead(204, cors);
        response.end();
      } else {
        sendError(response, { ...FORBIDDEN, message: 'CORS preflight from an origin that is not allowed' });
      }
      return;
    }
    if (method === 'GET' && url.pathname === '/openapi.json') {
      const text = await openApiDocument();
      response.writeHead(200, {
        ...cors,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-cache',
      });
      response.end(text);
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
      // Also a known path with another method: API Gateway's "Missing Authentication Token", our 404.
      sendError(
        response,
        { status: 404, code: 'NOT_FOUND', message: `No route for ${method} ${url.pathname}` },
        cors,
      );
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      sendError(
        response,
        { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' },
        cors,
      );
      return;
    }
    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/${stage}/${method}${match.route.path}`;
    const authorization = headerValue(request.headers.authorization);
    const authorized = await authorize(authorization, methodArn);
    if (authorized.effect === 'deny') {
      sendError(response, authorized.error, cors);
      return;
    }
    const auth = authorized.result;
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

/** The document for this gateway: its URL as the server, the catalog and upload limit of the environment. */
async function openApiDocumentText(url: string): Promise<string> {
  const [{ createOpenApiDocument }, { serviceCatalog }] = await Promise.all([
    import('#shared/api/openapi'),
    import('#shared/catalog/service-catalog'),
  ]);
  const maxUploadBytes = Number(process.env.MAX_UPLOAD_BYTES);
  const document = createOpenApiDocument({
    servers: [{ url, description: 'This local stack' }],
    serviceIds: serviceCatalog().map((service) => service.id),
    maxUploadBytes: Number.isSafeInteger(maxUploadBytes) && maxUploadBytes > 0 ? maxUploadBytes : undefined,
  });
  return JSON.stringify(document);
}

/** The request target as a URL, or undefined when it does not parse or its %-escapes do not decode. */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    const url = new URL(target ?? '/', 'http://local');
    decodeURIComponent(url.pathname);
    decodeURIComponent(url.search);
    return url;
  } catch {
    return undefined;
  }
}

/**
 * Answers a request the HTTP parser refused, written straight to the socket (there is no response
 * object), in the API's error shape, then closes the connection. Nothing is written to a socket that is
 * gone or that is already carrying a response: a second status line would corrupt it.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket) {
  const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = clientErrorResponse(error.code);
  const text = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  socket.end(
    [
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(text)}`,
      'Cache-Control: no-store',
      'Connection: close',
      '',
      text,
    ].join('\r\n'),
  );
}

function clientErrorResponse(code: string | undefined): GatewayError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
        message: 'The request headers are too large',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'Malformed HTTP request' };
  }
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

/** A gateway error, with `Cache-Control: no-store` like the deployed gateway responses. */
function sendError(response: ServerResponse, error: GatewayError, headers: Record<string, string> = {}) {
  sendJson(
    response,
    error.status,
    { error: { code: error.code, message: error.message } },
    { ...headers, 'Cache-Control': 'no-store' },
  );
}

export { routes };
