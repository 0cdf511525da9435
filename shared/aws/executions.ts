/**
 * Starting and stopping the job workflow. The execution name is the job id, which makes a start
 * idempotent: a retried create finds ExecutionAlreadyExists instead of starting a second workflow.
 */
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { lazyEnv } from '#shared/config';

const executionEnv = lazyEnv(z.object({ STATE_MACHINE_ARN: z.string().min(1) }));

let client: SFNClient | undefined;
const sfn = () => {
  client ??= new SFNClient({});
  return client;
};

/** What the workflow receives: identifiers only, never a token or password. */
export interface JobExecutionInput {
  jobId: string;
  owner: string;
}

export function executionArnFor(jobId: string, stateMachineArn = executionEnv().STATE_MACHINE_ARN): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
}

export async function startJobExecution(input: JobExecutionInput): Promise<string> {
  const stateMachineArn = executionEnv().STATE_MACHINE_ARN;
  try {
    const result = await sfn().send(
      new StartExecutionCommand({ stateMachineArn, name: input.jobId, input: JSON.stringify(input) }),
    );
    return result.executionArn ?? executionArnFor(input.jobId, stateMachineArn);
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return executionArnFor(input.jobId, stateMachineArn);
    throw error;
  }
}

export async function stopJobExecution(executionArn: string, cause: string): Promise<void> {
  try {
    await sfn().send(new StopExecutionCommand({ executionArn, error: 'JobCanceled', cause }));
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
  }
}
