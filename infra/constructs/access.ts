/**
 * Turns the access a route or workflow task declares (shared/api/routes.ts, shared/workflow/tasks.ts)
 * into least-privilege grants and the environment it needs — the one place where "may touch X" becomes
 * IAM, so the route table stays the single source of truth. Environments are written with the settings
 * module (shared/settings.ts): `accessSettings` says which settings groups each kind of access brings,
 * and the stack test checks every function is given each variable of those groups that has no default.
 */
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import type { InputsBucketAccess, RouteAccess } from '#shared/api/routes';
import type { TableAction } from '#shared/aws/table-definition';
import { type EnvironmentValues, environmentFor, type SettingsGroup } from '#shared/settings';
import type { WorkflowTaskDefinition } from '#shared/workflow/tasks';
import type { GatewayFunction } from './gateway-function';
import type { Storage } from './storage';

/** The union of what routes (RouteAccess) and workflow tasks (WorkflowTaskDefinition.access) may declare. */
export interface Access {
  table?: readonly TableAction[];
  secrets?: 'read' | 'readWrite';
  inputsBucket?: readonly InputsBucketAccess[];
  resultsBucket?: 'read' | 'delete' | 'write' | 'readWrite';
  stateMachine?: readonly ('start' | 'stop' | 'describe')[];
  resultPasswordKey?: 'read';
  startExecution?: true;
  callsService?: true;
  /** Puts events on the gateway's bus (the outbox publisher: shared/events/publish-events.ts). */
  events?: 'put';
}

// Compile-time check that both declarations fit.
type Fits<T extends Access> = T;
export type RouteAccessFits = Fits<RouteAccess>;
export type TaskAccessFits = Fits<WorkflowTaskDefinition['access']>;

/** The settings groups (shared/settings.ts) the code behind each kind of access reads. */
export const accessSettings: { readonly [K in keyof Access]-?: readonly SettingsGroup[] } = {
  table: ['table'],
  secrets: ['secrets'],
  inputsBucket: ['uploads'],
  resultsBucket: ['results'],
  stateMachine: ['stateMachine'],
  resultPasswordKey: ['resultPassword'],
  startExecution: ['stateMachine'],
  callsService: [],
  events: ['events'],
};

export function settingsGroupsOf(access: Access): SettingsGroup[] {
  const kinds = Object.keys(access).filter((kind) => access[kind as keyof Access]) as (keyof Access)[];
  return [...new Set(kinds.flatMap((kind) => accessSettings[kind]))];
}

/**
 * An environment block from typed settings. Deploy-time values (CDK tokens: a bucket name, a key ARN)
 * pass unchecked, since only CloudFormation knows them; everything else is checked as the function
 * will parse it.
 */
export function environmentOf(values: EnvironmentValues): Record<string, string> {
  return environmentFor(values, { isUnresolved: (text) => Token.isUnresolved(text) });
}

function addEnvironment(target: GatewayFunction, values: EnvironmentValues): void {
  for (const [key, text] of Object.entries(environmentOf(values))) target.function.addEnvironment(key, text);
}

/** The one IAM action behind each kind of inputs-bucket access but `read` (s3:GetObject*, s3:List*, …). */
const INPUTS_ACTIONS: Record<Exclude<InputsBucketAccess, 'read'>, string> = {
  put: 's3:PutObject',
  listParts: 's3:ListMultipartUploadParts',
  abort: 's3:AbortMultipartUpload',
  delete: 's3:DeleteObject',
  tag: 's3:PutObjectTagging',
};

export interface AccessResources {
  storage: Storage;
  secretsPrefix: string;
  /** ARN of the job state machine, built from its fixed name (no reference, so no dependency cycle). */
  stateMachineArn: string;
  stateMachineName: string;
  /** The gateway's event bus (infra/constructs/event-bus.ts). */
  eventBus: { eventBusArn: string; eventBusName: string };
}

