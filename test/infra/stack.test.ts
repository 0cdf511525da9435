import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#shared/api/routes';
import { resolveServiceCatalog } from '#shared/catalog/service-catalog';
import { gatewayMetrics, METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/metrics';
import { workflowTasks } from '#shared/workflow/tasks';
import { synthesize } from './synth';

type Synth = ReturnType<typeof synthesize>;
let cognito: Synth;
let oidc: Synth;

beforeAll(() => {
  cognito = synthesize({ corsAllowedOrigins: 'https://ui.example.org' }, { bundle: true });
  // API only: no browser origin at all (the console in oidc mode is in console.test.ts).
  oidc = synthesize({
    authMode: 'oidc',
    oidcIssuer: 'https://idp.example.org/realms/research',
    oidcAudience: 'imputation-gateway',
    stackName: 'GatewayOidc',
    console: 'false',
  });
}, 180_000);

const resourcesOf = (s: Synth, type: string) => s.template.findResources(type);

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** IAM statements of each function's role, keyed by route or task id (roles are `Api<id>Role…`/`Workflow<id>Role…`). */
function statementsByFunction(s: Synth): Record<string, Statement[]> {
  const byId: Record<string, Statement[]> = {};
  const policies = Object.values(resourcesOf(s, 'AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Statement[] }; Roles: { Ref: string }[] };
  }[];
  for (const policy of policies) {
    for (const role of policy.Properties.Roles) {
      const id = /^(?:Api|Workflow)(\w+?)Role[0-9A-F]{8}$/.exec(role.Ref)?.[1];
      if (id) byId[id] = [...(byId[id] ?? []), ...policy.Properties.PolicyDocument.Statement];
    }
  }
  return byId;
}

describe('API', () => {
  it('serves each route of the route table with one method behind the Lambda authorizer; only preflights are open', () => {
    for (const s of [cognito, oidc]) {
      const [authorizerId, ...others] = Object.keys(resourcesOf(s, 'AWS::ApiGateway::Authorizer'));
      expect(others).toEqual([]);
      const methods = Object.values(resourcesOf(s, 'AWS::ApiGateway::Method')) as {
        Properties: Record<string, unknown>;
      }[];
      const open = methods.filter((m) => m.Properties.AuthorizationType !== 'CUSTOM');
      expect(open.every((m) => m.Properties.HttpMethod === 'OPTIONS')).toBe(true);
      const guarded = methods.filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
      expect(guarded.map((m) => `${m.Properties.HttpMethod} ${m.Properties.OperationName}`).sort()).toEqual(
        routes.map((route) => `${route.method} ${route.id}`).sort(),
      );
      for (const method of guarded) {
        expect(method.Properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
          Integration: { Type: 'AWS_PROXY' },
        });
      }
    }
    oidc.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('opens preflight only for browser origins (configured, or the console)', () => {
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

  it('answers gateway errors in the API error shape, with CORS headers, keeping the status of the default types', () => {
    const responses = Object.values(resourcesOf(cognito, 'AWS::ApiGateway::GatewayResponse')).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    );
    const byType = Object.fromEntries(responses.map((r) => [r.ResponseType as string, r]));
    expect(byType.UNAUTHORIZED).toMatchObject({
      StatusCode: '401',
      ResponseTemplates: {
        'application/json': '{"error":{"code":"UNAUTHORIZED","message":"Missing or invalid bearer token"}}',
      },
    });
    expect(byType.THROTTLED).toMatchObject({ StatusCode: '429' });
    expect(byType.MISSING_AUTHENTICATION_TOKEN).toMatchObject({ StatusCode: '404' });
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect(byType[type]?.StatusCode).toBeUndefined();
      expect(JSON.stringify(byType[type]?.ResponseTemplates)).toContain('$context.error.messageString');
    }
    // Two origins (the configured one and the console's): `*`, see api.ts.
    for (const response of responses) {
      expect(response.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      });
    }
  });
});

describe('the watcher', () => {
  it('runs every minute from a schedule whose role may invoke it alone, one run at a time', () => {
    const { template } = cognito;
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Watcher: '),
      ReservedConcurrentExecutions: 1,
    });
  });
});

