/**
 * The local OIDC provider as the console uses it, over HTTP with plain fetch: authorization code + PKCE,
 * its sign-in page, the token endpoint, refresh, userinfo and sign-out — and the ID tokens it issues are
 * accepted by the authorizer's verifier configured exactly as the local stack configures it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type IdentityProvider,
  startIdentityProvider,
} from '#infra/local/identity-provider/identity-provider';
import { identityProviderUrl, LOCAL_AUDIENCE, localFunctionSettings } from '#infra/local/local-environment';
import { freePort, readLocalSettings } from '#infra/local/local-settings';
import { localSubject } from '#infra/local/local-users';
import { createTokenIssuer, type TokenIssuer } from '#infra/local/token-issuer';
import { createTokenVerifier } from '#shared/auth/verifier';
import { environmentFor, parseSettings } from '#shared/settings';
import {
  authorizationUrl,
  authorize,
  Browser,
  jwtParts,
  type OidcClient,
  pkcePair,
  redirectTarget,
  signIn,
  tokenRequest,
} from '#test/support/oidc-browser';

const CONSOLE = 'http://127.0.0.1:3999';
const TOKEN_TTL = 120;
/** What was printed to the console (a plain list: vitest clears mock calls between hooks and tests). */
const printed: string[] = [];
let issuer: TokenIssuer;
let idp: IdentityProvider;
let client: OidcClient;
let verifier: ReturnType<typeof createTokenVerifier>;

beforeAll(async () => {
  // oidc-provider prints its notices and warnings to the console: none may be left unaddressed.
  for (const method of ['warn', 'info', 'log'] as const) {
    vi.spyOn(console, method).mockImplementation((...args) => printed.push(args.map(String).join(' ')));
  }
  issuer = createTokenIssuer({ issuer: identityProviderUrl(await freePort()), audience: LOCAL_AUDIENCE });
  idp = await startIdentityProvider({ issuer, consoleOrigin: CONSOLE, tokenTtlSeconds: TOKEN_TTL });
  client = { issuer: idp.url, clientId: idp.clientId, redirectUri: idp.redirectUri, origin: CONSOLE };
  // The authorizer's settings as the local stack writes them (local-environment.ts).
  const env = environmentFor(
    localFunctionSettings({
      settings: readLocalSettings({}),
      endpoints: {
        dynamodb: 'http://x',
        s3: 'http://x',
        secretsManager: 'http://x',
        stepFunctions: 'http://x',
        eventBridge: 'http://x',
      },
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:x',
      issuer,
      catalog: [],
      consoleOrigin: CONSOLE,
    }),
  );
  verifier = createTokenVerifier(parseSettings('auth', env));
});
afterAll(async () => {
  await idp?.close();
  vi.restoreAllMocks();
});

