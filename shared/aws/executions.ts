/**
 * Starting and stopping workflow executions. An execution's name is the job id (`<jobId>-submit-<n>` and
 * `<jobId>-collect-<n>` for those the watcher starts, `upload-<uploadId>` for the check of an upload),
 * which makes a start idempotent: a retried start finds ExecutionAlreadyExists instead of starting a
 * second workflow. The state machine's ARN comes from the settings, read here only.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sfnClient } from '#shared/aws/clients';
import { settings } from '#shared/settings';

export interface ExecutionDeps {
  sfn: SFNClient;
  stateMachineArn: string;
}

export const executionDeps = (): ExecutionDeps => ({
  sfn: sfnClient(),
  stateMachineArn: settings.stateMachine().STATE_MACHINE_ARN,
});

/** What the workflow receives: identifiers only, never a token or password. */
export interface JobExecutionInput {
  jobId: string;
  owner: string;
  /** How many input files the job has: each is checked by its own branch of the validation Map. */
  inputs: number;
}

/** The execution input of a job's own execution: its ids, and one item per input file for the Map. */
export function jobExecutionInput(input: JobExecutionInput) {
  return {
    jobId: input.jobId,
    owner: input.owner,
    files: Array.from({ length: input.inputs }, (_, index) => ({ index })),
  };
}

/** The ARN an execution of that name has (or will have). */
export function executionArnFor(name: string, stateMachineArn = settings.stateMachine().STATE_MACHINE_ARN) {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Starts the named execution, or finds it already started; resolves to its ARN either way. */
export async function startExecution(
  name: string,
  /** Ids only (a job's, or an upload's), never a token or password. */
  input: { owner: string } & Record<string, unknown>,
  deps: ExecutionDeps = executionDeps(),
): Promise<string> {
  const { stateMachineArn } = deps;
  try {
    const result = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return result.executionArn ?? executionArnFor(name, stateMachineArn);
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return executionArnFor(name, stateMachineArn);
    throw error;
  }
}

export async function startJobExecution(
  input: JobExecutionInput,
  deps: ExecutionDeps = executionDeps(),
): Promise<string> {
  return startExecution(input.jobId, jobExecutionInput(input), deps);
}

export async function stopJobExecution(
  executionArn: string,
  cause: string,
  deps: Pick<ExecutionDeps, 'sfn'> = { sfn: sfnClient() },
): Promise<void> {
  try {
    await deps.sfn.send(new StopExecutionCommand({ executionArn, error: 'JobCanceled', cause }));
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
  }
}

/**
 * RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED…, with when it ended; `MISSING` when no execution has
 * that ARN (never started, or its history is past Step Functions' retention).
 */
export async function executionState(
  executionArn: string,
  deps: Pick<ExecutionDeps, 'sfn'> = { sfn: sfnClient() },
): Promise<{ status: string; stopDate?: Date }> {
  try {
    const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return {
      status: execution.status ?? 'MISSING',
      ...(execution.stopDate ? { stopDate: new Date(execution.stopDate) } : {}),
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return { status: 'MISSING' };
    throw error;
  }
}