describe('the event bus', () => {
  it('is one bus with an archive of the gateway events, exported, and its name given to the watcher', () => {
    const { template } = cognito;
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: Match.stringLikeRegexp('-events$') });
    template.hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: 30,
      EventPattern: { source: ['imputation-gateway'] },
    });
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['EventBusName', 'EventBusArn']));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Watcher: '),
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: Match.anyValue() }) },
    });
  });

  it('may be put to by the watcher alone, on this bus only', () => {
    const { template } = cognito;
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')) as [
      string,
      { Properties: { PolicyDocument: { Statement: Statement[] } } },
    ][];
    const putters = policies.filter(([, policy]) =>
      policy.Properties.PolicyDocument.Statement.some((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('events:')),
      ),
    );
    expect(putters.map(([id]) => id)).toEqual([expect.stringMatching(/^Watcher/)]);
    const statements = putters[0]![1].Properties.PolicyDocument.Statement.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('events:')),
    );
    expect(statements).toEqual([
      {
        Action: 'events:PutEvents',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventsBus/), 'Arn'] },
      },
    ]);
  });
});

describe('functions', () => {
  it('run nodejs22.x on arm64 with active tracing and their own log group', () => {
    // Ours, not the console's BucketDeployment provider (CDK's, see console.test.ts).
    const functions = Object.entries(resourcesOf(cognito, 'AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))
      .map(([, fn]) => fn) as { Properties: Record<string, unknown> }[];
    // Routes, workflow tasks, the watcher and the authorizer.
    expect(functions).toHaveLength(routes.length + workflowTasks.length + 2);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
  });

  it('grant token secrets only to the functions that declare them, under the users/ prefix only', () => {
    const statements = statementsByFunction(cognito);
    const touchesSecrets = (id: string) =>
      (statements[id] ?? []).filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const declared = [...routes, ...workflowTasks].filter((r) => r.access.secrets).map((r) => r.id);
    const withUserSecrets = Object.keys(statements).filter((id) =>
      touchesSecrets(id).some((st) =>
        JSON.stringify(st.Resource).includes(':secret:imputation-gateway/users/*'),
      ),
    );
    expect(withUserSecrets.sort()).toEqual(declared.sort());
    expect(touchesSecrets('listServices')).toEqual([]);

    for (const route of routes.filter((r) => r.access.secrets)) {
      const [grant, ...more] = touchesSecrets(route.id);
      expect(more).toEqual([]);
      expect(JSON.stringify(grant?.Resource)).toMatch(/:secret:imputation-gateway\/users\/\*"/);
      const actions = [grant?.Action].flat();
      expect(actions.includes('secretsmanager:CreateSecret')).toBe(route.access.secrets === 'readWrite');
      expect(actions).not.toContain('secretsmanager:ListSecrets');
      // The key, only through Secrets Manager and only for users/ secrets.
      const keyUse = (statements[route.id] ?? []).filter((st) => [st.Action].flat().includes('kms:Decrypt'));
      expect(keyUse).toHaveLength(1);
      expect(keyUse[0]?.Condition).toMatchObject({
        StringEquals: { 'kms:ViaService': expect.anything() },
        StringLike: { 'kms:EncryptionContext:SecretARN': expect.anything() },
      });
      expect(JSON.stringify(keyUse[0]?.Condition)).toContain('secret:imputation-gateway/users/*');
    }
  });

  it('grant each function exactly the inputs-bucket actions it declares, on inputs/ objects only', () => {
    const statements = statementsByFunction(cognito);
    const explicit = {
      put: 's3:PutObject',
      listParts: 's3:ListMultipartUploadParts',
      abort: 's3:AbortMultipartUpload',
      delete: 's3:DeleteObject',
      // The retention tag only (shared/uploads/input-retention.ts), never grantPut's tagging wildcard.
      tag: 's3:PutObjectTagging',
    } as const;
    for (const fn of [...routes, ...workflowTasks]) {
      const onInputs = (statements[fn.id] ?? []).filter((st) =>
        JSON.stringify(st.Resource).includes('Inputs'),
      );
      const actions = new Set(onInputs.flatMap((st) => [st.Action].flat()));
      const declared: readonly string[] = fn.access.inputsBucket ?? [];
      for (const [kind, action] of Object.entries(explicit)) {
        expect(actions.has(action), `${fn.id} ${action}`).toBe(declared.includes(kind));
      }
      expect(actions.has('s3:GetObject*'), `${fn.id} read`).toBe(declared.includes('read'));
      // Nothing broader than declared: no version tagging, retention or Abort* that grantPut would add.
      const known = new Set<string>([
        ...Object.values(explicit),
        's3:GetObject*',
        's3:GetBucket*',
        's3:List*',
      ]);
      expect(
        [...actions].filter((action) => !known.has(action)),
        fn.id,
      ).toEqual([]);
      for (const st of onInputs) expect(JSON.stringify(st.Resource), fn.id).toMatch(/\/inputs\/\*"/);
    }
  });

  it('let only the copy task write results', () => {
    const statements = statementsByFunction(cognito);
    const writers = Object.keys(statements).filter((id) =>
      (statements[id] ?? []).some(
        (st) =>
          [st.Action].flat().includes('s3:PutObject') && JSON.stringify(st.Resource).includes('Results'),
      ),
    );
    expect(writers).toEqual(['copyResult']);
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

  it('has every index the code queries: the status list, the watch and the outbox, projected as the local table', () => {
    const [table] = Object.values(resourcesOf(cognito, 'AWS::DynamoDB::GlobalTable')) as {
      Properties: {
        GlobalSecondaryIndexes: {
          IndexName: string;
          KeySchema: { AttributeName: string; KeyType: string }[];
          Projection: { ProjectionType: string };
        }[];
      };
    }[];
    expect(
      table!.Properties.GlobalSecondaryIndexes.map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema.map((key) => `${key.AttributeName}:${key.KeyType}`),
        projection: index.Projection.ProjectionType,
      })),
    ).toEqual([
      { name: 'GSI1', keys: ['GSI1PK:HASH', 'GSI1SK:RANGE'], projection: 'ALL' },
      { name: 'GSI2', keys: ['GSI2PK:HASH', 'GSI2SK:RANGE'], projection: 'KEYS_ONLY' },
      { name: 'GSI3', keys: ['GSI3PK:HASH', 'GSI3SK:RANGE'], projection: 'KEYS_ONLY' },
    ]);
  });

  it('blocks public access, requires TLS and encrypts every bucket', () => {
    const buckets = resourcesOf(cognito, 'AWS::S3::Bucket') as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    // Inputs, results, access logs; the console's files and its distribution's logs.
    expect(Object.keys(buckets)).toHaveLength(5);
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
    expect(policies).toHaveLength(5);
    for (const policy of policies) expect(JSON.stringify(policy)).toMatch(/"aws:SecureTransport":"false"/);
  });

  it('expires inputs, keeps unfinished input uploads resumable for a week, and lets browsers PUT parts', () => {
    // Inputs expire by their retention tag (14 days unless a job holds them longer), untagged ones at the
    // longest tier: S3 honours the shortest matching expiration, so only that rule has no filter.
    cognito.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          ...[14, 28, 56, 112].map((days) =>
            Match.objectLike({
              Id: `expire-inputs-${days}d`,
              ExpirationInDays: days,
              TagFilters: [{ Key: 'retention-days', Value: String(days) }],
            }),
          ),
          { Id: 'expire-inputs', ExpirationInDays: 224, Status: 'Enabled' },
        ],
      },
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['PUT', 'HEAD'],
            // The configured origin and the console's (test/infra/console.test.ts checks the latter).
            AllowedOrigins: Match.arrayWith(['https://ui.example.org']),
            // The signed part headers (Content-Length, x-amz-checksum-sha256), and each part's ETag readable.
            AllowedHeaders: ['*'],
            ExposedHeaders: ['ETag'],
          }),
        ],
      },
    });
    // The results bucket's multipart uploads are our own copies, done in minutes.
    cognito.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })],
      },
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['GET', 'HEAD'] })] },
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
});

