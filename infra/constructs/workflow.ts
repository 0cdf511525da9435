/**
 * The job workflow: the Standard state machine defined in statemachines/imputation-job.asl.json (loaded
 * as is, Lambda ARNs substituted), with one function per task from the task table and only the grants
 * each declares — only the submit task reads tokens and the password key, only the copy task writes
 * results. Execution data stays out of the logs; ids are all the state ever carries anyway.
 */
import { resolve } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import { STATE_MACHINE_DEFINITION_FILE, workflowTasks } from '#shared/workflow/tasks';
import { type AccessResources, environmentOf, grantAccess } from './access';
import { GatewayFunction, REPOSITORY_ROOT } from './gateway-function';

export interface WorkflowProps {
  resources: AccessResources;
  serviceCatalog: ServiceDefinition[];
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /**
   * Reserved concurrency of each task function; 0: unreserved. Reserved concurrency both guarantees and
   * caps: however many jobs and uploads are checked, validated, submitted or copied at once, the workflow
   * takes at most this many executions per function from the account, and the API functions keep the
   * rest. A throttled task is retried by its state (the ASL's Lambda.TooManyRequestsException retrier,
   * up to about two hours), so a burst waits instead of failing jobs.
   */
  reservedConcurrency: number;
  /** Caps on the check of one input file (VALIDATION_MAX_INVOCATIONS, VALIDATION_MAX_DECOMPRESSED_BYTES). */
  validationLimits: { invocations: number; decompressedBytes: number };
}

export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<string, GatewayFunction> = {};

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const substitutions: Record<string, string> = {};
    for (const task of workflowTasks) {
      const fn = new GatewayFunction(this, task.id, {
        entry: task.entry,
        description: `Job workflow task ${task.id}`,
        timeout: Duration.seconds(task.timeoutSeconds),
        memorySize: task.memoryMb,
        environment: environmentOf({
          SERVICE_CATALOG: props.serviceCatalog,
          VALIDATION_MAX_INVOCATIONS: props.validationLimits.invocations,
          VALIDATION_MAX_DECOMPRESSED_BYTES: props.validationLimits.decompressedBytes,
        }),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        reservedConcurrentExecutions: props.reservedConcurrency > 0 ? props.reservedConcurrency : undefined,
      });
      grantAccess(fn, task.access, props.resources);
      this.functions[task.id] = fn;
      substitutions[task.substitution] = fn.functionArn;
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.resources.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(resolve(REPOSITORY_ROOT, STATE_MACHINE_DEFINITION_FILE)),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    for (const fn of Object.values(this.functions)) fn.function.grantInvoke(this.stateMachine);

    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Log delivery and X-Ray actions of Step Functions support no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Invoking the task functions includes their versions and aliases (<function arn>:*).',
          appliesTo: [{ regex: '/^Resource::<.*Function.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
  }
}
