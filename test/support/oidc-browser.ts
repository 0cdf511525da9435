/**
 * What a browser and oidc-client-ts do against an OIDC provider, with plain fetch: a cookie jar, redirects
 * followed by hand (so each step can be looked at), the authorization code flow with PKCE (S256) and the
 * token endpoint. Used against the local identity provider, in-process and in the running local stack.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface TokenSet {
  id_token: string;
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export interface OidcClient {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** The console's origin, sent as `Origin` on token calls as a browser would. */
  origin: string;
}

/** A cookie jar and manual redirects; enough of a browser for an OIDC provider's pages. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
    return response;
  }

  /** POSTs a form, as a browser submits one. */
  post(url: string | URL, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The Location of a redirect, resolved against the request URL; fails for any other answer. */
export function redirectTarget(response: Response): URL {
  const location = response.headers.get('location');
  if (response.status < 300 || response.status > 399 || !location) {
    throw new Error(`expected a redirect, got ${response.status}`);
  }
  return new URL(location, response.url);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizationUrl(
  client: OidcClient,
  options: { challenge: string; state: string; redirectUri?: string; scope?: string },
): URL {
  const url = new URL('/auth', client.issuer);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: options.redirectUri ?? client.redirectUri,
    response_type: 'code',
    scope: options.scope ?? 'openid profile',
    state: options.state,
    nonce: randomBytes(8).toString('hex'),
    code_challenge: options.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url;
}

/**
 * From the authorization request to the code: follows the provider's redirects and, on its sign-in
 * page, submits `username`. Resolves with the redirect to the client (code or error in its query).
 */
export async function authorize(
  browser: Browser,
  client: OidcClient,
  username: string,
  options: { challenge: string; state: string },
): Promise<URL> {
  let next = authorizationUrl(client, options);
  for (let step = 0; step < 10; step += 1) {
    if (next.href.startsWith(client.redirectUri)) return next;
    const response = await browser.fetch(next);
    if (response.status === 200 && /\/interaction\/[^/]+$/.test(next.pathname)) {
      await response.text();
      next = redirectTarget(await browser.post(`${next.href}/login`, { username }));
      continue;
    }
    next = redirectTarget(response);
  }
  throw new Error('no redirect to the client after 10 steps');
}

export async function tokenRequest(client: OidcClient, fields: Record<string, string>) {
  const response = await fetch(new URL('/token', client.issuer), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: client.origin },
    body: new URLSearchParams({ client_id: client.clientId, ...fields }).toString(),
  });
  return { response, body: (await response.json()) as TokenSet & { error?: string } };
}

/** The whole sign-in of `username`, as the console does it: code + PKCE, then the token endpoint. */
export async function signIn(client: OidcClient, username: string, browser = new Browser()) {
  const { verifier, challenge } = pkcePair();
  const callback = await authorize(browser, client, username, { challenge, state: 'state-1' });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback.search}`);
  const { response, body } = await tokenRequest(client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}: ${body.error}`);
  return { browser, tokens: body };
}

/** The claims of a JWT, unverified (the verifier under test does the verifying). */
export function jwtParts(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header = '', claims = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')),
  };
}
