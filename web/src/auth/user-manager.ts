/**
 * The one oidc-client-ts UserManager of the console: authorization code + PKCE, the user kept in
 * sessionStorage (the library's default: gone with the tab), renewed with refresh tokens before expiry.
 * The API client takes the ID token from it and renews through it on a 401; react-oidc-context renders
 * from it. Where a user was when they had to sign in is kept in the sign-in request's state.
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleConfig } from '../config';

export function createUserManager(config: ConsoleConfig, origin = window.location.origin): UserManager {
  return new UserManager({
    authority: config.oidc.authority,
    client_id: config.oidc.clientId,
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: config.oidc.scope,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: true,
    // Renew with the refresh token only: the console's CSP allows no frames for an iframe renew.
    silentRequestTimeoutInSeconds: 10,
    loadUserInfo: false,
    monitorSession: false,
  });
}

/** Where to come back to after signing in: the path, search and hash the user was on. */
export interface SignInState {
  returnTo: string;
}

export function currentLocation(): string {
  const { pathname, search, hash } = window.location;
  return pathname === '/callback' ? '/' : `${pathname}${search}${hash}`;
}

/** Sends the browser to the identity provider, remembering where the user was. */
export function signIn(manager: UserManager, returnTo = currentLocation()): Promise<void> {
  return manager.signinRedirect({ state: { returnTo } satisfies SignInState });
}

/**
 * Signs out at the identity provider. An issuer without end_session_endpoint (Cognito) gets its logout
 * URL with `client_id` and `logout_uri`; otherwise the standard end-session redirect.
 */
export async function signOut(manager: UserManager, config: ConsoleConfig): Promise<void> {
  if (config.oidc.logoutUrl) {
    // Cognito's logout ends the hosted-UI session but not the refresh token (valid for 30 days): revoke it
    // first (its revocation endpoint is in the discovery document). A failed revocation does not keep the
    // user signed in here.
    await manager.revokeTokens(['refresh_token']).catch(() => undefined);
    await manager.removeUser();
    window.location.assign(cognitoLogoutUrl(config, window.location.origin));
    return;
  }
  await manager.signoutRedirect();
}

export function cognitoLogoutUrl(config: ConsoleConfig, origin: string): string {
  const url = new URL(config.oidc.logoutUrl!);
  url.searchParams.set('client_id', config.oidc.clientId);
  url.searchParams.set('logout_uri', `${origin}/`);
  return url.toString();
}

/** Only paths of this origin are returned to (a crafted state cannot send the user elsewhere). */
export function safeReturnPath(state: unknown): string {
  const returnTo = (state as Partial<SignInState> | undefined)?.returnTo;
  return typeof returnTo === 'string' && returnTo.startsWith('/') && !returnTo.startsWith('//')
    ? returnTo
    : '/';
}
