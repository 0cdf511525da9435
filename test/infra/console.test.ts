/**
 * The web console as `cdk deploy` creates it (infra/constructs/console.ts and its wiring in the stack):
 * a private bucket behind CloudFront, the console's headers, its files and config.json, and its origin in
 * the API's CORS and the Cognito client. Deploy-time values are read as text with the logical ids in
 * place (template-text.ts), so each test states the value CloudFormation will produce. Every synthesis
 * also proves the stack deployable: Template.fromStack refuses a template with a dependency cycle. One
 * file (past 300 lines) so that its four syntheses are made once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#shared/api/routes';
import {
  CONSOLE_HSTS_SECONDS,
  CONSOLE_STATIC_HEADERS,
  type ConsoleConfig,
  consoleContentSecurityPolicy,
} from '../../infra/console-headers';
import { synthesize } from './synth';
import { asText, ref } from './template-text';

type Synth = ReturnType<typeof synthesize>;
// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by shape in the assertions
type Resource = { Type: string; Properties: Record<string, any> };
const REGION = ref('AWS::Region');
const URL_SUFFIX = ref('AWS::URLSuffix');
let hosted: Synth; // Cognito with a hosted-UI domain, a configured CORS origin and localhost redirects
let plain: Synth; // Cognito without a domain, the console the only browser origin
let oidc: Synth;
let off: Synth;

beforeAll(() => {
  hosted = synthesize({
    cognitoDomainPrefix: 'imputation-test-1',
    corsAllowedOrigins: 'https://ui.example.org',
    cognitoLocalhostPort: '5173',
  });
  plain = synthesize({});
  oidc = synthesize({
    authMode: 'oidc',
    oidcIssuer: 'https://idp.example.org/realms/research',
    oidcAudience: 'imputation-gateway,console',
    consoleClientId: 'console',
    stackName: 'GatewayOidc',
  });
  off = synthesize({ console: 'false' });
}, 180_000);

const resources = (s: Synth, type: string) =>
  Object.entries(s.template.findResources(type)) as [string, Resource][];
/** The one resource of a type (whose logical id starts with `prefix`). */
function only(s: Synth, type: string, prefix = ''): [string, Resource] {
  const found = resources(s, type).filter(([id]) => id.startsWith(prefix));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]!;
}
const idOf = (s: Synth, type: string, prefix = '') => only(s, type, prefix)[0];
const originOf = (s: Synth) => `https://${ref(idOf(s, 'AWS::CloudFront::Distribution'), 'DomainName')}`;
const apiOriginOf = (s: Synth) =>
  `https://${ref(idOf(s, 'AWS::ApiGateway::RestApi'))}.execute-api.${REGION}.${URL_SUFFIX}`;
const hostedUiOf = (s: Synth) =>
  `https://${ref(idOf(s, 'AWS::Cognito::UserPoolDomain'))}.auth.${REGION}.amazoncognito.com`;
const deployments = (s: Synth) => resources(s, 'Custom::CDKBucketDeployment').map(([, r]) => r.Properties);

/** config.json as deployed: the staged file with each deploy-time marker replaced by its value. */
function configOf(s: Synth): ConsoleConfig {
  const site = deployments(s).find((d) => d.DistributionPaths)!;
  const index = (site.SourceMarkers as Record<string, unknown>[]).findIndex((m) => Object.keys(m).length > 0);
  const asset = `asset.${String(site.SourceObjectKeys[index]).replace(/\.zip$/, '')}`;
  let text = readFileSync(join(s.app.outdir, asset, 'config.json'), 'utf8');
  for (const [marker, value] of Object.entries(site.SourceMarkers[index] as Record<string, unknown>)) {
    text = text.replaceAll(marker, asText(value));
  }
  return JSON.parse(text) as ConsoleConfig;
}