describe('monitoring', () => {
  it('alarms on API 5xx, function errors and throttles, and failed executions, into an encrypted TLS-only topic', () => {
    const alarms = Object.values(resourcesOf(cognito, 'AWS::CloudWatch::Alarm')) as {
      Properties: { AlarmActions: unknown[]; MetricName?: string; Metrics?: unknown[] };
    }[];
    const text = JSON.stringify(alarms);
    for (const metric of ['5XXError', 'Errors', 'Throttles', 'ExecutionsFailed', 'ExecutionsTimedOut']) {
      expect(text).toContain(`"${metric}"`);
    }
    const [topicId] = Object.keys(resourcesOf(cognito, 'AWS::SNS::Topic'));
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    cognito.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // CloudWatch may use the topic's own key (not the secrets key) to publish.
    const topic = Object.values(resourcesOf(cognito, 'AWS::SNS::Topic'))[0] as {
      Properties: { KmsMasterKeyId: { 'Fn::GetAtt': [string, string] } };
    };
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(keyId).toMatch(/^Monitoring/);
    cognito.template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Effect: 'Allow' }),
          ]),
        },
      },
    });
    expect(Object.keys(resourcesOf(cognito, 'AWS::KMS::Key'))).toContain(keyId);
  });

  it('alarms when the watcher drives a job again at any service of the catalog', () => {
    const alarms = Object.entries(resourcesOf(cognito, 'AWS::CloudWatch::Alarm')) as [
      string,
      {
        Properties: {
          Threshold: number;
          Metrics: {
            Id: string;
            Expression?: string;
            MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } };
          }[];
        };
      },
    ][];
    const [, redriven] = alarms.find(([id]) => id.startsWith('MonitoringJobsRedriven'))!;
    expect(redriven.Properties.Threshold).toBe(1);
    const series = redriven.Properties.Metrics.filter((metric) => metric.MetricStat);
    expect(series.map((metric) => metric.MetricStat!.Metric.MetricName)).toEqual(
      series.map(() => 'JobsRedriven'),
    );
    const services = series.map(
      (metric) =>
        Object.fromEntries(metric.MetricStat!.Metric.Dimensions.map((d) => [d.Name, d.Value])) as Record<
          string,
          string
        >,
    );
    expect(services.map((dimensions) => dimensions.ImputationService).sort()).toEqual(
      resolveServiceCatalog()
        .map((service) => service.id)
        .sort(),
    );
    // The dimensions the functions emit (shared/metrics.ts with Powertools' `service`).
    for (const dimensions of services) expect(dimensions.service).toBe('imputation-gateway');
    const sum = redriven.Properties.Metrics.find((metric) => metric.Expression)!;
    expect(sum.Expression).toBe(series.map((metric) => `FILL(${metric.Id}, 0)`).join(' + '));
  });
});

