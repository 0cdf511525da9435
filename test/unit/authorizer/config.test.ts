import { describe, expect, it } from 'vitest';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { ConfigError, parseSettings } from '#shared/settings';

const parse = (env: Record<string, string>) => parseSettings('auth', env);

describe('the authorizer configuration', () => {
  it('cognito: client ids as a comma list, id tokens by default', () => {
    expect(
      parse({ AUTH_MODE: 'cognito', COGNITO_USER_POOL_ID: 'eu-west-1_Abc123', COGNITO_CLIENT_ID: 'a, b' }),
    ).toEqual({
      AUTH_MODE: 'cognito',
      COGNITO_USER_POOL_ID: 'eu-west-1_Abc123',
      COGNITO_CLIENT_ID: ['a', 'b'],
      COGNITO_TOKEN_USE: 'id',
    });
  });

  it('oidc: audiences as a comma list, default claims; a blank variable means the default', () => {
    expect(
      parse({
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: 'https://idp.example.org',
        OIDC_AUDIENCE: 'web,cli',
        OIDC_JWKS_URI: '',
        OIDC_USERNAME_CLAIM: '',
      }),
    ).toEqual({
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: 'https://idp.example.org',
      OIDC_AUDIENCE: ['web', 'cli'],
      OIDC_USERNAME_CLAIM: 'preferred_username',
      OIDC_GROUPS_CLAIM: 'groups',
      OIDC_TOKEN_USE: 'id',
    });
  });

  it('parses an inline JWKS', () => {
    const { jwks } = createTokenIssuer({ issuer: 'http://127.0.0.1:1', audience: 'local' });
    const config = parse({
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: 'http://127.0.0.1:1',
      OIDC_AUDIENCE: 'local',
      OIDC_JWKS_JSON: JSON.stringify(jwks),
    });
    expect(config.OIDC_JWKS_JSON).toEqual(jwks);
  });

  it.each([
    ['no mode', {}, /AUTH_MODE/],
    ['an unknown mode', { AUTH_MODE: 'saml' }, /AUTH_MODE/],
    [
      'cognito without client id',
      { AUTH_MODE: 'cognito', COGNITO_USER_POOL_ID: 'eu-west-1_Abc' },
      /COGNITO_CLIENT_ID/,
    ],
    [
      'cognito with an empty client list',
      { AUTH_MODE: 'cognito', COGNITO_USER_POOL_ID: 'eu-west-1_Abc', COGNITO_CLIENT_ID: ' , ' },
      /COGNITO_CLIENT_ID/,
    ],
    [
      'a malformed user pool id',
      { AUTH_MODE: 'cognito', COGNITO_USER_POOL_ID: 'my-pool', COGNITO_CLIENT_ID: 'a' },
      /COGNITO_USER_POOL_ID/,
    ],
    [
      'an unknown token use',
      {
        AUTH_MODE: 'cognito',
        COGNITO_USER_POOL_ID: 'eu-west-1_Abc',
        COGNITO_CLIENT_ID: 'a',
        COGNITO_TOKEN_USE: 'refresh',
      },
      /COGNITO_TOKEN_USE/,
    ],
    ['oidc without audience', { AUTH_MODE: 'oidc', OIDC_ISSUER: 'https://idp.example.org' }, /OIDC_AUDIENCE/],
    [
      'oidc with an issuer that is no URL',
      { AUTH_MODE: 'oidc', OIDC_ISSUER: 'idp', OIDC_AUDIENCE: 'a' },
      /OIDC_ISSUER/,
    ],
    [
      'an inline JWKS that is not one',
      {
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: 'https://idp.example.org',
        OIDC_AUDIENCE: 'a',
        OIDC_JWKS_JSON: '{"kid":"x"}',
      },
      /OIDC_JWKS_JSON: not a JWKS/,
    ],
  ])('refuses %s, naming the variable', (_, env, message) => {
    expect(() => parse(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => parse(env as Record<string, string>)).toThrow(message);
  });
});
