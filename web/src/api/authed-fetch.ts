/**
 * The fetch every API call goes through: adds `Authorization: Bearer <id token>` (the authorizer checks
 * the ID token's `aud`), and on a 401 renews the session once (refresh token) and repeats the request.
 * Only when the session cannot be renewed is the user sent to sign in again (back where they were
 * afterwards). A renewed token that is refused too means the gateway does not accept this identity
 * provider's tokens (a misconfiguration): signing in again would come straight back to the same 401 — an
 * endless redirect — so the 401 is answered to the page, which says so.
 */
import type { UserManager } from 'oidc-client-ts';
import { signIn } from '../auth/user-manager';
import { ApiError } from './api-error';

export interface TokenSource {
  idToken(): Promise<string | undefined>;
  /** A renewed ID token, or undefined when the session cannot be renewed. */
  renew(): Promise<string | undefined>;
  signInAgain(): void;
}

/** Sign-in redirects closer together than this are a loop (the identity provider's session is live). */
const REDIRECT_GUARD_MS = 60_000;
const REDIRECT_MARK = 'console.signInRedirectAt';

/** True at most once a minute per tab: the guard against a sign-in that keeps coming back refused. */
export function mayRedirectToSignIn(store: Pick<Storage, 'getItem' | 'setItem'>, now = Date.now()): boolean {
  const last = Number(store.getItem(REDIRECT_MARK) ?? 0);
  if (now - last < REDIRECT_GUARD_MS) return false;
  store.setItem(REDIRECT_MARK, String(now));
  return true;
}

export function userManagerTokens(manager: UserManager): TokenSource {
  let renewing: Promise<string | undefined> | undefined;
  return {
    idToken: async () => {
      const user = await manager.getUser();
      return user && !user.expired ? user.id_token : undefined;
    },
    renew: () => {
      // Concurrent 401s share one renewal.
      renewing ??= manager
        .signinSilent()
        .then((user) => user?.id_token)
        .catch(() => undefined)
        .finally(() => {
          renewing = undefined;
        });
      return renewing;
    },
    signInAgain: () => {
      if (mayRedirectToSignIn(window.sessionStorage)) void signIn(manager);
    },
  };
}

export function authedFetch(tokens: TokenSource, base: typeof fetch = fetch) {
  const send = async (request: Request, token: string | undefined): Promise<Response> => {
    const headers = new Headers(request.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    try {
      return await base(new Request(request, { headers }));
    } catch {
      throw new ApiError('NETWORK', 'The request did not reach the gateway.', 0);
    }
  };
  return async (input: Request): Promise<Response> => {
    const retry = input.clone();
    const response = await send(input, (await tokens.idToken()) ?? (await tokens.renew()));
    if (response.status !== 401) return response;
    const renewed = await tokens.renew();
    if (renewed) return send(retry, renewed);
    tokens.signInAgain();
    return response;
  };
}