describe('dashboard', () => {
  it('graphs every business metric per imputation service beside the status of every alarm', () => {
    const dashboards = Object.values(resourcesOf(cognito, 'AWS::CloudWatch::Dashboard')) as {
      Properties: { DashboardBody: unknown };
    }[];
    expect(dashboards).toHaveLength(1);
    // The body is a Fn::Join of JSON text and references (region, alarm ARNs): put each reference's
    // logical id in its place to read it as JSON.
    const parts = (dashboards[0]!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })[
      'Fn::Join'
    ][1];
    const body = JSON.parse(
      parts
        .map((part) =>
          typeof part === 'string'
            ? part
            : ((part as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? 'ref'),
        )
        .join(''),
    ) as {
      widgets: { type: string; properties: { metrics?: { expression: string }[][]; alarms?: string[] } }[];
    };
    const expressions = body.widgets.flatMap((w) => w.properties.metrics ?? []).map(([m]) => m!.expression);
    expect(expressions).toEqual(
      Object.keys(gatewayMetrics).map(
        (name) =>
          `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},service} MetricName="${name}"', 'Sum', 3600)`,
      ),
    );
    const alarmIds = Object.keys(resourcesOf(cognito, 'AWS::CloudWatch::Alarm'));
    const status = body.widgets.find((w) => w.type === 'alarm')!;
    expect(status.properties.alarms!.sort()).toEqual(alarmIds.sort());
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
