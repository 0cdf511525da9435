import { describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '#functions/authorizer/handler';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { createTokenVerifier } from '#shared/auth/verifier';
import { parseSettings } from '#shared/settings';
import { watchDenials } from './support';

// CognitoJwtVerifier derives the issuer from the pool id; a fake pool id and our own key stand in for it.
const poolId = 'eu-west-1_TestPool1';
const pool = createTokenIssuer({
  issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
  audience: 'client-abc',
});
const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/jobs';
const now = () => Math.floor(Date.now() / 1000);

function cognitoAuthorizer(env: Record<string, string> = {}) {
  const config = parseSettings('auth', {
    AUTH_MODE: 'cognito',
    COGNITO_USER_POOL_ID: poolId,
    COGNITO_CLIENT_ID: 'client-abc',
    ...env,
  });
  const verifier = createTokenVerifier(config, { jwks: pool.jwks });
  const handler = createAuthorizerHandler(() => verifier);
  return (token: string) => handler({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
}

const idToken = (extra: Record<string, unknown> = {}) =>
  pool.sign({
    iss: pool.issuer,
    aud: 'client-abc',
    sub: 'c0ffee-sub',
    token_use: 'id',
    'cognito:username': 'carol',
    'cognito:groups': ['admins'],
    auth_time: now(),
    iat: now(),
    exp: now() + 600,
    ...extra,
  });

const accessToken = (extra: Record<string, unknown> = {}) =>
  pool.sign({
    iss: pool.issuer,
    client_id: 'client-abc',
    sub: 'c0ffee-sub',
    token_use: 'access',
    username: 'carol',
    'cognito:groups': ['admins', 'researchers'],
    scope: 'openid',
    auth_time: now(),
    iat: now(),
    exp: now() + 600,
    ...extra,
  });

const { expectDenied } = watchDenials();

describe('Cognito mode, id tokens (the default)', () => {
  const authorize = cognitoAuthorizer();

  it('allows an id token of the app client, with cognito:username and cognito:groups as context', async () => {
    const result = await authorize(idToken());
    expect(result.principalId).toBe('c0ffee-sub');
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/*',
      },
    ]);
    expect(result.context).toEqual({ sub: 'c0ffee-sub', username: 'carol', groups: '["admins"]' });
  });

  it('allows any of several configured app clients', async () => {
    const several = cognitoAuthorizer({ COGNITO_CLIENT_ID: 'client-abc,client-cli' });
    expect((await several(idToken({ aud: 'client-cli' }))).principalId).toBe('c0ffee-sub');
  });

  it('denies an id token of another app client', async () => {
    await expectDenied(authorize(idToken({ aud: 'client-other' })), 'wrong client id');
  });

  it('denies an access token where an id token is expected', async () => {
    await expectDenied(authorize(accessToken()), 'wrong token use');
  });

  it('allows the global issuer form of the same pool', async () => {
    const globalIssuer = `https://issuer-cognito-idp.eu-west-1.amazonaws.com/${poolId}`;
    expect((await authorize(idToken({ iss: globalIssuer }))).principalId).toBe('c0ffee-sub');
  });

  it('denies a token without issuer', async () => {
    await expectDenied(authorize(idToken({ iss: undefined })), 'wrong issuer');
  });

  it('denies a token of another user pool', async () => {
    const otherPool = `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool`;
    await expectDenied(authorize(idToken({ iss: otherPool })), 'wrong issuer');
  });

  it('denies an expired id token', async () => {
    await expectDenied(authorize(idToken({ iat: now() - 7200, exp: now() - 3600 })), 'expired');
  });

  it('denies an id token signed with the public key as HMAC secret', async () => {
    await expectDenied(
      authorize(pool.sign(JSON.parse(atob(idToken().split('.')[1]!)), { alg: 'HS256' })),
      'algorithm not allowed',
    );
  });
});

describe('Cognito mode, access tokens (COGNITO_TOKEN_USE=access)', () => {
  const authorize = cognitoAuthorizer({ COGNITO_TOKEN_USE: 'access' });

  it('allows an access token of the app client, with username and cognito:groups as context', async () => {
    const result = await authorize(accessToken());
    expect(result.context).toEqual({
      sub: 'c0ffee-sub',
      username: 'carol',
      groups: '["admins","researchers"]',
    });
  });

  it('denies an access token of another app client', async () => {
    await expectDenied(authorize(accessToken({ client_id: 'client-other' })), 'wrong client id');
  });

  it('denies an id token where an access token is expected', async () => {
    await expectDenied(authorize(idToken()), 'wrong token use');
  });
});
