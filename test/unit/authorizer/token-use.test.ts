/**
 * OIDC mode accepts one kind of token (OIDC_TOKEN_USE, `id` by default): a token its issuer marks as
 * another kind is refused even though its issuer, audience and signature are right (shared/auth/verifier.ts
 * checkTokenUse). Cognito mode checks `token_use` through aws-jwt-verify (cognito.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { tokenKindOf } from '#shared/auth/verifier';
import { issuer, methodArn, oidcAuthorizer, watchDenials } from './support';

function tokenUseAuthorizer(env: Record<string, string> = {}) {
  const authorizer = oidcAuthorizer(env);
  return (token: string) => authorizer({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer.issuer,
  aud: issuer.audience,
  sub: 'user-123',
  iat: now(),
  exp: now() + 600,
  ...extra,
});
/** Tokens of each kind as issuers mark them, every one validly signed for the right issuer and audience. */
const accessTokens: [string, () => string][] = [
  ['an RFC 9068 access token (typ at+jwt)', () => issuer.sign(claims(), { header: { typ: 'at+jwt' } })],
  [
    'an access token typed application/at+jwt',
    () => issuer.sign(claims(), { header: { typ: 'application/at+jwt' } }),
  ],
  ['a token with token_use access', () => issuer.sign(claims({ token_use: 'access' }))],
  ['a Keycloak access token (typ Bearer)', () => issuer.sign(claims({ typ: 'Bearer', scope: 'openid' }))],
  ['an unmarked token with a scope', () => issuer.sign(claims({ scope: 'openid profile' }))],
  ['an unmarked token with scp (Entra ID)', () => issuer.sign(claims({ scp: 'user.read' }))],
];
const otherTokens: [string, () => string][] = [
  ['a Keycloak refresh token (typ Refresh)', () => issuer.sign(claims({ typ: 'Refresh' }))],
  ['a logout token (token_use logout)', () => issuer.sign(claims({ token_use: 'logout' }))],
];
const idTokens: [string, () => string][] = [
  ['a Keycloak ID token (typ ID)', () => issuer.sign(claims({ typ: 'ID', azp: 'console' }))],
  ['a token with token_use id', () => issuer.sign(claims({ token_use: 'id' }))],
];
const unmarked = () => issuer.sign(claims({ nonce: 'n-1' }));

const { expectDenied } = watchDenials();

describe('OIDC mode, ID tokens (the default)', () => {
  const authorize = tokenUseAuthorizer();

  it.each(accessTokens)('refuses %s', async (_, token) => {
    await expectDenied(authorize(token()), 'wrong token use');
  });

  it.each(otherTokens)('refuses %s', async (_, token) => {
    await expectDenied(authorize(token()), 'wrong token use');
  });

  it.each([...idTokens, ['a token without any marker', unmarked] as [string, () => string]])(
    'allows %s',
    async (_, token) => {
      expect((await authorize(token())).principalId).toBe('user-123');
    },
  );
});

describe('OIDC mode, access tokens (OIDC_TOKEN_USE=access)', () => {
  const authorize = tokenUseAuthorizer({ OIDC_TOKEN_USE: 'access' });

  it.each(idTokens)('refuses %s', async (_, token) => {
    await expectDenied(authorize(token()), 'wrong token use');
  });

  it.each(accessTokens)('allows %s', async (_, token) => {
    expect((await authorize(token())).principalId).toBe('user-123');
  });
});

describe('the kind of a token', () => {
  it('reads the header typ first, then token_use, then the typ claim, then scope', () => {
    expect(tokenKindOf({ typ: 'AT+JWT' }, { token_use: 'id' })).toBe('access');
    expect(tokenKindOf({ typ: 'JWT' }, { token_use: 'id', scope: 'x' })).toBe('id');
    expect(tokenKindOf({ typ: 'JWT' }, { typ: 'id' })).toBe('id');
    expect(tokenKindOf({ typ: 'JWT' }, {})).toBeUndefined();
  });
});
