/**
 * Verifies the platform's JWTs with aws-jwt-verify: a Cognito user pool (default) or any OIDC issuer
 * (Keycloak, Auth0, an institute's IdP), chosen by configuration. The verifier is built once per process
 * so its JWKS cache survives across invocations. A JWKS can also be given inline (OIDC_JWKS_JSON): the
 * local stack's issuer serves plain http, which aws-jwt-verify will not fetch, so it hands over its keys.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import type { Fetcher } from 'aws-jwt-verify/https';
import { type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { z } from 'zod';
import { commaList, parseEnv } from '#shared/config';
import type { Caller } from './caller';

export const authConfigSchema = z.discriminatedUnion('AUTH_MODE', [
  z.object({
    AUTH_MODE: z.literal('cognito'),
    COGNITO_USER_POOL_ID: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'not a user pool id'),
    COGNITO_CLIENT_ID: commaList.pipe(z.array(z.string()).min(1)),
    COGNITO_TOKEN_USE: z.enum(['id', 'access']).default('id'),
    OIDC_JWKS_JSON: z.string().optional(),
  }),
  z.object({
    AUTH_MODE: z.literal('oidc'),
    OIDC_ISSUER: z.url(),
    OIDC_AUDIENCE: commaList.pipe(z.array(z.string()).min(1)),
    OIDC_JWKS_URI: z.url().optional(),
    OIDC_USERNAME_CLAIM: z.string().default('preferred_username'),
    OIDC_GROUPS_CLAIM: z.string().default('groups'),
    OIDC_JWKS_JSON: z.string().optional(),
  }),
]);

export type AuthConfig = z.infer<typeof authConfigSchema>;

export interface TokenVerifier {
  /** Resolves to the caller, or rejects with aws-jwt-verify's error naming the reason. */
  verify(token: string): Promise<Caller>;
}

/** A fetcher that only ever returns the given JWKS: an unknown `kid` then fails without any network call. */
function staticJwksCache(jwks: Jwks): SimpleJwksCache {
  const body = new TextEncoder().encode(JSON.stringify(jwks));
  const fetcher: Fetcher = { fetch: async () => body.buffer.slice(0) as ArrayBuffer };
  return new SimpleJwksCache({ fetcher });
}

const stringList = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
};

export function createTokenVerifier(config: AuthConfig, options: { jwks?: Jwks } = {}): TokenVerifier {
  const inline =
    options.jwks ?? (config.OIDC_JWKS_JSON ? (JSON.parse(config.OIDC_JWKS_JSON) as Jwks) : undefined);
  const extra = inline ? { jwksCache: staticJwksCache(inline) } : undefined;

  if (config.AUTH_MODE === 'cognito') {
    const verifier = CognitoJwtVerifier.create(
      {
        userPoolId: config.COGNITO_USER_POOL_ID,
        clientId: config.COGNITO_CLIENT_ID,
        tokenUse: config.COGNITO_TOKEN_USE,
      },
      extra,
    );
    return {
      async verify(token) {
        const payload = (await verifier.verify(token as never)) as JwtPayload;
        const username = payload['cognito:username'] ?? payload.username ?? payload.sub;
        return {
          sub: String(payload.sub),
          username: String(username),
          groups: stringList(payload['cognito:groups']),
        };
      },
    };
  }

  const verifier = JwtVerifier.create(
    {
      issuer: config.OIDC_ISSUER,
      audience: config.OIDC_AUDIENCE,
      jwksUri: config.OIDC_JWKS_URI ?? `${config.OIDC_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`,
    },
    extra,
  );
  return {
    async verify(token) {
      const payload = (await verifier.verify(token as never)) as JwtPayload;
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new Error('token has no sub');
      const username = payload[config.OIDC_USERNAME_CLAIM];
      return {
        sub: payload.sub,
        username: typeof username === 'string' && username ? username : payload.sub,
        groups: stringList(payload[config.OIDC_GROUPS_CLAIM]),
      };
    },
  };
}

let processVerifier: TokenVerifier | undefined;

/** The verifier of this process, from the environment (built on first use). */
export function tokenVerifier(): TokenVerifier {
  processVerifier ??= createTokenVerifier(parseEnv(authConfigSchema));
  return processVerifier;
}
