/**
 * The watcher starts a submission attempt by writing its execution's ARN with the attempt's watch, then
 * starting it: a run that dies right after the start leaves the job naming the execution that drives it,
 * so the next look finds it running instead of starting the attempt a second time beside it.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '#shared/aws/executions';
import { startSubmit } from '#shared/health/watch-jobs';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { nextWatch } from '#shared/jobs/job-watch';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';

let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(() => emulators.close());

const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:gateway-test';

describe('starting a submission attempt', () => {
  it('names its execution on the job before starting it', async () => {
    const now = new Date();
    const job = jobRecord({
      jobId: '01JOBSTARTSUBMIT000000000A',
      status: JobStatus.WAITING_FOR_SLOT,
      executionArn: executionArnFor('01JOBSTARTSUBMIT000000000A', stateMachineArn),
      watch: nextWatch(undefined, 'SLOT', now, now),
    });
    await jobRepository().create(job);
    const started: string[] = [];
    // The start goes through, but the run dies before it hears so.
    const sfn = {
      send: async (command: { input: { name: string } }) => {
        started.push(command.input.name);
        throw new Error('the watcher run died');
      },
    } as unknown as SFNClient;
    await expect(startSubmit(job, now, { sfn, stateMachineArn })).rejects.toThrow('the watcher run died');
    expect(started).toEqual([`${job.jobId}-submit-1`]);
    const stored = await jobRepository().get(job.owner, job.jobId);
    expect(stored?.executionArn).toBe(executionArnFor(`${job.jobId}-submit-1`, stateMachineArn));
    expect(stored?.watch).toMatchObject({ kind: 'SUBMIT', submits: 1 });
  });
});
