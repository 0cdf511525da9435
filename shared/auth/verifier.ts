/**
 * Verifies the platform's JWTs with aws-jwt-verify: a Cognito user pool (default) or any OIDC issuer
 * (Keycloak, Auth0, an institute's IdP), chosen by configuration, and turns the verified claims into the
 * `Caller`. The verifier is built once per process so its JWKS cache survives across invocations.
 *
 * Environment (declared in shared/settings.ts, group `auth`):
 * - `AUTH_MODE`: `cognito` | `oidc`
 * - cognito: `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID` (comma list), `COGNITO_TOKEN_USE` (`id` default | `access`)
 * - oidc: `OIDC_ISSUER`, `OIDC_AUDIENCE` (comma list), `OIDC_JWKS_URI` (default `<issuer>/.well-known/jwks.json`),
 *   `OIDC_USERNAME_CLAIM` (default `preferred_username`, falls back to `sub`), `OIDC_GROUPS_CLAIM` (default `groups`),
 *   `OIDC_TOKEN_USE` (`id` default | `access`: the kind of token accepted, see checkTokenUse)
 * - either mode: `OIDC_JWKS_JSON`, the JWKS inline. aws-jwt-verify fetches JWKS over https only, so the local
 *   stack's issuer (plain http on 127.0.0.1) hands its keys over this way; when set, the JWKS URI is never
 *   fetched. Not meant for deployments: keys could then only rotate by redeploying.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { perRuntime } from '#shared/runtime';
import { type AuthSettings, settings } from '#shared/settings';
import type { Caller } from './caller';

/** The authorizer's settings (shared/settings.ts, group `auth`). */
export type AuthConfig = AuthSettings;

