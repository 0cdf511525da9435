/**
 * The one Lambda wrapper: every function of the gateway gets the same runtime (nodejs22.x on ARM64), an
 * ESM bundle built locally with esbuild (no Docker), source maps, active tracing, its own log group with
 * retention, and its own role holding only its log group's write permission — grants are added per
 * function by the constructs that know what it needs.
 */
import { resolve } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { TableAction } from '#shared/aws/table-definition';
import { environmentOf } from './access';
import { DEPLOYED_NODE_OPTIONS, deployedBundling, REPOSITORY_ROOT } from './bundling';

/** Every function's Powertools service name: the `service` dimension of each metric it emits. */
export const DEPLOYED_SERVICE_NAME = 'imputation-gateway';

export { REPOSITORY_ROOT };

export interface GatewayFunctionProps {
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  /** Shown in the console; say what the function serves (e.g. `GET /jobs: …`). */
  description: string;
  /** @default Duration.seconds(10) */
  timeout?: Duration;
  /** @default 512 */
  memorySize?: number;
  /** Added to the defaults (`NODE_OPTIONS`, `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`). */
  environment?: Record<string, string>;
  /** Retention of the function's own log group. */
  logRetention: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. */
  removalPolicy: RemovalPolicy;
  /** @default 'INFO' */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Runs at most this many at once (the watcher: one). @default unreserved */
  reservedConcurrentExecutions?: number;
}

export class GatewayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(REPOSITORY_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role: this.role,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: resolve(REPOSITORY_ROOT, 'package-lock.json'),
      environment: {
        ...environmentOf({
          NODE_OPTIONS: DEPLOYED_NODE_OPTIONS,
          POWERTOOLS_SERVICE_NAME: DEPLOYED_SERVICE_NAME,
          // Powertools v2 reads POWERTOOLS_LOG_LEVEL (LOG_LEVEL is its deprecated fallback).
          POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        }),
        ...props.environment,
      },
      // One definition for the stack, the benchmarks and the bundle tests (bundling.ts).
      bundling: {
        ...deployedBundling,
        format: OutputFormat.ESM,
        mainFields: [...deployedBundling.mainFields],
      },
    });
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'X-Ray tracing (PutTraceSegments/PutTelemetryRecords) supports no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "The function's own log group: log streams are created at run time, so their names are not known.",
          appliesTo: [{ regex: '/^Resource::<.*Logs.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the code is built and tested on Node 22 (see package.json engines).',
      },
    ]);
  }

  get functionArn(): string {
    return this.function.functionArn;
  }

  /**
   * Grants exactly these actions on the table (Query on its indexes too: grantReadData and
   * grantReadWriteData would add Scan, BatchWriteItem, ConditionCheckItem, DescribeTable and the stream
   * reads) and tells the handler its name.
   */
  grantTable(table: dynamodb.ITableV2, actions: readonly TableAction[]): void {
    const others = actions.filter((action) => action !== 'Query');
    if (others.length > 0) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: others.map((action) => `dynamodb:${action}`),
          resources: [table.tableArn],
        }),
      );
    }
    if (actions.includes('Query')) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [table.tableArn, `${table.tableArn}/index/*`],
        }),
      );
    }
    for (const [key, text] of Object.entries(environmentOf({ TABLE_NAME: table.tableName }))) {
      this.function.addEnvironment(key, text);
    }
  }
}