describe('the local identity provider', () => {
  it('is a public client with the console redirect paths, at its own URL as issuer', async () => {
    expect(idp.url).toBe(issuer.issuer);
    expect(idp).toMatchObject({
      clientId: 'imputation-gateway-local',
      redirectUri: `${CONSOLE}/callback`,
      postLogoutRedirectUri: `${CONSOLE}/`,
    });
    const discovery = await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({
      issuer: idp.url,
      jwks_uri: `${idp.url}/jwks`,
      end_session_endpoint: `${idp.url}/session/end`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    // The keys it publishes are the ones the authorizer is given inline.
    const published = (await (await fetch(`${idp.url}/jwks`)).json()) as { keys: unknown[] };
    expect(published.keys).toEqual([expect.objectContaining(issuer.jwks.keys[0])]);
  });

  it('signs alice in with code + PKCE, and the API accepts her ID token', async () => {
    const browser = new Browser();
    const { verifier: codeVerifier, challenge } = pkcePair();
    const start = await browser.fetch(authorizationUrl(client, { challenge, state: 'xyz' }));
    const interaction = redirectTarget(start);
    expect(interaction.pathname).toMatch(/^\/interaction\/[\w-]+$/);

    const page = await browser.fetch(interaction);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[\w+/=]+'/);
    expect(csp).toContain(`form-action 'self' ${CONSOLE}`);
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<title>Sign in · local identity provider<\/title>/);
    expect(html).toContain('<legend>Local users</legend>');
    for (const name of ['alice', 'bob', 'carol']) {
      expect(html).toContain(`<button type="submit" name="username" value="${name}">${name}</button>`);
    }
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).not.toMatch(/(src|href)=|@import|https?:\/\//);

    let next = redirectTarget(await browser.post(`${interaction.href}/login`, { username: 'alice' }));
    while (!next.href.startsWith(client.redirectUri)) next = redirectTarget(await browser.fetch(next));
    expect(next.searchParams.get('state')).toBe('xyz');
    expect(next.searchParams.get('iss')).toBe(idp.url);
    const code = next.searchParams.get('code')!;

    const { response, body } = await tokenRequest(client, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: codeVerifier,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile', expires_in: TOKEN_TTL });
    expect(body.refresh_token).toEqual(expect.any(String));

    const { header, claims } = jwtParts(body.id_token);
    expect(header).toMatchObject({ alg: 'RS256', kid: issuer.kid });
    expect(claims).toMatchObject({
      iss: idp.url,
      aud: LOCAL_AUDIENCE,
      sub: localSubject('alice'),
      preferred_username: 'alice',
      groups: ['admins'],
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(TOKEN_TTL);
    await expect(verifier.verify(body.id_token)).resolves.toEqual({
      sub: localSubject('alice'),
      username: 'alice',
      groups: ['admins'],
    });
    // The same subject as `npm run token -- alice` mints: one account either way.
    expect(localSubject('alice')).toMatch(/^[0-9a-f]{32}$/);

    const userinfo = await fetch(`${idp.url}/me`, {
      headers: { Authorization: `Bearer ${body.access_token}`, Origin: CONSOLE },
    });
    expect(await userinfo.json()).toEqual({
      sub: localSubject('alice'),
      preferred_username: 'alice',
      groups: ['admins'],
    });
  });

  it('renews with the refresh token, rotating it, and the renewed ID token is accepted', async () => {
    const { tokens } = await signIn(client, 'bob');
    const renewed = await tokenRequest(client, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(renewed.response.status).toBe(200);
    expect(renewed.body.refresh_token).toEqual(expect.any(String));
    expect(renewed.body.refresh_token).not.toBe(tokens.refresh_token);
    await expect(verifier.verify(renewed.body.id_token)).resolves.toMatchObject({
      username: 'bob',
      groups: [],
    });
    // The rotated-out token is spent.
    const reused = await tokenRequest(client, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(reused.response.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('refuses a code with the wrong code_verifier, and a token request without one', async () => {
    const { challenge } = pkcePair();
    const wrongOrNone: Record<string, string>[] = [{ code_verifier: pkcePair().verifier }, {}];
    for (const fields of wrongOrNone) {
      const callback = await authorize(new Browser(), client, 'carol', { challenge, state: 's' });
      const { response, body } = await tokenRequest(client, {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: client.redirectUri,
        ...fields,
      });
      expect(response.status).toBe(400);
      expect(body.error).toBe('invalid_grant');
    }
  });

  it('refuses an authorization request without PKCE, and one for an unknown redirect_uri, without redirecting', async () => {
    const { challenge } = pkcePair();
    const noPkce = authorizationUrl(client, { challenge, state: 's' });
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const refusedPkce = redirectTarget(await fetch(noPkce, { redirect: 'manual' }));
    expect(refusedPkce.searchParams.get('error')).toBe('invalid_request');

    for (const redirectUri of ['https://attacker.example/callback', `${CONSOLE}/elsewhere`]) {
      const response = await fetch(authorizationUrl(client, { challenge, state: 's', redirectUri }), {
        redirect: 'manual',
        headers: { Accept: 'text/html' },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri did not match any of the client');
    }
  });

  it('signs in a typed username, and refuses an invalid one saying why', async () => {
    const browser = new Browser();
    const { challenge } = pkcePair();
    const interaction = redirectTarget(
      await browser.fetch(authorizationUrl(client, { challenge, state: 's' })),
    );
    const refused = await browser.post(`${interaction.href}/login`, { username: 'dora <b>' });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('“dora &lt;b&gt;” is not a valid username: letters, digits, . _ @ -');
    expect(html).toContain('aria-invalid="true"');

    const { tokens } = await signIn(client, 'dora.lab@inst-1');
    await expect(verifier.verify(tokens.id_token)).resolves.toEqual({
      sub: localSubject('dora.lab@inst-1'),
      username: 'dora.lab@inst-1',
      groups: [],
    });
  });

  it('sends access_denied back to the console when the user cancels', async () => {
    const browser = new Browser();
    const { challenge } = pkcePair();
    const interaction = redirectTarget(
      await browser.fetch(authorizationUrl(client, { challenge, state: 'c' })),
    );
    let next = redirectTarget(await browser.post(`${interaction.href}/abort`, {}));
    while (!next.href.startsWith(client.redirectUri)) next = redirectTarget(await browser.fetch(next));
    expect(next.searchParams.get('error')).toBe('access_denied');
    expect(next.searchParams.get('state')).toBe('c');
  });

  it('says a sign-in page has expired instead of failing when its interaction is unknown', async () => {
    const response = await fetch(`${idp.url}/interaction/no-such-uid`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Go back to the console and sign in again.');
  });

  it('signs out at the console’s request and returns to its origin; the refresh token ends with the session', async () => {
    const { browser, tokens } = await signIn(client, 'alice');
    const end = new URL('/session/end', idp.url);
    end.search = new URLSearchParams({
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: idp.postLogoutRedirectUri,
      state: 'bye',
    }).toString();
    const page = await browser.fetch(end);
    expect(page.status).toBe(200);
    const html = await page.text();
    // The page submits itself (its script allowed by hash), and works without script too.
    const script = /<script>(.*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script).toContain("getElementById('sign-out').click()");
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[\w+/=]+'/);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)">/.exec(html)?.[1] ?? '';
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const back = redirectTarget(await browser.post(action, { xsrf, logout: 'yes' }));
    expect(back.href).toBe(`${CONSOLE}/?state=bye`);

    const renewed = await tokenRequest(client, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    expect(renewed.body.error).toBe('invalid_grant');
  });

  it('answers CORS on the token endpoint for the console origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${idp.url}/token`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    expect((await preflight(CONSOLE)).headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const { response } = await tokenRequest(
      { ...client, origin: 'https://elsewhere.example' },
      { grant_type: 'refresh_token', refresh_token: 'x' },
    );
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('printed no oidc-provider notice or warning (every default it warns about is configured)', () => {
    expect(printed.filter((line) => line.includes('oidc-provider'))).toEqual([]);
  });
});
