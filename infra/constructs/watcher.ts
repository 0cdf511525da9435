/**
 * The watcher (shared/health/watcher.ts): one function run by an EventBridge Scheduler schedule every
 * minute, with a reserved concurrency of one so two runs never overlap, and only the grants it declares.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import { WATCHER } from '#shared/health/watcher';
import { type AccessResources, environmentOf, grantAccess } from './access';
import { GatewayFunction } from './gateway-function';

export interface WatcherProps {
  resources: AccessResources;
  serviceCatalog: ServiceDefinition[];
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class Watcher extends Construct {
  readonly function: GatewayFunction;

  constructor(scope: Construct, id: string, props: WatcherProps) {
    super(scope, id);
    this.function = new GatewayFunction(this, WATCHER.id, {
      entry: WATCHER.entry,
      description:
        'Watcher: probes every imputation service each minute, polls the jobs due, wakes waiting jobs',
      timeout: Duration.seconds(WATCHER.timeoutSeconds),
      memorySize: WATCHER.memoryMb,
      environment: environmentOf({ SERVICE_CATALOG: props.serviceCatalog }),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrentExecutions: 1,
    });
    grantAccess(this.function, WATCHER.access, props.resources);
    // A role of its own (not the stack-wide one the target would make), allowed to invoke this function only.
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets the schedule invoke the watcher',
    });
    new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs the watcher',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(WATCHER.intervalMinutes)),
      // A run that failed is not retried: the next one is a minute away.
      target: new targets.LambdaInvoke(this.function.function, { retryAttempts: 0, role }),
    });
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Invoking the watcher includes its versions and aliases (<function arn>:*).',
          appliesTo: [{ regex: '/^Resource::<.*Function.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
  }
}
