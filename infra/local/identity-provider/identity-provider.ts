/**
 * A real OpenID Connect provider for the local stack (oidc-provider, on its own port), so the web console
 * signs in locally exactly as it does against Cognito's hosted UI or an institute's issuer: discovery,
 * authorization code + PKCE (S256), token, refresh, userinfo, JWKS, revocation and RP-initiated logout.
 *
 * - Its issuer is its own URL, `http://127.0.0.1:<port>`, and it signs ID tokens (RS256) with the local
 *   issuer's key and kid (`<data>/issuer.json`, local-environment.ts), the key the authorizer is given
 *   inline: a token from here and one from `npm run token` are equally valid.
 * - One public client, the console: client_id LOCAL_AUDIENCE (the `aud` the authorizer accepts), no
 *   secret, PKCE required, code + refresh_token grants (the console renews with refresh tokens, without
 *   iframes), redirect `<console>/callback`, post-logout redirect `<console>/`, CORS for that origin only.
 * - ID tokens carry `sub` (local-users.ts: the same subject `npm run token` gives), `preferred_username`
 *   and `groups` with the scopes `openid profile`; refresh tokens are issued without `offline_access`, as
 *   Cognito does, and end with the session (sign-out ends them).
 * - State (sessions, codes, refresh tokens) is in memory: a restart signs everyone out of the console,
 *   nothing else. oidc-provider's own in-memory store is chosen explicitly (its factory, not its default,
 *   which warns that it is one). Cookie keys are derived from the persisted key: no file of their own.
 *   Features the cloud issuers do not offer (PAR, DPoP, resource indicators) are off.
 */
import { createPrivateKey, hkdfSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { LOCAL_AUDIENCE } from '../local-environment';
import { LOCAL_USERS, type LocalUser, localUser } from '../local-users';
import type { TokenIssuer } from '../token-issuer';
import { interactionHandler } from './interactions';
import { identityProviderContentSecurityPolicy, logoutPage, messagePage } from './pages';

export interface IdentityProviderOptions {
  /** Key, kid and issuer URL; the provider listens on that URL's port (127.0.0.1). */
  issuer: TokenIssuer;
  /** The console's origin, e.g. `http://127.0.0.1:3001`. */
  consoleOrigin: string;
  /** ID and access token lifetime (default 1 h). */
  tokenTtlSeconds?: number;
  /** Refresh token (and session) lifetime (default 1 day). */
  refreshTokenTtlSeconds?: number;
}

export interface IdentityProvider {
  /** The issuer, e.g. `http://127.0.0.1:3002`; discovery at `<url>/.well-known/openid-configuration`. */
  url: string;
  clientId: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  close(): Promise<void>;
}

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const url = new URL(options.issuer.issuer);
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || !url.port || url.pathname !== '/') {
    throw new Error(`the local issuer must be http://127.0.0.1:<port>, not ${options.issuer.issuer}`);
  }
  const issuerUrl = url.origin;
  const tokenTtl = options.tokenTtlSeconds ?? 3600;
  const refreshTtl = options.refreshTokenTtlSeconds ?? 86_400;
  const client = {
    client_id: LOCAL_AUDIENCE,
    client_name: 'Imputation gateway console (local)',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${options.consoleOrigin}/callback`],
    post_logout_redirect_uris: [`${options.consoleOrigin}/`],
    id_token_signed_response_alg: 'RS256',
  };

  // Accounts are the usernames signed in since the start (the known users from the beginning).
  const accounts = new Map<string, LocalUser>();
  const remember = (username: string) => {
    const user = localUser(username);
    accounts.set(user.sub, user);
    return user.sub;
  };
  for (const user of LOCAL_USERS) remember(user.username);

  const privateKeyPem = options.issuer.privateKeyPem;
  const signingKey = {
    ...createPrivateKey(privateKeyPem).export({ format: 'jwk' }),
    kid: options.issuer.kid,
    alg: 'RS256',
    use: 'sig',
  };
  const cookieKey = Buffer.from(
    hkdfSync('sha256', privateKeyPem, 'imputation-gateway-local', 'oidc-provider cookie keys', 32),
  ).toString('base64url');

  const provider = new Provider(issuerUrl, {
    clients: [client],
    jwks: { keys: [signingKey] },
    cookies: { keys: [cookieKey] },
    adapter: createMemoryAdapter(15),
    claims: {
      acr: null,
      sid: null,
      auth_time: null,
      iss: null,
      openid: ['sub'],
      profile: ['preferred_username', 'groups'],
    },
    // The scope's claims go into the ID token too: the API reads username and groups from it.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['none'],
    pkce: { required: () => true },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    issueRefreshToken: (_ctx, requester) => requester.grantTypeAllowed('refresh_token'),
    clientBasedCORS: (_ctx, origin, requester) =>
      requester.clientId === LOCAL_AUDIENCE && origin === options.consoleOrigin,
    findAccount: async (_ctx, id) => {
      const user = accounts.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: user.username, groups: user.groups }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: tokenTtl,
      IdToken: tokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: refreshTtl,
      Grant: refreshTtl,
      // A rotated refresh token keeps its predecessor's end: a day after sign-in, not after last use.
      RefreshToken: (ctx) => ctx?.oidc?.entities?.RotatedRefreshToken?.remainingTTL ?? refreshTtl,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, requester: { clientId: string }, token: { clientId: string }) =>
          token.clientId === requester.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: Parameters<typeof renderLogout>[0], form: string) =>
          renderLogout(ctx, form),
        postLogoutSuccessSource: async (ctx: { type: string; body: unknown }) => {
          ctx.type = 'html';
          ctx.body = messagePage('Signed out', ['You are signed out of the local identity provider.']);
        },
      },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = messagePage('Sign-in failed', [
        `${out.error ?? 'error'}: ${out.error_description ?? 'the request was refused'}`,
        'Go back to the console and sign in again.',
      ]);
    },
  });
  const headers = {
    'Content-Security-Policy': identityProviderContentSecurityPolicy(options.consoleOrigin),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  provider.use(async (ctx, next) => {
    for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
    await next();
  });
  provider.on('server_error', (_ctx, error) => console.error('local identity provider error', error));

  const interactions = interactionHandler({ provider, signIn: remember, headers });
  const providerCallback = provider.callback();
  const server = createServer((request, response) => {
    interactions(request, response)
      .then((handled) => {
        if (!handled) providerCallback(request, response);
      })
      .catch((error: unknown) => {
        console.error('local identity provider: interaction failed', error);
        if (response.headersSent) return response.destroy();
        const html = messagePage('Sign-in failed', ['Something went wrong; see the npm start output.']);
        response.writeHead(500, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      });
  });
  server.listen(Number(url.port), '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    clientId: client.client_id,
    redirectUri: client.redirect_uris[0]!,
    postLogoutRedirectUri: client.post_logout_redirect_uris[0]!,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Asked for by the console (an id_token_hint it holds), sign-out needs no second click. */
function renderLogout(
  ctx: { type: string; body: unknown; oidc: { params?: Record<string, unknown> } },
  form: string,
) {
  ctx.type = 'html';
  ctx.body = logoutPage(form, typeof ctx.oidc.params?.id_token_hint === 'string');
}