/** The token is not acceptable; `reason` is a category safe to log (never the token or its claims). */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Token rejected: ${reason}`, options);
  }
}

export interface TokenVerifier {
  /**
   * Resolves to the caller, or rejects with `TokenRejectedError` for a token that is not acceptable.
   * Any other rejection (the JWKS endpoint unreachable or serving garbage) is our fault, not the caller's.
   */
  verify(token: string): Promise<Caller>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

// First match wins, so subclasses come before their parents. aws-jwt-verify's errors all carry the name
// "Error" and messages that quote claims or decoded token bytes, hence a category of our own to log.
const REJECTION_REASONS: [ErrorClass, string][] = [
  [JwtExpiredError, 'expired'],
  [JwtNotBeforeError, 'not yet valid'],
  [JwtInvalidIssuerError, 'wrong issuer'],
  // With several issuers (a Cognito pool has a regional and a global one) an `iss` that matches none of
  // them is refused as a "parameter" error before any claim check; at verify time nothing else raises it.
  [ParameterValidationError, 'wrong issuer'],
  [JwtInvalidAudienceError, 'wrong audience'],
  [CognitoJwtInvalidClientIdError, 'wrong client id'],
  [CognitoJwtInvalidTokenUseError, 'wrong token use'],
  [JwtInvalidClaimError, 'invalid claim'],
  [JwtInvalidSignatureAlgorithmError, 'algorithm not allowed'],
  [JwtInvalidSignatureError, 'bad signature'],
  // The second unknown kid within the back-off period is refused without looking: same reason.
  [KidNotFoundInJwksError, 'unknown kid'],
  [WaitPeriodNotYetEndedJwkError, 'unknown kid'],
  [JwtWithoutValidKidError, 'no kid'],
  [JwtParseError, 'malformed token'],
];

/** Infrastructure failures stay as they are (a 500, retried by the client), everything else is the token's. */
function asRejection(error: unknown): unknown {
  if (error instanceof FetchError || error instanceof JwksValidationError) return error;
  const reason = REJECTION_REASONS.find(([errorClass]) => error instanceof errorClass)?.[1];
  if (reason) return new TokenRejectedError(reason, { cause: error });
  if (error instanceof JwtBaseError) return new TokenRejectedError('invalid token', { cause: error });
  return error;
}

/**
 * RFC 7515 §4.1.11: a recipient must reject a JWS whose `crit` header lists an extension it does not
 * understand, and `crit` itself must be a non-empty array of names present in the header. We understand
 * no extensions (and aws-jwt-verify ignores `crit`), so any `crit` is refused: malformed, or unsupported.
 * A header that does not decode is left to aws-jwt-verify, which calls it a malformed token.
 */
function critRejection(token: string): TokenRejectedError | undefined {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || !Object.hasOwn(header, 'crit')) return undefined;
  const crit = (header as { crit: unknown }).crit;
  const wellFormed =
    Array.isArray(crit) &&
    crit.length > 0 &&
    crit.every((name) => typeof name === 'string' && Object.hasOwn(header, name)) &&
    new Set(crit).size === crit.length;
  return new TokenRejectedError(wellFormed ? 'unsupported crit header' : 'malformed crit header');
}

/** A JWKS cache that only ever "fetches" the given JWKS: an unknown kid then fails without any network call. */
function staticJwksCache(jwks: Jwks): SimpleJwksCache {
  const body = new TextEncoder().encode(JSON.stringify(jwks));
  const fetcher: Fetcher = { fetch: async () => body.buffer.slice(0) as ArrayBuffer };
  return new SimpleJwksCache({ fetcher });
}

const stringList = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  // Some IdPs send a single space- or comma-separated string instead of an array.
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
};

/**
 * The caller from verified claims. aws-jwt-verify accepts a token without `exp`; we do not, since the
 * authorizer's cached Allow covers the whole API and such a token would be valid forever.
 */
function callerFromClaims(payload: JwtPayload, usernameClaims: string[], groupsClaim: string): Caller {
  if (typeof payload.exp !== 'number') throw new TokenRejectedError('no expiry');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new TokenRejectedError('no subject');
  const username = usernameClaims
    .map((claim) => payload[claim])
    .find((value): value is string => typeof value === 'string' && value !== '');
  return { sub: payload.sub, username: username ?? payload.sub, groups: stringList(payload[groupsClaim]) };
}

/**
 * What a JWT says it is, by the markers issuers put on it: RFC 9068's `typ: at+jwt` header of an access
 * token; Cognito's `token_use` claim (`id`, `access`); Keycloak's `typ` claim (`ID`, `Bearer`, `Refresh`,
 * …); and, on a token without any of those, a `scope` or `scp` claim, which access tokens carry (RFC 9068
 * §2.2.3, Okta, Entra ID) and ID tokens do not. `undefined`: no marker at all.
 */
export function tokenKindOf(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): 'id' | 'access' | 'other' | undefined {
  const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : undefined);
  const headerTyp = lower(header.typ);
  if (headerTyp === 'at+jwt' || headerTyp === 'application/at+jwt') return 'access';
  const tokenUse = lower(payload.token_use);
  if (tokenUse !== undefined) return tokenUse === 'id' || tokenUse === 'access' ? tokenUse : 'other';
  const claimTyp = lower(payload.typ);
  if (claimTyp !== undefined) return claimTyp === 'id' ? 'id' : claimTyp === 'bearer' ? 'access' : 'other';
  if (payload.scope !== undefined || payload.scp !== undefined) return 'access';
  return undefined;
}

/**
 * OIDC mode takes one kind of token (OIDC_TOKEN_USE, `id` by default: what the console sends). A token
 * marked as another kind — an access token, a refresh or logout token — is refused even when its
 * issuer, audience and signature are right: an access token minted for another resource at the same
 * issuer must not stand in for the user's ID token. A token without any marker is taken as either.
 */
function checkTokenUse(expected: 'id' | 'access') {
  return ({ header, payload }: { header: object; payload: object }) => {
    const kind = tokenKindOf(header as Record<string, unknown>, payload as Record<string, unknown>);
    if (kind !== undefined && kind !== expected) throw new TokenRejectedError('wrong token use');
  };
}

export function createTokenVerifier(config: AuthConfig, options: { jwks?: Jwks } = {}): TokenVerifier {
  const jwks = options.jwks ?? config.OIDC_JWKS_JSON;
  const cache = jwks ? { jwksCache: staticJwksCache(jwks) } : undefined;
  let verifyClaims: (token: string) => Promise<JwtPayload>;
  let usernameClaims: string[];
  let groupsClaim: string;

  if (config.AUTH_MODE === 'cognito') {
    const verifier = CognitoJwtVerifier.create(
      {
        userPoolId: config.COGNITO_USER_POOL_ID,
        clientId: config.COGNITO_CLIENT_ID,
        tokenUse: config.COGNITO_TOKEN_USE,
      },
      cache,
    );
    verifyClaims = (token) => verifier.verify(token);
    // Id tokens name the user in `cognito:username`, access tokens in `username`.
    usernameClaims = ['cognito:username', 'username'];
    groupsClaim = 'cognito:groups';
  } else {
    const verifier = JwtVerifier.create(
      {
        issuer: config.OIDC_ISSUER,
        audience: config.OIDC_AUDIENCE,
        jwksUri: config.OIDC_JWKS_URI ?? `${config.OIDC_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`,
        customJwtCheck: checkTokenUse(config.OIDC_TOKEN_USE),
      },
      cache,
    );
    verifyClaims = (token) => verifier.verify(token);
    usernameClaims = [config.OIDC_USERNAME_CLAIM];
    groupsClaim = config.OIDC_GROUPS_CLAIM;
  }

  return {
    async verify(token) {
      const crit = critRejection(token);
      if (crit) throw crit;
      let payload: JwtPayload;
      try {
        payload = await verifyClaims(token);
      } catch (error) {
        throw asRejection(error);
      }
      return callerFromClaims(payload, usernameClaims, groupsClaim);
    },
  };
}

/** The verifier of this process, from the environment: built on first use, then reused (warm JWKS cache). */
export function tokenVerifier(): TokenVerifier {
  return perRuntime(tokenVerifier, () => createTokenVerifier(settings.auth()));
}