describe('the console distribution', () => {
  it('serves a private, TLS-only bucket through origin access control, over HTTPS with HTTP/2 and 3, logged', () => {
    const [bucketId, bucket] = only(plain, 'AWS::S3::Bucket', 'ConsoleBucket');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^StorageAccessLogs/) } },
    });
    const [, policy] = resources(plain, 'AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties.Bucket.Ref === bucketId,
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as { Effect: string }[];
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(JSON.stringify(statements)).toMatch(/"aws:SecureTransport":"false"/);

    const [, oac] = only(plain, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const [, distribution] = only(plain, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties.DistributionConfig;
    expect(config).toMatchObject({
      DefaultRootObject: 'index.html',
      HttpVersion: 'http2and3',
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true },
      Origins: [
        {
          DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] },
          OriginAccessControlId: expect.anything(),
        },
      ],
      Logging: {
        Bucket: { 'Fn::GetAtt': [expect.stringMatching(/^ConsoleDistributionLogs/), 'RegionalDomainName'] },
      },
    });
    // CloudFront's standard logs are written with ACLs: their bucket accepts them, nothing else does.
    const ownership = (prefix: string) =>
      only(plain, 'AWS::S3::Bucket', prefix)[1].Properties.OwnershipControls.Rules[0].ObjectOwnership;
    expect(ownership('ConsoleDistributionLogs')).toBe('BucketOwnerPreferred');
    for (const prefix of ['ConsoleBucket', 'StorageAccessLogs', 'StorageInputs', 'StorageResults']) {
      expect(ownership(prefix), prefix).toBe('BucketOwnerEnforced');
    }
  });

  it('answers console routes with /index.html in a viewer-request function, and files as they are', () => {
    const [functionId, fn] = only(plain, 'AWS::CloudFront::Function');
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const [, distribution] = only(plain, 'AWS::CloudFront::Distribution');
    expect(distribution.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ]);
    // No error-response mapping: a missing asset stays a 403, not a 200 index.html.
    expect(distribution.Properties.DistributionConfig.CustomErrorResponses).toBeUndefined();
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (event: {
      request: { uri: string };
    }) => { uri: string };
    const served = (uri: string) => handler({ request: { uri } }).uri;
    for (const route of ['/', '/jobs', '/jobs/01JABCDEF0123456789ABCDEFG', '/settings/tokens/']) {
      expect(served(route), route).toBe('/index.html');
    }
    for (const file of ['/index.html', '/config.json', '/assets/index-3f9a1c2b.js', '/favicon.svg']) {
      expect(served(file), file).toBe(file);
    }
  });

  it('sends the console headers: a CSP naming exactly the API, the identity provider and the two buckets', () => {
    const cspOf = (s: Synth) =>
      asText(
        only(s, 'AWS::CloudFront::ResponseHeadersPolicy')[1].Properties.ResponseHeadersPolicyConfig
          .SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
      );
    // The hosts the SDK presigns with: each bucket's name, as the bucket resource itself is named.
    const bucketName = (s: Synth, prefix: string) =>
      asText(only(s, 'AWS::S3::Bucket', prefix)[1].Properties.BucketName);
    const buckets = (s: Synth) =>
      ['StorageInputs', 'StorageResults'].map(
        (prefix) => `https://${bucketName(s, prefix)}.s3.${REGION}.${URL_SUFFIX}`,
      );
    const ACCOUNT = ref('AWS::AccountId');
    expect(buckets(plain)).toEqual([
      `https://imputationgateway-inputs-${ACCOUNT}-${REGION}.s3.${REGION}.${URL_SUFFIX}`,
      `https://imputationgateway-results-${ACCOUNT}-${REGION}.s3.${REGION}.${URL_SUFFIX}`,
    ]);
    expect(buckets(oidc)[1]).toBe(
      `https://gatewayoidc-results-${ACCOUNT}-${REGION}.s3.${REGION}.${URL_SUFFIX}`,
    );
    const cognitoIdp = `https://cognito-idp.${REGION}.${URL_SUFFIX}`;
    const hostedUi = hostedUiOf(hosted);
    const expected: [Synth, string[]][] = [
      [hosted, [cognitoIdp, hostedUi]],
      [plain, [cognitoIdp]],
      [oidc, ['https://idp.example.org']],
    ];
    for (const [s, identityProvider] of expected) {
      const csp = cspOf(s);
      expect(csp).toBe(
        consoleContentSecurityPolicy({ api: apiOriginOf(s), identityProvider, buckets: buckets(s) }),
      );
      const connect = csp
        .split('; ')
        .find((d) => d.startsWith('connect-src '))!
        .split(' ')
        .slice(1);
      expect(connect).toEqual(["'self'", apiOriginOf(s), ...identityProvider, ...buckets(s)]);
      expect(connect.filter((source) => source.includes('*'))).toEqual([]);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self';");
    }
  });

  it('sends every other header of CONSOLE_STATIC_HEADERS, as the local console server does', () => {
    const config = only(hosted, 'AWS::CloudFront::ResponseHeadersPolicy')[1].Properties
      .ResponseHeadersPolicyConfig;
    const security = config.SecurityHeadersConfig;
    const hsts = security.StrictTransportSecurity;
    expect(hsts).toMatchObject({
      AccessControlMaxAgeSec: CONSOLE_HSTS_SECONDS,
      IncludeSubdomains: true,
      Override: true,
    });
    const sent: Record<string, string> = {
      'X-Content-Type-Options': security.ContentTypeOptions.Override ? 'nosniff' : '',
      'X-Frame-Options': security.FrameOptions.FrameOption,
      'Referrer-Policy': security.ReferrerPolicy.ReferrerPolicy,
      'Strict-Transport-Security': `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}${hsts.Preload ? '; preload' : ''}`,
      ...Object.fromEntries(
        (config.CustomHeadersConfig.Items as { Header: string; Value: string }[]).map((h) => [
          h.Header,
          h.Value,
        ]),
      ),
    };
    expect(sent).toEqual(CONSOLE_STATIC_HEADERS);
    expect(sent['X-Frame-Options']).toBe('DENY');
    expect(sent['Referrer-Policy']).toBe('no-referrer');
  });
});

