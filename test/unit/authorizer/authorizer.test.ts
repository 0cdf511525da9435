import { generateKeyPairSync } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createAuthorizerHandler,
  handler as deployedHandler,
  wholeApiArn,
} from '#functions/authorizer/handler';
import { callerFromEvent } from '#shared/auth/caller';
import { createTokenVerifier } from '#shared/auth/verifier';
import { logger } from '#shared/logger';
import { resetRuntime } from '#shared/runtime';
import { parseSettings } from '#shared/settings';
import { apiEvent } from '#test/support/api-event';
import { stubSettings } from '#test/support/settings';
import { issuer, methodArn, oidcAuthorizer, watchDenials } from './support';

const oidc = oidcAuthorizer();
const authorize = (header: string | undefined) =>
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
const bearer = (extra?: Record<string, unknown>) => `Bearer ${issuer.sign(claims(extra))}`;

const { expectDenied, expectNoDenial } = watchDenials();

describe('the authorizer allows a valid token', () => {
  it('on the whole API, with the caller as principal and context', async () => {
    const result = await authorize(bearer());
    expect(result.principalId).toBe('user-123');
    expect(result.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/*',
        },
      ],
    });
    expect(result.context).toEqual({
      sub: 'user-123',
      username: 'alice',
      groups: '["researchers","admins"]',
    });
  });

  it('hands handlers the same caller through the proxy event', async () => {
    const result = await authorize(bearer());
    const event = apiEvent({ caller: null });
    event.requestContext.authorizer = { ...result.context, principalId: result.principalId };
    expect(callerFromEvent(event)).toEqual({
      sub: 'user-123',
      username: 'alice',
      groups: ['researchers', 'admins'],
    });
  });

  it('falls back to sub as username, and to no groups, when those claims are absent', async () => {
    const result = await authorize(bearer({ preferred_username: undefined, groups: undefined }));
    expect(result.context).toEqual({ sub: 'user-123', username: 'user-123', groups: '[]' });
  });

  it('reads the configured username and groups claims, groups also as a space-separated string', async () => {
    const custom = oidcAuthorizer({ OIDC_USERNAME_CLAIM: 'email', OIDC_GROUPS_CLAIM: 'roles' });
    const token = issuer.sign(claims({ email: 'alice@example.org', roles: 'admins  researchers' }));
    const result = await custom({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
    expect(result.context).toEqual({
      sub: 'user-123',
      username: 'alice@example.org',
      groups: '["admins","researchers"]',
    });
  });

  it('accepts any of several configured audiences', async () => {
    const several = oidcAuthorizer({ OIDC_AUDIENCE: 'web-ui, imputation-cli' });
    const token = issuer.sign(claims({ aud: 'imputation-cli' }));
    const result = await several({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
    expect(result.principalId).toBe('user-123');
  });

  it('ignores header parameters it does not know when they are not marked critical', async () => {
    const token = issuer.sign(claims(), { header: { 'x-ext': 1 } });
    const result = await authorize(`Bearer ${token}`);
    expect(result.principalId).toBe('user-123');
    expectNoDenial();
  });

  it('accepts the scheme in any case (RFC 7235)', async () => {
    const result = await authorize(`bearer ${issuer.sign(claims())}`);
    expect(result.principalId).toBe('user-123');
  });

  it('works as a REQUEST authorizer, whatever the case of the header name', async () => {
    const event = {
      type: 'REQUEST',
      methodArn,
      headers: { AUTHORIZATION: bearer() },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    const result = await oidc(event);
    expect(result.principalId).toBe('user-123');
  });

  it.each([
    ['arn:aws:execute-api:us-east-1:1:api/prod/POST/a/b/c', 'arn:aws:execute-api:us-east-1:1:api/prod/*/*'],
    ['arn:aws:execute-api:us-east-1:1:api/v1/GET/', 'arn:aws:execute-api:us-east-1:1:api/v1/*/*'],
    ['arn:aws-cn:execute-api:cn-north-1:1:api/dev/*/*', 'arn:aws-cn:execute-api:cn-north-1:1:api/dev/*/*'],
  ])('derives the whole-API ARN from %s', (arn, expected) => {
    expect(wholeApiArn(arn)).toBe(expected);
  });
});

describe('the authorizer denies with 401 (Unauthorized)', () => {
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const valid = () => issuer.sign(claims());
  const signatureOf = (token: string) => token.split('.')[2];

  const cases: [string, () => string | undefined, string][] = [
    ['no header', () => undefined, 'no Authorization header'],
    ['an empty header', () => '', 'no Authorization header'],
    ['a Basic header', () => 'Basic dXNlcjpwYXNz', 'not a Bearer JWT'],
    ['a Bearer scheme without token', () => 'Bearer ', 'not a Bearer JWT'],
    ['a bare "bearer"', () => 'bearer', 'not a Bearer JWT'],
    ['a token without scheme', () => valid(), 'not a Bearer JWT'],
    ['two spaces after the scheme', () => `Bearer  ${valid()}`, 'not a Bearer JWT'],
    ['trailing garbage after the token', () => `Bearer ${valid()} x`, 'not a Bearer JWT'],
    ['a token of two parts', () => 'Bearer not.a-jwt', 'not a Bearer JWT'],
    ['a malformed token', () => 'Bearer aaaa.bbbb.cccc', 'malformed token'],
    ['a bad signature', () => `Bearer ${issuer.sign(claims(), { privateKey: otherKey })}`, 'bad signature'],
    [
      'a changed payload under a valid signature',
      () => {
        const [header, , signature] = valid().split('.');
        const payload = Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url');
        return `Bearer ${header}.${payload}.${signature}`;
      },
      'bad signature',
    ],
    ['an expired token', () => bearer({ iat: now() - 7200, exp: now() - 3600 }), 'expired'],
    ['a token not yet valid (nbf in the future)', () => bearer({ nbf: now() + 3600 }), 'not yet valid'],
    ['a token without exp', () => bearer({ exp: undefined }), 'no expiry'],
    ['a wrong issuer', () => bearer({ iss: 'https://evil.example.com' }), 'wrong issuer'],
    ['a wrong audience', () => bearer({ aud: 'another-app' }), 'wrong audience'],
    [
      'alg none without signature',
      () => `Bearer ${issuer.sign(claims(), { alg: 'none' })}`,
      'malformed token',
    ],
    [
      'alg none with a signature lifted from a valid token',
      () => `Bearer ${issuer.sign(claims(), { alg: 'none' })}${signatureOf(valid())}`,
      'algorithm not allowed',
    ],
    [
      'HS256 signed with the RSA public key (algorithm confusion)',
      () => `Bearer ${issuer.sign(claims(), { alg: 'HS256' })}`,
      'algorithm not allowed',
    ],
    ['an unknown kid', () => `Bearer ${issuer.sign(claims(), { kid: 'unknown-kid' })}`, 'unknown kid'],
    ['no kid', () => `Bearer ${issuer.sign(claims(), { header: { kid: undefined } })}`, 'no kid'],
    ['a token without sub', () => bearer({ sub: undefined }), 'no subject'],
  ];

  // RFC 7515 §4.1.11. Every token here is validly signed by the issuer: only its `crit` is wrong.
  const withHeader = (header: Record<string, unknown>) => `Bearer ${issuer.sign(claims(), { header })}`;
  const critCases: [string, Record<string, unknown>, string][] = [
    ['crit naming a claim, not a header parameter ("exp")', { crit: ['exp'] }, 'malformed crit header'],
    ['crit "b64" with b64 false (RFC 7797)', { crit: ['b64'], b64: false }, 'unsupported crit header'],
    [
      'crit naming an unknown extension that is present',
      { crit: ['x-ext'], 'x-ext': 1 },
      'unsupported crit header',
    ],
    ['an empty crit', { crit: [] }, 'malformed crit header'],
    ['crit as a string', { crit: 'x' }, 'malformed crit header'],
    ['crit null', { crit: null }, 'malformed crit header'],
    ['crit with a non-string name', { crit: [1] }, 'malformed crit header'],
    ['crit naming an absent parameter', { crit: ['x-ext'] }, 'malformed crit header'],
    ['crit naming a parameter twice', { crit: ['b64', 'b64'], b64: false }, 'malformed crit header'],
  ];

  it.each(critCases)('a signed token with %s', async (_, header, reason) => {
    await expectDenied(authorize(withHeader(header)), reason);
  });

  it.each(cases)('%s', async (_, header, reason) => {
    await expectDenied(authorize(header()), reason);
  });

  it('a REQUEST event without Authorization header', async () => {
    const event = { type: 'REQUEST', methodArn, headers: {} } as unknown as APIGatewayRequestAuthorizerEvent;
    await expectDenied(oidc(event), 'no Authorization header');
  });
});

describe('failures that are not the caller’s', () => {
  it('an unreachable JWKS endpoint is a 500, not a 401', async () => {
    const config = parseSettings('auth', {
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: issuer.issuer,
      OIDC_AUDIENCE: issuer.audience,
      OIDC_JWKS_URI: 'https://127.0.0.1:1/jwks.json', // closed port on loopback: fails at once
    });
    const verifier = createTokenVerifier(config);
    const errors = vi.spyOn(logger, 'error');
    const unreachable = createAuthorizerHandler(() => verifier);
    await expect(
      unreachable({ type: 'TOKEN', authorizationToken: bearer(), methodArn }),
    ).rejects.toThrowError('Token verification failed (FetchError)');
    expect(errors).toHaveBeenCalledWith('Token verification failed', { error: 'FetchError' });
  });
});

describe('logging', () => {
  it('says why a request was denied but never logs the token or the header', async () => {
    const lines: string[] = [];
    const write = process.stdout.write;
    const level = logger.getLevelName();
    logger.setLogLevel('DEBUG');
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    const tokens = [
      issuer.sign(claims({ exp: now() - 10 })),
      issuer.sign(claims(), { kid: 'unknown-kid' }),
      issuer.sign(claims(), { privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }),
      issuer.sign(claims()),
    ];
    try {
      for (const token of tokens) await authorize(`Bearer ${token}`).catch(() => undefined);
      await authorize('Basic dXNlcjpwYXNz').catch(() => undefined);
    } finally {
      process.stdout.write = write;
      logger.setLogLevel(level);
    }
    const output = lines.join('');
    expect(output).toContain('"reason":"expired"');
    expect(output).toContain('"reason":"not a Bearer JWT"');
    for (const token of tokens) {
      for (const part of token.split('.')) expect(output).not.toContain(part);
    }
    expect(output).not.toContain('dXNlcjpwYXNz');
  });
});

describe('the deployed handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetRuntime();
  });

  it('reads its configuration from the environment, including an inline JWKS (the local stack)', async () => {
    stubSettings({
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: issuer.issuer,
      OIDC_AUDIENCE: [issuer.audience],
      OIDC_JWKS_JSON: issuer.jwks,
    });
    const result = await deployedHandler({ type: 'TOKEN', authorizationToken: bearer(), methodArn });
    expect(result.context).toMatchObject({ sub: 'user-123', username: 'alice' });
  });

  it('fails with a configuration error (a 500), not a 401, when the environment is incomplete', async () => {
    stubSettings({ AUTH_MODE: 'oidc', OIDC_ISSUER: issuer.issuer });
    await expect(
      deployedHandler({ type: 'TOKEN', authorizationToken: bearer(), methodArn }),
    ).rejects.toThrowError(/Invalid configuration: OIDC_AUDIENCE/);
  });
});
