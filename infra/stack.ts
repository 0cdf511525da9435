/**
 * The imputation gateway in one stack: identity, storage, the API and the job workflow, plus alarms.
 * Environment-agnostic, so `cdk synth` needs no AWS account.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { stateMachineArnFor } from './constructs/access';
import { Api } from './constructs/api';
import { Identity } from './constructs/identity';
import { Monitoring } from './constructs/monitoring';
import { Storage } from './constructs/storage';
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

  constructor(scope: Construct, id: string, props: ImputationGatewayStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = retentionDays(settings.logRetentionDays);

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
            callbackUrls: settings.cognitoCallbackUrls,
            logoutUrls: settings.cognitoLogoutUrls,
            removalPolicy,
          },
    );

    this.storage = new Storage(this, 'Storage', {
      corsAllowedOrigins: settings.corsAllowedOrigins,
      inputExpiryDays: settings.inputExpiryDays,
      resultExpiryDays: settings.resultExpiryDays,
      removalPolicy,
    });

    const stateMachineName = `${settings.stackName}-imputation-job`;
    const resources = {
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
    });

    this.api = new Api(this, 'Api', {
      resources,
      authorizerEnvironment: this.identity.authorizerEnvironment,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      serviceCatalog: settings.resolvedCatalog,
      throttleRateLimit: settings.throttleRateLimit,
      throttleBurstLimit: settings.throttleBurstLimit,
      maxUploadBytes: settings.maxUploadBytes,
      inputExpiryDays: settings.inputExpiryDays,
      logRetention,
      removalPolicy,
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api.restApi,
      functions: [
        ...Object.values(this.api.functions),
        this.api.authorizerFunction,
        ...Object.values(this.workflow.functions),
      ],
      stateMachine: this.workflow.stateMachine,
      alarmEmail: settings.alarmEmail,
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.restApi.url,
      description: 'Base URL of the API (stage v1)',
    });
    new CfnOutput(this, 'InputsBucket', { value: this.storage.inputsBucket.bucketName });
    new CfnOutput(this, 'ResultsBucket', { value: this.storage.resultsBucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.topic.topicArn,
      description: 'Subscribe here to receive the alarms',
    });
    if (this.identity.userPool && this.identity.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    }
  }
}

function retentionDays(days: number): logs.RetentionDays {
  // settings.ts admits only the values CloudWatch Logs accepts, so this is a plain conversion.
  return days as logs.RetentionDays;
}
