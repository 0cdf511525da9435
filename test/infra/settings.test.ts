import { describe, expect, it } from 'vitest';
import { readSettings } from '../../infra/settings';

/** Settings as `cdk synth -c key=value` hands them over: every value a string. */
const read = (context: Record<string, string>) => readSettings((key) => context[key]);

describe('deployment settings', () => {
  it('default to a Cognito deployment that keeps its data, with the shipped service catalog', () => {
    const settings = read({});
    expect(settings).toMatchObject({
      stackName: 'ImputationGateway',
      authMode: 'cognito',
      corsAllowedOrigins: [],
      cognitoCallbackUrls: [],
      cognitoLogoutUrls: [],
      inputExpiryDays: 14,
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      logRetentionDays: 30,
      removalPolicy: 'retain',
      secretsPrefix: 'imputation-gateway',
      console: true,
      consoleDir: 'web/dist',
    });
    expect(settings.resultExpiryDays).toBeUndefined();
    expect(settings.cognitoDomainPrefix).toBeUndefined();
    expect(settings.cognitoLocalhostPort).toBeUndefined();
    expect(settings.resolvedCatalog.map((service) => service.id)).toEqual(['michigan', 'topmed', 'h3africa']);
  });

  it('read comma lists, numbers and a JSON catalog override from context strings', () => {
    const settings = read({
      corsAllowedOrigins: 'https://a.example.org, https://b.example.org',
      resultExpiryDays: '90',
      serviceCatalog: '{"topmed":null,"michigan":{"maxConcurrentJobs":3}}',
    });
    expect(settings.corsAllowedOrigins).toEqual(['https://a.example.org', 'https://b.example.org']);
    expect(settings.resultExpiryDays).toBe(90);
    expect(settings.resolvedCatalog.map((service) => [service.id, service.maxConcurrentJobs])).toEqual([
      ['michigan', 3],
      ['h3africa', 2],
    ]);
  });

  it('refuse oidc mode without an issuer or an audience, naming both', () => {
    expect(() => read({ authMode: 'oidc' })).toThrow(
      /oidcIssuer: authMode=oidc needs oidcIssuer.*oidcAudience/,
    );
    expect(() => read({ authMode: 'oidc', oidcIssuer: 'http://idp.example.org', oidcAudience: 'x' })).toThrow(
      /oidcIssuer: must be an https:\/\/ URL/,
    );
    expect(
      read({
        authMode: 'oidc',
        oidcIssuer: 'https://idp.example.org',
        oidcAudience: 'a,b',
        console: 'false',
      }),
    ).toMatchObject({ oidcAudience: ['a', 'b'], console: false });
  });

  it('add http://localhost redirects to the Cognito client only through cognitoLocalhostPort', () => {
    expect(read({ cognitoLocalhostPort: '5173' }).cognitoLocalhostPort).toBe(5173);
    expect(
      read({
        cognitoCallbackUrls: 'https://ui.example.org/callback',
        cognitoLogoutUrls: 'https://ui.example.org/',
      }),
    ).toMatchObject({
      cognitoCallbackUrls: ['https://ui.example.org/callback'],
      cognitoLogoutUrls: ['https://ui.example.org/'],
    });
    for (const key of ['cognitoCallbackUrls', 'cognitoLogoutUrls']) {
      expect(() => read({ [key]: 'https://ui.example.org/, http://localhost:5173/' })).toThrow(
        new RegExp(`${key}\\.1: must be https:// URLs \\(for http://localhost set cognitoLocalhostPort\\)`),
      );
    }
    for (const port of ['0', '65536', 'x']) {
      expect(() => read({ cognitoLocalhostPort: port }), port).toThrow(/cognitoLocalhostPort/);
    }
    expect(() =>
      read({
        authMode: 'oidc',
        oidcIssuer: 'https://idp.example.org',
        oidcAudience: 'a',
        console: 'false',
        cognitoLocalhostPort: '5173',
      }),
    ).toThrow(/cognitoLocalhostPort: only with authMode=cognito/);
  });

  it('take a Cognito hosted-UI prefix only as Cognito allows it', () => {
    for (const prefix of ['imputation', 'a', 'lab-7-imputation', 'x'.repeat(63)]) {
      expect(read({ cognitoDomainPrefix: prefix }).cognitoDomainPrefix).toBe(prefix);
    }
    const characters = /cognitoDomainPrefix: lowercase letters, digits and hyphens, 1–63 characters/;
    for (const prefix of ['Imputation', '-imputation', 'imputation-', 'imp_utation', 'x'.repeat(64)]) {
      expect(() => read({ cognitoDomainPrefix: prefix }), prefix).toThrow(characters);
    }
    for (const prefix of ['my-aws-login', 'amazonia', 'cognito-lab']) {
      expect(() => read({ cognitoDomainPrefix: prefix }), prefix).toThrow(
        /cognitoDomainPrefix: may not contain "aws", "amazon" or "cognito"/,
      );
    }
    expect(() =>
      read({
        authMode: 'oidc',
        oidcIssuer: 'https://idp.example.org',
        oidcAudience: 'a',
        consoleClientId: 'a',
        cognitoDomainPrefix: 'lab',
      }),
    ).toThrow(/cognitoDomainPrefix: only with authMode=cognito/);
  });

  it('turn the console off with console=false, and on by default', () => {
    expect(read({ console: 'false' }).console).toBe(false);
    expect(read({ console: 'true' }).console).toBe(true);
    expect(readSettings((key) => (key === 'console' ? false : undefined)).console).toBe(false);
    expect(() => read({ console: 'no' })).toThrow(/console: must be true or false/);
  });

  it('need the console’s client id at a bring-your-own issuer, one of the accepted audiences', () => {
    const oidc = { authMode: 'oidc', oidcIssuer: 'https://idp.example.org', oidcAudience: 'api,console' };
    expect(() => read(oidc)).toThrow(/consoleClientId: authMode=oidc with the console needs consoleClientId/);
    expect(read({ ...oidc, consoleClientId: 'console' }).consoleClientId).toBe('console');
    expect(() => read({ ...oidc, consoleClientId: 'web' })).toThrow(
      /consoleClientId: must be one of oidcAudience/,
    );
    expect(() => read({ consoleClientId: 'web' })).toThrow(/consoleClientId: only with authMode=oidc/);
  });

  it('refuse values that would fail later, with the setting named', () => {
    expect(() => read({ inputExpiryDays: 'soon' })).toThrow(/inputExpiryDays/);
    expect(() => read({ logRetentionDays: '45' })).toThrow(/logRetentionDays: must be one of 1, 3, 5/);
    expect(() => read({ removalPolicy: 'delete' })).toThrow(/removalPolicy/);
    expect(() => read({ throttleRateLimit: '500' })).toThrow(/throttleBurstLimit: must be at least/);
    expect(() => read({ serviceCatalog: '{michigan:' })).toThrow(/serviceCatalog: not valid JSON/);
    expect(() => read({ serviceCatalog: '{"michigan":{"baseUrl":"not a url"}}' })).toThrow(
      /serviceCatalog: .*michigan.*baseUrl/,
    );
    expect(() => read({ secretsPrefix: 'a/b' })).toThrow(/secretsPrefix/);
  });

  it('refuse a service at plain http, loopback included: every call carries a token', () => {
    for (const baseUrl of ['http://imputation.example.org', 'http://127.0.0.1:8080']) {
      expect(() => read({ serviceCatalog: JSON.stringify({ michigan: { baseUrl } }) })).toThrow(
        `serviceCatalog: Service catalog entry "michigan" is invalid: baseUrl must be an https:// URL, not ${baseUrl}`,
      );
    }
    const https = read({ serviceCatalog: '{"michigan":{"baseUrl":"https://imputation.example.org"}}' });
    expect(https.resolvedCatalog[0]?.baseUrl).toBe('https://imputation.example.org');
  });
});
