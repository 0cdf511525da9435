import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';
import { readSettings } from '../../infra/settings';
import { synthesize } from './synth';

type Synth = ReturnType<typeof synthesize>;
let cognito: Synth;
let oidc: Synth;

beforeAll(() => {
  cognito = synthesize({ corsAllowedOrigins: 'https://ui.example.org' }, { bundle: true });
  oidc = synthesize({
    authMode: 'oidc',
    oidcIssuer: 'https://idp.example.org/realms/research',
    oidcAudience: 'imputation-gateway',
    stackName: 'GatewayOidc',
  });
}, 180_000);

const resourcesOf = (s: Synth, type: string) => s.template.findResources(type);

describe('API', () => {
  it('puts every method except CORS preflight behind the Lambda authorizer', () => {
    for (const s of [cognito, oidc]) {
      const methods = Object.values(resourcesOf(s, 'AWS::ApiGateway::Method')) as {
        Properties: Record<string, unknown>;
      }[];
      const open = methods.filter((m) => m.Properties.AuthorizationType !== 'CUSTOM');
      expect(open.every((m) => m.Properties.HttpMethod === 'OPTIONS')).toBe(true);
      const guarded = methods.filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
      expect(guarded).toHaveLength(routes.length);
      for (const method of guarded) expect(method.Properties.AuthorizerId).toBeDefined();
    }
    oidc.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    oidc.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('opens preflight only when CORS origins are configured', () => {
    const preflights = (s: Synth) =>
      Object.values(resourcesOf(s, 'AWS::ApiGateway::Method')).filter(
        (m) => (m as { Properties: { HttpMethod: string } }).Properties.HttpMethod === 'OPTIONS',
      );
    expect(preflights(cognito).length).toBeGreaterThan(0);
    expect(preflights(oidc)).toHaveLength(0);
  });

  it('throttles the stage and writes JSON access logs', () => {
    cognito.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    });
  });

  it('answers gateway errors in the API error shape', () => {
    cognito.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"UNAUTHORIZED"') },
    });
  });
});

describe('functions', () => {
  it('run nodejs22.x on arm64 with active tracing and their own log group', () => {
    const functions = Object.values(resourcesOf(cognito, 'AWS::Lambda::Function')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(functions).toHaveLength(routes.length + workflowTasks.length + 1);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
  });

  it('grant token secrets only to functions that declare it, scoped to the users/ prefix', () => {
    const policies = resourcesOf(cognito, 'AWS::IAM::Policy') as Record<
      string,
      { Properties: { PolicyDocument: unknown; Roles: { Ref: string }[] } }
    >;
    const withSecrets = Object.entries(policies).filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
    );
    const roles = withSecrets.flatMap(([, p]) => p.Properties.Roles.map((r) => r.Ref));
    const expected = [
      ...routes.filter((r) => r.access.secrets).map((r) => r.id),
      ...workflowTasks.filter((t) => t.access.secrets || t.access.resultPasswordKey).map((t) => t.id),
    ];
    for (const id of expected)
      expect(roles.some((role) => role.startsWith(`Api${id}`) || role.startsWith(`Workflow${id}`))).toBe(
        true,
      );
    expect(roles.some((role) => role.startsWith('ApilistServices'))).toBe(false);
    expect(roles.some((role) => role.startsWith('WorkflowcopyResult'))).toBe(false);
    for (const [, policy] of withSecrets) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      if (text.includes(':secret:imputation-gateway'))
        expect(text).toMatch(/secret:imputation-gateway\/users\/\*/);
    }
  });

  it('let only the copy task write results', () => {
    const policies = resourcesOf(cognito, 'AWS::IAM::Policy') as Record<
      string,
      {
        Properties: {
          PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
          Roles: { Ref: string }[];
        };
      }
    >;
    const writers = Object.values(policies).filter((p) =>
      p.Properties.PolicyDocument.Statement.some(
        (s) => [s.Action].flat().includes('s3:PutObject') && JSON.stringify(s.Resource).includes('Results'),
      ),
    );
    expect(
      writers
        .flatMap((p) => p.Properties.Roles.map((r) => r.Ref))
        .every((r) => r.startsWith('WorkflowcopyResult')),
    ).toBe(true);
    expect(writers).toHaveLength(1);
  });
});

describe('storage', () => {
  it('keeps jobs in an on-demand, encrypted table with point-in-time recovery', () => {
    cognito.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('blocks public access, requires TLS and encrypts every bucket', () => {
    const buckets = resourcesOf(cognito, 'AWS::S3::Bucket') as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
    }
    const policies = Object.values(resourcesOf(cognito, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(3);
    for (const policy of policies) expect(JSON.stringify(policy)).toMatch(/"aws:SecureTransport":"false"/);
  });

  it('expires inputs and aborts incomplete multipart uploads', () => {
    cognito.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({ ExpirationInDays: 14 }),
        ]),
      },
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({ AllowedMethods: ['PUT', 'HEAD'], AllowedOrigins: ['https://ui.example.org'] }),
        ],
      },
    });
  });
});

describe('workflow', () => {
  it('loads the ASL file with every task substituted, logging and tracing on', () => {
    const [machine] = Object.values(resourcesOf(cognito, 'AWS::StepFunctions::StateMachine')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(machine?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    const substitutions = machine?.Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(workflowTasks.map((t) => t.substitution).sort());
    // DefinitionBody.fromFile ships the ASL file as is, as an asset.
    expect(machine?.Properties.DefinitionS3Location).toBeDefined();
  });
});

describe('identity', () => {
  it('creates a user pool, a PKCE code-flow client without secret and an admins group by default', () => {
    cognito.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    cognito.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    cognito.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: Match.arrayWith(['openid']),
    });
    cognito.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admins' });
  });

  it('creates no user pool with a bring-your-own OIDC issuer and hands issuer and audience to the authorizer', () => {
    oidc.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    oidc.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AUTH_MODE: 'oidc',
          OIDC_ISSUER: 'https://idp.example.org/realms/research',
          OIDC_AUDIENCE: 'imputation-gateway',
          OIDC_JWKS_URI: 'https://idp.example.org/realms/research/.well-known/jwks.json',
        }),
      },
    });
  });

  it('refuses oidc settings without an issuer or audience', () => {
    expect(() => readSettings((key) => ({ authMode: 'oidc' })[key as 'authMode'])).toThrow(/oidcIssuer/);
    expect(() => readSettings((key) => ({ inputExpiryDays: 'soon' })[key as 'inputExpiryDays'])).toThrow(
      /inputExpiryDays/,
    );
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it('reports no unacknowledged finding in either identity mode', () => {
    for (const s of [cognito, oidc]) {
      const errors = s.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
      const warnings = s.annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
      expect(errors.map((e) => `${e.id}: ${String(e.entry.data).slice(0, 80)}`)).toEqual([]);
      expect(warnings.map((w) => `${w.id}: ${String(w.entry.data).slice(0, 80)}`)).toEqual([]);
    }
  });
});
