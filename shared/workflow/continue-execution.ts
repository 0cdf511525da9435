/**
 * Continues a long job's polling in a fresh execution (named `<jobId>--<n>`, so a retried start is a
 * no-op) and points the job at it, so cancelling stops the execution that is actually running.
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { lazyEnv } from '#shared/config';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import type { JobRef } from './job-context';
import type { PollState } from './poll-state';

const continueEnv = lazyEnv(z.object({ STATE_MACHINE_ARN: z.string().min(1) }));
let sfn: SFNClient | undefined;

export async function continueAsNewExecution(
  ref: JobRef,
  poll: PollState,
): Promise<{ executionArn: string }> {
  const stateMachineArn = continueEnv().STATE_MACHINE_ARN;
  const continuation = (poll.continuation ?? 0) + 1;
  const name = `${ref.jobId}--${continuation}`;
  const input = { jobId: ref.jobId, owner: ref.owner, poll: { ...poll, pollCount: 0, continuation } };
  sfn ??= new SFNClient({});
  let executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    executionArn = started.executionArn ?? executionArn;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  await jobRepository().update(ref.owner, ref.jobId, { executionArn }, [
    JobStatus.QUEUED_REMOTE,
    JobStatus.RUNNING,
    JobStatus.CANCEL_REQUESTED,
  ]);
  return { executionArn };
}
