/**
 * The local API front answers every refusal of its own — down to the ones Node's HTTP parser makes before
 * a request exists — in the API's error shape, with the codes of the deployed gateway responses.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalApiGateway, startLocalApiGateway } from '#infra/local/api-gateway';
import { createTokenIssuer } from '#infra/local/token-issuer';

const issuer = createTokenIssuer({ issuer: 'https://idp.example.org/local', audience: 'local-api' });

let gateway: LocalApiGateway;
beforeAll(async () => {
  gateway = await startLocalApiGateway({ port: 0 });
});
afterAll(() => gateway?.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are over a fresh TCP connection and reads the answer until the server closes. */
function rawRequest(bytes: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => {
          const at = line.indexOf(':');
          return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.end(bytes);
  });
}

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${gateway.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

function expectErrorShape(body: unknown, code: string) {
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('refusals of the HTTP parser (clientError)', () => {
  it('answers a 20 KB header with 431 in the JSON error shape and closes the connection', async () => {
    const response = await rawRequest(
      `GET /services HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
    );
    expect(response.status).toBe(431);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.connection).toBe('close');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    expectErrorShape(JSON.parse(response.body), 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  });

  it.each([
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['an unknown HTTP version', 'GET /services HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a header line without a colon', 'GET /services HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'],
    ['a control character in the request target', 'GET /ser\u0001vices HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('answers %s with 400 BAD_REQUEST in the JSON error shape', async (_, bytes) => {
    const response = await rawRequest(bytes);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.connection).toBe('close');
    expectErrorShape(JSON.parse(response.body), 'BAD_REQUEST');
  });

  it('still serves ordinary requests afterwards', async () => {
    const response = await call('/no-such-route');
    expect(response.status).toBe(404);
  });
});

describe('refusals of the front itself, with the codes of the deployed gateway responses', () => {
  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const response = await call('/no-such-route');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expectErrorShape(response.body, 'NOT_FOUND');
  });

  it('answers a known path with a method it does not have with 404 NOT_FOUND, like API Gateway', async () => {
    const response = await call('/services', { method: 'PATCH' });
    expect(response.status).toBe(404);
    expectErrorShape(response.body, 'NOT_FOUND');
  });

  it.each([
    ['the path', '/jobs/%E0%A4%A'],
    ['the path (a stray %)', '/services/%zz'],
    ['the query', '/jobs?cursor=%FF'],
  ])('answers invalid URL encoding in %s with 400 BAD_REQUEST', async (_, path) => {
    const response = await call(path);
    expect(response.status).toBe(400);
    expectErrorShape(response.body, 'BAD_REQUEST');
  });

  it('answers a body over 6 MB with 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await call('/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(6 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expectErrorShape(response.body, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['no Authorization header', undefined],
    ['a header that is not a Bearer JWT', 'Basic dXNlcjpwYXNz'],
  ])('answers %s with 401 UNAUTHORIZED and the deployed message', async (_, authorization) => {
    const response = await call('/services', {
      headers: authorization ? { Authorization: authorization } : {},
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Missing or invalid bearer token' },
    });
  });

  it('answers a CORS preflight from an origin it does not allow with 403 FORBIDDEN', async () => {
    const response = await call('/services', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
    expectErrorShape(response.body, 'FORBIDDEN');
  });

  it('answers a failing authorizer with 500 GATEWAY_ERROR, not 401, and does not cache it', async () => {
    const token = issuer.tokenFor({ sub: 'sub-alice', username: 'alice' });
    // The authorizer has no configuration yet: a 500 of ours, not the caller's 401.
    vi.stubEnv('AUTH_MODE', '');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failing = await call('/jobs', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{"name":',
    });
    expect(failing.status).toBe(500);
    expectErrorShape(failing.body, 'GATEWAY_ERROR');
    expect(errors).toHaveBeenCalledWith('local API gateway: the authorizer failed', expect.any(Error));
    errors.mockRestore();

    // Once configured, the same token is verified again (the failure was not cached) and reaches the
    // handler, whose own refusal of the malformed JSON body has the same shape.
    vi.stubEnv('AUTH_MODE', 'oidc');
    vi.stubEnv('OIDC_ISSUER', issuer.issuer);
    vi.stubEnv('OIDC_AUDIENCE', issuer.audience);
    vi.stubEnv('OIDC_JWKS_JSON', JSON.stringify(issuer.jwks));
    const malformed = await call('/jobs', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{"name":',
    });
    expect(malformed.status).toBe(400);
    expectErrorShape(malformed.body, 'INVALID_JSON');
  });
});
