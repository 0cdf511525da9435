/**
 * Continues a long job's polling in a fresh execution (named `<jobId>--<n>`, so a retried start is a
 * no-op) and points the job at it, so cancelling stops the execution that is actually running.
 */
import { type ExecutionDeps, executionDeps, startExecution } from '#shared/aws/executions';
import { type JobRepository, jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import type { JobRef } from './job-context';
import type { PollState } from './poll-state';

export interface ContinueDeps {
  executions: ExecutionDeps;
  jobs: JobRepository;
}

const defaultDeps = (): ContinueDeps => ({ executions: executionDeps(), jobs: jobRepository() });

export async function continueAsNewExecution(
  ref: JobRef,
  poll: PollState,
  deps: ContinueDeps = defaultDeps(),
): Promise<{ executionArn: string }> {
  const continuation = (poll.continuation ?? 0) + 1;
  const input = { jobId: ref.jobId, owner: ref.owner, poll: { ...poll, pollCount: 0, continuation } };
  const executionArn = await startExecution(`${ref.jobId}--${continuation}`, input, deps.executions);
  await deps.jobs.update(ref.owner, ref.jobId, { executionArn }, [
    JobStatus.QUEUED_REMOTE,
    JobStatus.RUNNING,
    JobStatus.CANCEL_REQUESTED,
  ]);
  return { executionArn };
}