describe('the console files', () => {
  it('keep hashed assets a year, immutable; index.html and config.json revalidated, pruned and invalidated', () => {
    const [assets, site] = [
      deployments(plain).find((d) => !d.DistributionPaths)!,
      deployments(plain).find((d) => d.DistributionPaths)!,
    ];
    expect(assets).toMatchObject({
      Include: ['assets/*'],
      Exclude: ['*'],
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(site).toMatchObject({
      Exclude: ['assets/*'],
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: { Ref: only(plain, 'AWS::CloudFront::Distribution')[0] },
      DistributionPaths: ['/index.html', '/config.json'],
    });
    const [bucketId] = only(plain, 'AWS::S3::Bucket', 'ConsoleBucket');
    for (const deployment of [assets, site])
      expect(deployment.DestinationBucketName).toEqual({ Ref: bucketId });
    // The site waits for the assets its index.html loads.
    const [siteId] = resources(plain, 'Custom::CDKBucketDeployment').find(
      ([, r]) => r.Properties.DistributionPaths,
    )!;
    expect(plain.template.toJSON().Resources[siteId].DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ConsoleDeployAssets/)]),
    );
  });

  it('write config.json with this deployment’s API, issuer, client and Cognito logout URL', () => {
    const stage = idOf(hosted, 'AWS::ApiGateway::Stage');
    const apiUrl = asText(hosted.template.toJSON().Outputs.ApiUrl.Value);
    expect(configOf(hosted)).toEqual({
      apiUrl: `${apiOriginOf(hosted)}/${ref(stage)}`,
      oidc: {
        authority: `https://cognito-idp.${REGION}.${URL_SUFFIX}/${ref(idOf(hosted, 'AWS::Cognito::UserPool'))}`,
        clientId: ref(idOf(hosted, 'AWS::Cognito::UserPoolClient')),
        scope: 'openid profile email',
        logoutUrl: `${hostedUiOf(hosted)}/logout`,
      },
      environment: 'ImputationGateway',
    });
    // The ApiUrl output without its trailing slash.
    expect(`${configOf(hosted).apiUrl}/`).toBe(apiUrl);
    expect(configOf(plain).oidc.logoutUrl).toBeUndefined();
    expect(configOf(oidc)).toMatchObject({
      oidc: {
        authority: 'https://idp.example.org/realms/research',
        clientId: 'console',
        scope: 'openid profile email',
      },
      environment: 'GatewayOidc',
    });
    expect(configOf(oidc).oidc.logoutUrl).toBeUndefined();
  });

  it('are outputs of the stack: ConsoleUrl, ConsoleBucket, DistributionId', () => {
    const outputs = plain.template.toJSON().Outputs;
    expect(asText(outputs.ConsoleUrl.Value)).toBe(originOf(plain));
    expect(outputs.ConsoleBucket.Value).toEqual({ Ref: only(plain, 'AWS::S3::Bucket', 'ConsoleBucket')[0] });
    expect(outputs.DistributionId.Value).toEqual({ Ref: only(plain, 'AWS::CloudFront::Distribution')[0] });
  });
});

