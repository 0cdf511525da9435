/**
 * The imputation gateway in one stack: identity, storage, the API and the job workflow, alarms, and the
 * web console (unless console=false). Environment-agnostic, so `cdk synth` needs no AWS account.
 */
import { resolve } from 'node:path';
import { Annotations, CfnOutput, Lazy, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { stateMachineArnFor } from './constructs/access';
import { Api } from './constructs/api';
import { REPOSITORY_ROOT } from './constructs/bundling';
import { WebConsole } from './constructs/console';
import { GatewayEventBus } from './constructs/event-bus';
import { Identity } from './constructs/identity';
import { Monitoring } from './constructs/monitoring';
import { bucketNamesFor, type PresignedBucket, presignedBucketOrigin, Storage } from './constructs/storage';
import { Watcher } from './constructs/watcher';
import { Workflow } from './constructs/workflow';
import type { Settings } from './settings';

export interface ImputationGatewayStackProps extends StackProps {
  /** Validated deployment settings (see infra/settings.ts; read from CDK context by infra/app.ts). */
  settings: Settings;
}

export class ImputationGatewayStack extends Stack {
  readonly api: Api;
  readonly storage: Storage;
  readonly workflow: Workflow;
  readonly identity: Identity;
  readonly events: GatewayEventBus;
  /** Unless console=false. */
  readonly console?: WebConsole;

  constructor(scope: Construct, id: string, props: ImputationGatewayStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = retentionDays(settings.logRetentionDays);

    // The console's origin (https://<distribution domain>) is allowed by the user pool client and the
    // API's CORS, yet the console is built last: its CSP and config.json name the API and the client. So
    // both read the origin lazily, at synth; only its presence must be known now.
    let consoleOrigin: string | undefined;
    const consoleOrigins = settings.console
      ? [Lazy.string({ produce: () => consoleOrigin ?? missing('the console origin') })]
      : [];

    // http://localhost redirects only when asked for (cognitoLocalhostPort).
    const localhost =
      settings.cognitoLocalhostPort === undefined
        ? []
        : [`http://localhost:${settings.cognitoLocalhostPort}`];
    this.identity = new Identity(
      this,
      'Identity',
      settings.authMode === 'oidc'
        ? {
            mode: 'oidc',
            issuer: settings.oidcIssuer!,
            audience: settings.oidcAudience!,
            jwksUri: settings.oidcJwksUri,
            usernameClaim: settings.oidcUsernameClaim,
            groupsClaim: settings.oidcGroupsClaim,
          }
        : {
            mode: 'cognito',
            callbackUrls: [
              ...settings.cognitoCallbackUrls,
              ...localhost.map((o) => `${o}/callback`),
              ...consoleOrigins.map((o) => `${o}/callback`),
            ],
            logoutUrls: [
              ...settings.cognitoLogoutUrls,
              ...localhost.map((o) => `${o}/`),
              ...consoleOrigins.map((o) => `${o}/`),
            ],
            domainPrefix: settings.cognitoDomainPrefix,
            removalPolicy,
          },
    );

    // The buckets' CORS names the console's origin like the API's does, and the console's CSP names the
    // two buckets' hosts: by names fixed at synth (bucketNamesFor), never by a reference to the buckets,
    // which would be a cycle (bucket → distribution → headers policy → bucket).
    const bucketNames = bucketNamesFor(settings.stackName);
    this.storage = new Storage(this, 'Storage', {
      bucketNames,
      corsAllowedOrigins: [...settings.corsAllowedOrigins, ...consoleOrigins],
      inputExpiryDays: settings.inputExpiryDays,
      resultExpiryDays: settings.resultExpiryDays,
      removalPolicy,
    });

    this.events = new GatewayEventBus(this, 'Events', {
      busName: `${settings.stackName}-events`,
      removalPolicy,
    });

    const stateMachineName = `${settings.stackName}-imputation-job`;
    const resources = {
      eventBus: this.events.bus,
      storage: this.storage,
      secretsPrefix: settings.secretsPrefix,
      stateMachineName,
      stateMachineArn: stateMachineArnFor(this, stateMachineName),
    };

    this.workflow = new Workflow(this, 'Workflow', {
      resources,
      serviceCatalog: settings.resolvedCatalog,
      logRetention,
      removalPolicy,
      reservedConcurrency: settings.workflowConcurrency,
      validationLimits: {
        invocations: settings.validationMaxInvocations,
        decompressedBytes: settings.validationMaxDecompressedBytes,
      },
    });

    const watcher = new Watcher(this, 'Watcher', {
      resources,
      serviceCatalog: settings.resolvedCatalog,
      logRetention,
      removalPolicy,
    });

    this.api = new Api(this, 'Api', {
      resources,
      authorizerEnvironment: this.identity.authorizerEnvironment,
      corsAllowedOrigins: [...settings.corsAllowedOrigins, ...consoleOrigins],
      serviceCatalog: settings.resolvedCatalog,
      throttleRateLimit: settings.throttleRateLimit,
      throttleBurstLimit: settings.throttleBurstLimit,
      maxUploadBytes: settings.maxUploadBytes,
      inputExpiryDays: settings.inputExpiryDays,
      callerRateLimit: settings.callerRateLimit,
      quotas: {
        activeJobs: settings.maxActiveJobsPerUser,
        pendingUploads: settings.maxPendingUploadsPerUser,
        storedBytes: settings.maxStoredBytesPerUser,
      },
      logRetention,
      removalPolicy,
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api.restApi,
      functions: [
        ...Object.values(this.api.functions),
        this.api.authorizerFunction,
        ...Object.values(this.workflow.functions),
        watcher.function,
      ],
      stateMachine: this.workflow.stateMachine,
      serviceIds: settings.resolvedCatalog.map((service) => service.id),
      alarmEmail: settings.alarmEmail,
      removalPolicy,
    });

    if (settings.console) {
      this.console = this.addConsole(settings, bucketNames, removalPolicy, logRetention);
      consoleOrigin = this.console.origin;
    }

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.restApi.url,
      description: 'Base URL of the API (stage v1)',
    });
    new CfnOutput(this, 'InputsBucket', { value: this.storage.inputsBucket.bucketName });
    new CfnOutput(this, 'ResultsBucket', { value: this.storage.resultsBucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'EventBusName', {
      value: this.events.bus.eventBusName,
      description: 'The gateway events (README, "Events"): add rules here to subscribe',
    });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.topic.topicArn,
      description: 'Subscribe here to receive the alarms',
    });
    if (this.identity.userPool && this.identity.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    }
    if (this.console) {
      new CfnOutput(this, 'ConsoleUrl', { value: this.console.origin, description: 'The web console' });
      new CfnOutput(this, 'ConsoleBucket', { value: this.console.bucket.bucketName });
      new CfnOutput(this, 'DistributionId', { value: this.console.distribution.distributionId });
    }
  }

  /** The console, once the API and the client it names exist (see consoleOrigin above). */
  private addConsole(
    settings: Settings,
    bucketNames: Record<PresignedBucket, string>,
    removalPolicy: RemovalPolicy,
    logRetention: logs.RetentionDays,
  ) {
    const { restApi } = this.api;
    // From the API's id, not restApi.url: the URL names the stage, which depends on every method, and the
    // preflight methods name the console.
    const apiOrigin = `https://${restApi.restApiId}.execute-api.${this.region}.${this.urlSuffix}`;
    const { domain, userPoolClient } = this.identity;
    if (settings.authMode === 'cognito' && !domain) {
      Annotations.of(this.identity).addWarningV2(
        'imputation-gateway:console-without-hosted-ui',
        'The web console cannot sign in: the user pool has no hosted-UI domain. Set cognitoDomainPrefix ' +
          '(-c cognitoDomainPrefix=<a prefix unique in the region>), or deploy without the console (-c console=false).',
      );
    }
    return new WebConsole(this, 'Console', {
      assetDir: resolve(REPOSITORY_ROOT, settings.consoleDir),
      origins: {
        api: apiOrigin,
        identityProvider: this.identity.browserOrigins,
        // The hosts the SDK presigns with (virtual-hosted and regional, also in us-east-1), from the
        // buckets' names fixed at synth: see the buckets' CORS above.
        buckets: [presignedBucketOrigin(bucketNames.inputs), presignedBucketOrigin(bucketNames.results)],
      },
      config: {
        apiUrl: `${apiOrigin}/${restApi.deploymentStage.stageName}`,
        oidc: {
          authority: this.identity.issuer,
          // settings.ts requires consoleClientId with authMode=oidc and the console.
          clientId: userPoolClient?.userPoolClientId ?? settings.consoleClientId!,
          scope: 'openid profile email',
          ...(domain ? { logoutUrl: `${domain.baseUrl()}/logout` } : {}),
        },
        environment: settings.stackName,
      },
      accessLogsBucket: this.storage.accessLogsBucket,
      logRetention,
      removalPolicy,
    });
  }
}

function missing(what: string): never {
  throw new Error(`${what} was read before it was defined`);
}

function retentionDays(days: number): logs.RetentionDays {
  // settings.ts admits only the values CloudWatch Logs accepts, so this is a plain conversion.
  return days as logs.RetentionDays;
}