/** `arn:…:secret:<prefix>/users/*`: the per-user token secrets of this deployment, and nothing else. */
export function userSecretsArn(stack: Stack, prefix: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}/users/*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export function stateMachineArnFor(scope: Stack, name: string): string {
  return scope.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export function grantAccess(target: GatewayFunction, access: Access, resources: AccessResources): void {
  const fn = target.function;
  const { storage } = resources;
  const stack = Stack.of(target);
  const acknowledge: { id: string; reason: string; appliesTo: (string | { regex: string })[] }[] = [];

  if (access.table?.length) {
    target.grantTable(storage.table, access.table);
    if (access.table.includes('Query')) {
      acknowledge.push({
        id: 'AwsSolutions-IAM5',
        reason: 'Queries by status use the GSI; the grant covers the indexes of this one table only.',
        appliesTo: [{ regex: '/^Resource::<.*Table.*\\.Arn>\\/index\\/\\*$/g' }],
      });
    }
  }

  if (access.secrets) {
    // The token vault (shared/credentials/token-vault.ts) creates secrets with tags, overwrites their
    // value, reads and force-deletes them; it never updates, rotates or lists.
    const actions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
    if (access.secrets === 'readWrite') {
      actions.push(
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DeleteSecret',
        'secretsmanager:TagResource',
      );
    }
    const userSecrets = userSecretsArn(stack, resources.secretsPrefix);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [userSecrets] }));
    // The key only through Secrets Manager and only for the users/ secrets: the encryption context
    // Secrets Manager sends names the secret, so this grant cannot decrypt the result password key.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: access.secrets === 'readWrite' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [storage.secretsKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
          StringLike: { 'kms:EncryptionContext:SecretARN': userSecrets },
        },
      }),
    );
    addEnvironment(target, {
      SECRETS_PREFIX: resources.secretsPrefix,
      SECRETS_KMS_KEY_ID: storage.secretsKey.keyArn,
    });
    acknowledge.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'One secret per user and service is created at run time under <prefix>/users/; the name is derived from the verified sub only.',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:secretsmanager:.*:secret:.*\\/users\\/\\*$/g' }],
    });
  }

  if (access.resultPasswordKey) {
    storage.resultPasswordKey.grantRead(fn);
    addEnvironment(target, { RESULT_PASSWORD_KEY_SECRET_ID: storage.resultPasswordKey.secretArn });
  }

  if (access.inputsBucket?.length) {
    if (access.inputsBucket.includes('read')) storage.inputsBucket.grantRead(fn, 'inputs/*');
    // The rest one action each, on the inputs/ objects only (grantPut would add tagging, retention, Abort*).
    const actions = access.inputsBucket.flatMap((kind) => (kind === 'read' ? [] : [INPUTS_ACTIONS[kind]]));
    if (actions.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions, resources: [storage.inputsBucket.arnForObjects('inputs/*')] }),
      );
    }
    addEnvironment(target, { INPUTS_BUCKET: storage.inputsBucket.bucketName });
  }
  if (access.resultsBucket) {
    if (access.resultsBucket === 'write') storage.resultsBucket.grantPut(fn, 'results/*');
    else storage.resultsBucket.grantRead(fn, 'results/*');
    if (access.resultsBucket === 'readWrite') storage.resultsBucket.grantPut(fn, 'results/*');
    if (access.resultsBucket === 'delete' || access.resultsBucket === 'readWrite') {
      storage.resultsBucket.grantDelete(fn, 'results/*');
    }
    addEnvironment(target, { RESULTS_BUCKET: storage.resultsBucket.bucketName });
  }
  if (access.inputsBucket?.length || access.resultsBucket) {
    acknowledge.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'Object keys are per user and per upload/job, created at run time; grants are limited to the inputs/ or results/ prefix.',
      appliesTo: [
        { regex: '/^Resource::<.*(Inputs|Results).*\\.Arn>\\/(inputs|results)\\/\\*$/g' },
        {
          regex:
            '/^Action::s3:(GetObject|GetBucket|List|Abort|DeleteObject|PutObjectLegalHold|PutObjectRetention|PutObjectTagging|PutObjectVersionTagging)\\*$/g',
        },
      ],
    });
  }

  if (access.stateMachine?.length || access.startExecution) {
    addEnvironment(target, { STATE_MACHINE_ARN: resources.stateMachineArn });
  }
  if (access.stateMachine?.includes('start') || access.startExecution) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [resources.stateMachineArn] }),
    );
  }
  const executionActions = [
    ...(access.stateMachine?.includes('stop') ? ['states:StopExecution'] : []),
    ...(access.stateMachine?.includes('describe') ? ['states:DescribeExecution'] : []),
  ];
  if (executionActions.length > 0) {
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${resources.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: executionActions, resources: [executions] }));
    acknowledge.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'Executions are named after job ids at run time; the grant covers executions of this state machine only.',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:states:.*:execution:.*:\\*$/g' }],
    });
  }

  if (access.events) {
    // PutEvents on this bus only: no other bus, no rules, no archive.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [resources.eventBus.eventBusArn] }),
    );
    addEnvironment(target, { EVENT_BUS_NAME: resources.eventBus.eventBusName });
  }

  if (acknowledge.length > 0) NagSuppressions.addResourceSuppressions(target.role, acknowledge, true);
}
