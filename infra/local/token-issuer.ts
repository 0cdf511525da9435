/**
 * A token issuer of our own for tests and the local stack: an RSA key pair, its JWKS, and signing of any
 * claims and headers — including broken ones (alg none, HS256 with the public key, unknown kid, another
 * key) so the authorizer's rejections can be shown. No network: in the local stack its key is also the
 * one the OIDC provider (identity-provider/) signs ID tokens with, so both kinds of token are accepted.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';

export interface SignOptions {
  /** Header `kid`; defaults to the issuer's. */
  kid?: string;
  alg?: 'RS256' | 'HS256' | 'none';
  /** Sign with another key (a bad signature under the issuer's kid). */
  privateKey?: KeyObject;
  /** HMAC secret for HS256; defaults to the public key PEM (the algorithm-confusion attack). */
  hmacSecret?: string;
  /** Merged over the header; a key set to `undefined` is left out (e.g. `{ kid: undefined }`). */
  header?: Record<string, unknown>;
}

/** A type alias, not an interface, so it is assignable to aws-jwt-verify's JSON-typed `Jwks`. */
export type PublicJwk = { kty: string; kid: string; alg: string; use: string; n: string; e: string };

export interface TokenIssuer {
  issuer: string;
  audience: string;
  kid: string;
  /** What a JWKS URI serves; also what `OIDC_JWKS_JSON` takes, as JSON. */
  jwks: { keys: PublicJwk[] };
  publicKeyPem: string;
  /** Private key as PKCS#8 PEM, so a local stack can keep the same keys across restarts. */
  privateKeyPem: string;
  /** Signs exactly the given claims (nothing added), so tests control every claim. */
  sign(claims: Record<string, unknown>, options?: SignOptions): string;
  /** A valid token for a user with OIDC-style claims (`preferred_username`, `groups`), valid for 1 h. */
  tokenFor(
    user: { sub: string; username?: string; groups?: string[] },
    extra?: Record<string, unknown>,
  ): string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createTokenIssuer(options: {
  issuer: string;
  audience: string;
  kid?: string;
  /** Reuse a key (PKCS#8 PEM) instead of generating one. */
  privateKeyPem?: string;
}): TokenIssuer {
  const privateKey = options.privateKeyPem
    ? createPrivateKey(options.privateKeyPem)
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicKey = createPublicKey(privateKey);
  const kid = options.kid ?? 'local-key-1';
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (!n || !e) throw new Error('the issuer key must be RSA');
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();

  const issuer: TokenIssuer = {
    issuer: options.issuer,
    audience: options.audience,
    kid,
    jwks: { keys: [{ kty: 'RSA', kid, alg: 'RS256', use: 'sig', n, e }] },
    publicKeyPem,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    sign(claims, signOptions = {}) {
      const alg = signOptions.alg ?? 'RS256';
      const header = { alg, typ: 'JWT', kid: signOptions.kid ?? kid, ...signOptions.header };
      const input = `${b64(header)}.${b64(claims)}`;
      if (alg === 'none') return `${input}.`;
      if (alg === 'HS256') {
        const secret = signOptions.hmacSecret ?? publicKeyPem;
        return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      }
      const key = signOptions.privateKey ?? privateKey;
      return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
    },
    tokenFor(user, extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      return issuer.sign({
        iss: options.issuer,
        aud: options.audience,
        sub: user.sub,
        preferred_username: user.username ?? user.sub,
        groups: user.groups ?? [],
        iat: now,
        nbf: now,
        exp: now + 3600,
        ...extra,
      });
    },
  };
  return issuer;
}