describe('the console origin', () => {
  it('may sign in and out through the user pool client, beside the configured URLs, and renew with the refresh token', () => {
    const [, client] = only(hosted, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.CallbackURLs.map(asText)).toEqual([
      'http://localhost:5173/callback',
      `${originOf(hosted)}/callback`,
    ]);
    expect(client.Properties.LogoutURLs.map(asText)).toEqual([
      'http://localhost:5173/',
      `${originOf(hosted)}/`,
    ]);
    expect(client.Properties.ExplicitAuthFlows).toContain('ALLOW_REFRESH_TOKEN_AUTH');
    expect(client.Properties).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'] });
  });

  it('is the only redirect of the user pool client unless http://localhost is asked for (cognitoLocalhostPort)', () => {
    const [, client] = only(plain, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.CallbackURLs.map(asText)).toEqual([`${originOf(plain)}/callback`]);
    expect(client.Properties.LogoutURLs.map(asText)).toEqual([`${originOf(plain)}/`]);
    expect(JSON.stringify(plain.template.toJSON())).not.toMatch(/localhost/i);
  });

  it('is allowed by the API: preflights, gateway errors and the functions’ CORS', () => {
    const origin = originOf(plain);
    const gatewayOrigins = (s: Synth) =>
      new Set(
        resources(s, 'AWS::ApiGateway::GatewayResponse').map(([, r]) =>
          asText(r.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']),
        ),
      );
    // The console alone: its own origin; with a configured one too, `*` (see api.ts).
    expect(gatewayOrigins(plain)).toEqual(new Set([`'${origin}'`]));
    expect(gatewayOrigins(hosted)).toEqual(new Set(["'*'"]));

    const preflights = (s: Synth) =>
      resources(s, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(preflights(plain).length).toBeGreaterThan(0);
    for (const [, method] of preflights(plain)) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(asText(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'])).toBe(
        `'${origin}'`,
      );
    }
    for (const [, method] of preflights(hosted)) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(asText(response.ResponseTemplates['application/json'])).toContain(
        `#if($origin == "${originOf(hosted)}")`,
      );
    }

    const functions = resources(hosted, 'AWS::Lambda::Function').filter(
      ([id]) => /^Api\w+Function[0-9A-F]{8}$/.test(id) && !id.startsWith('ApiAuthorizer'),
    );
    expect(functions.length).toBe(routes.length);
    for (const [id, fn] of functions) {
      expect(asText(fn.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS), id).toBe(
        `https://ui.example.org,${originOf(hosted)}`,
      );
    }
  });

  it("may use the presigned URLs: both buckets' CORS names the console's origin", () => {
    for (const prefix of ['StorageInputs', 'StorageResults']) {
      const [, bucket] = only(hosted, 'AWS::S3::Bucket', prefix);
      const [rule] = bucket.Properties.CorsConfiguration.CorsRules;
      expect(rule.AllowedOrigins.map(asText)).toEqual(['https://ui.example.org', originOf(hosted)]);
      expect(rule.ExposedHeaders).toContain('ETag');
    }
  });
});

describe('the hosted-UI domain', () => {
  it('is created only with cognitoDomainPrefix, as the classic hosted UI', () => {
    const [, domain] = only(hosted, 'AWS::Cognito::UserPoolDomain');
    expect(domain.Properties).toMatchObject({
      Domain: 'imputation-test-1',
      ManagedLoginVersion: 1,
      UserPoolId: { Ref: only(hosted, 'AWS::Cognito::UserPool')[0] },
    });
    plain.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
  });

  it('is missing from a Cognito console deployment without a prefix: synth warns, naming the setting', () => {
    const warnings = (s: Synth) =>
      s.annotations
        .findWarning('*', Match.stringLikeRegexp('web console cannot sign in'))
        .map((w) => String(w.entry.data));
    expect(warnings(plain)).toEqual([expect.stringMatching(/Set cognitoDomainPrefix .*-c console=false/)]);
    expect(warnings(hosted)).toEqual([]);
    expect(warnings(oidc)).toEqual([]);
    expect(warnings(off)).toEqual([]);
  });
});

describe('console=false', () => {
  it('creates nothing of the console: no distribution, files, bucket, origin in CORS or Cognito', () => {
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::CloudFront::Function',
      'AWS::CloudFront::ResponseHeadersPolicy',
      'Custom::CDKBucketDeployment',
    ]) {
      off.template.resourceCountIs(type, 0);
    }
    expect(
      resources(off, 'AWS::S3::Bucket')
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(['StorageAccessLogs', 'StorageInputs', 'StorageResults']);
    const outputs = Object.keys(off.template.toJSON().Outputs);
    for (const name of ['ConsoleUrl', 'ConsoleBucket', 'DistributionId']) expect(outputs).not.toContain(name);
    // No redirect URL at all: the client has no OAuth flow (and no placeholder redirect).
    const [, client] = only(off, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.CallbackURLs).toBeUndefined();
    expect(client.Properties.LogoutURLs).toBeUndefined();
    expect(client.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(
      resources(off, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS'),
    ).toEqual([]);
    for (const [, bucket] of resources(off, 'AWS::S3::Bucket'))
      expect(bucket.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe('cdk-nag (AWS Solutions) with the console', () => {
  it('reports no unacknowledged finding with or without the hosted UI, in oidc mode, or switched off', () => {
    for (const s of [hosted, plain, oidc, off]) {
      const findings = [
        ...s.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...s.annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ];
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).slice(0, 80)}`)).toEqual([]);
    }
  });
});

describe('a missing console build', () => {
  it('fails synth naming npm run build:web and the way to deploy without the console', () => {
    expect(() => synthesize({ consoleDir: 'test/infra/fixtures/no-console-build' })).toThrow(
      /no-console-build\/index\.html is missing\. Run `npm run build:web` first, or deploy without the console \(-c console=false\)/,
    );
  });
});
