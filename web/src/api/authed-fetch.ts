/**
 * The fetch every API call goes through: adds `Authorization: Bearer <id token>` (the authorizer checks
 * the ID token's `aud`), and on a 401 renews the session once (refresh token) and repeats the request;
 * when that fails too the user is sent to sign in again, back to where they were afterwards.
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
    signInAgain: () => void signIn(manager),
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
    if (renewed) {
      const again = await send(retry, renewed);
      if (again.status !== 401) return again;
    }
    tokens.signInAgain();
    return response;
  };
}
