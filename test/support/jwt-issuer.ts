/**
 * A token issuer of our own for tests and the local stack: an RSA key pair, its JWKS, and signing of any
 * claims and headers — including broken ones (alg none, HS256 with the public key, unknown kid) so the
 * authorizer's rejections can be shown. No network, no IdP.
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
  kid?: string;
  alg?: 'RS256' | 'HS256' | 'none';
  /** Sign with another issuer's key (bad signature). */
  privateKey?: KeyObject;
  /** HMAC secret for HS256 (the algorithm-confusion attack uses the public key PEM). */
  hmacSecret?: string;
  header?: Record<string, unknown>;
}

export interface TokenIssuer {
  issuer: string;
  audience: string;
  kid: string;
  jwks: { keys: Record<string, unknown>[] };
  publicKeyPem: string;
  /** Private key as PKCS#8 PEM, so a local stack can keep the same keys across restarts. */
  privateKeyPem: string;
  sign(claims: Record<string, unknown>, options?: SignOptions): string;
  /** A valid token for a user, with sensible defaults (1 h lifetime). */
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
  privateKeyPem?: string;
}): TokenIssuer {
  const privateKey = options.privateKeyPem
    ? createPrivateKey(options.privateKeyPem)
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicKey = createPublicKey(privateKey);
  const kid = options.kid ?? 'local-key-1';
  const jwk = publicKey.export({ format: 'jwk' });
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();

  const issuer: TokenIssuer = {
    issuer: options.issuer,
    audience: options.audience,
    kid,
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    publicKeyPem,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    sign(claims, signOptions = {}) {
      const alg = signOptions.alg ?? 'RS256';
      const header = { alg, typ: 'JWT', kid: signOptions.kid ?? kid, ...signOptions.header };
      const input = `${b64(header)}.${b64(claims)}`;
      if (alg === 'none') return `${input}.`;
      if (alg === 'HS256') {
        return `${input}.${createHmac('sha256', signOptions.hmacSecret ?? publicKeyPem)
          .update(input)
          .digest('base64url')}`;
      }
      return `${input}.${sign('RSA-SHA256', Buffer.from(input), signOptions.privateKey ?? privateKey).toString('base64url')}`;
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
