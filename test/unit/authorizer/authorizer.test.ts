import { generateKeyPairSync } from 'node:crypto';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAuthorizerHandler, wholeApiArn } from '#functions/authorizer/handler';
import { callerFromEvent, callerToAuthorizerContext } from '#shared/auth/caller';
import { type AuthConfig, authConfigSchema, createTokenVerifier } from '#shared/auth/verifier';
import { apiEvent } from '#test/support/api-event';
import { createTokenIssuer } from '#test/support/jwt-issuer';

const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/jobs/01ABC';
const issuer = createTokenIssuer({
  issuer: 'https://idp.example.org/realms/research',
  audience: 'imputation-gateway',
});
const oidcConfig = authConfigSchema.parse({
  AUTH_MODE: 'oidc',
  OIDC_ISSUER: issuer.issuer,
  OIDC_AUDIENCE: issuer.audience,
}) as AuthConfig;
const oidc = createAuthorizerHandler(() => createTokenVerifier(oidcConfig, { jwks: issuer.jwks as never }));
const authorize = (header?: string) =>
  oidc({ type: 'TOKEN', authorizationToken: header as string, methodArn });

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer.issuer,
  aud: issuer.audience,
  sub: 'user-123',
  preferred_username: 'alice',
  groups: ['researchers', 'admins'],
  iat: now(),
  exp: now() + 600,
  ...extra,
});

describe('the authorizer allows a valid token', () => {
  it('for the whole API, with the caller as context', async () => {
    const result = (await authorize(`Bearer ${issuer.sign(claims())}`)) as APIGatewayAuthorizerResult;
    expect(result.principalId).toBe('user-123');
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/*',
      },
    ]);
    const event = apiEvent({ caller: null });
    event.requestContext.authorizer = result.context as never;
    expect(callerFromEvent(event)).toEqual({
      sub: 'user-123',
      username: 'alice',
      groups: ['researchers', 'admins'],
    });
  });

  it('falls back to sub as username when the username claim is absent', async () => {
    const result = await authorize(
      `Bearer ${issuer.sign(claims({ preferred_username: undefined, groups: undefined }))}`,
    );
    expect(result.context).toMatchObject({ sub: 'user-123', username: 'user-123', groups: '[]' });
  });

  it('derives the wildcard ARN from any method ARN', () => {
    expect(wholeApiArn('arn:aws:execute-api:us-east-1:1:api/prod/POST/a/b/c')).toBe(
      'arn:aws:execute-api:us-east-1:1:api/prod/*/*',
    );
  });
});

describe('the authorizer denies with 401 (Unauthorized)', () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const cases: [string, () => string | undefined][] = [
    ['no header', () => undefined],
    ['an empty header', () => ''],
    ['a Basic header', () => 'Basic dXNlcjpwYXNz'],
    ['a Bearer without token', () => 'Bearer '],
    ['a lowercase scheme with extra spaces', () => `bearer  ${issuer.sign(claims())}`],
    ['a malformed token', () => 'Bearer not.a-jwt'],
    ['garbage in the token segments', () => 'Bearer aaaa.bbbb.cccc'],
    ['a bad signature', () => `Bearer ${issuer.sign(claims(), { privateKey: other })}`],
    ['an expired token', () => `Bearer ${issuer.sign(claims({ iat: now() - 7200, exp: now() - 3600 }))}`],
    ['a token not yet valid', () => `Bearer ${issuer.sign(claims({ nbf: now() + 3600 }))}`],
    ['a wrong issuer', () => `Bearer ${issuer.sign(claims({ iss: 'https://evil.example.com' }))}`],
    ['a wrong audience', () => `Bearer ${issuer.sign(claims({ aud: 'another-app' }))}`],
    ['alg none', () => `Bearer ${issuer.sign(claims(), { alg: 'none' })}`],
    ['HS256 signed with the public key', () => `Bearer ${issuer.sign(claims(), { alg: 'HS256' })}`],
    ['an unknown kid', () => `Bearer ${issuer.sign(claims(), { kid: 'unknown-kid' })}`],
    ['a token without sub', () => `Bearer ${issuer.sign(claims({ sub: undefined }))}`],
  ];
  it.each(cases)('%s', async (_, header) => {
    await expect(authorize(header())).rejects.toThrow('Unauthorized');
  });

  it('never logs the token', async () => {
    const token = issuer.sign(claims({ exp: now() - 10 }));
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      await authorize(`Bearer ${token}`).catch(() => undefined);
    } finally {
      process.stdout.write = write;
    }
    expect(lines.join('')).not.toContain(token.split('.')[2]);
  });
});

describe('Cognito mode', () => {
  const poolId = 'eu-west-1_TestPool1';
  const cognitoIssuer = createTokenIssuer({
    issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`,
    audience: 'client-abc',
  });
  const config = authConfigSchema.parse({
    AUTH_MODE: 'cognito',
    COGNITO_USER_POOL_ID: poolId,
    COGNITO_CLIENT_ID: 'client-abc',
  }) as AuthConfig;
  const cognito = createAuthorizerHandler(() =>
    createTokenVerifier(config, { jwks: cognitoIssuer.jwks as never }),
  );
  const idToken = (extra: Record<string, unknown> = {}) =>
    cognitoIssuer.sign({
      iss: cognitoIssuer.issuer,
      aud: 'client-abc',
      sub: 'c0ffee-sub',
      token_use: 'id',
      'cognito:username': 'carol',
      'cognito:groups': ['admins'],
      iat: now(),
      exp: now() + 600,
      auth_time: now(),
      ...extra,
    });

  it('accepts an id token of the app client and reads cognito:username and cognito:groups', async () => {
    const result = await cognito({ type: 'TOKEN', authorizationToken: `Bearer ${idToken()}`, methodArn });
    expect(result.context).toEqual({ sub: 'c0ffee-sub', username: 'carol', groups: '["admins"]' });
  });

  it('denies another client id', async () => {
    await expect(
      cognito({ type: 'TOKEN', authorizationToken: `Bearer ${idToken({ aud: 'client-other' })}`, methodArn }),
    ).rejects.toThrow('Unauthorized');
  });

  it('denies an access token where an id token is expected', async () => {
    const access = idToken({ token_use: 'access', aud: undefined, client_id: 'client-abc' });
    await expect(
      cognito({ type: 'TOKEN', authorizationToken: `Bearer ${access}`, methodArn }),
    ).rejects.toThrow('Unauthorized');
  });

  it('rejects configuration without a client id', () => {
    expect(() => authConfigSchema.parse({ AUTH_MODE: 'cognito', COGNITO_USER_POOL_ID: poolId })).toThrow();
  });
});

describe('the caller context', () => {
  it('round-trips through the authorizer context of a proxy event', () => {
    const caller = { sub: 's-1', username: 'u', groups: ['a', 'b'] };
    expect(callerFromEvent(apiEvent({ caller }))).toEqual(caller);
    expect(callerToAuthorizerContext(caller)).toEqual({ sub: 's-1', username: 'u', groups: '["a","b"]' });
  });

  it('refuses an event without authorizer context', () => {
    expect(() => callerFromEvent(apiEvent({ caller: null }))).toThrow(/no authorizer context/);
  });
});
