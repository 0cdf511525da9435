/**
 * The file that was validated is the file that is submitted: validation records each input's ETag on the
 * job, and the submission reads with If-Match. An object replaced in between fails the job, saying which
 * file, and nothing is sent to the service.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as validateInput } from '#functions/workflow/validate-input';
import type { Caller } from '#shared/auth/caller';
import { s3Client } from '#shared/aws/clients';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
let alice: Caller;
/** Jobs whose input is replaced right after validation judged it. */
const replaceAfterValidation = new Set<string>();

beforeAll(async () => {
  h = await startWorkflowHarness({
    handlers: {
      async validateInput(event, context) {
        const result = (await validateInput(event as never, context as never)) as { outcome?: string };
        const { jobId, owner } = event as { jobId: string; owner: string };
        if (result.outcome === 'VALID' && replaceAfterValidation.has(jobId)) {
          const job = await jobRepository().get(owner, jobId);
          for (const input of job?.inputs ?? []) {
            await s3Client().send(
              new PutObjectCommand({
                Bucket: 'inputs-test',
                Key: input.key,
                Body: makeVcfGz({ samples: 31 }),
              }),
            );
          }
        }
        return result;
      },
    },
  });
  alice = await h.userWithToken('alice');
});
afterAll(() => h?.close());

describe('the submitted file is the validated file', () => {
  it('records each input’s ETag when validation ends and submits that object', async () => {
    const jobId = await h.createJob(alice);
    const job = await h.waitForStatus(alice, jobId, [JobStatus.SUCCEEDED], 30_000);
    expect(job.inputs[0]?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(h.sim.jobs).toHaveLength(1);
  });

  it('fails a job whose input was replaced after validation, naming the file, and sends nothing', async () => {
    const submissionsBefore = h.sim.jobs.length;
    const jobId = await h.createJob(alice);
    replaceAfterValidation.add(jobId);
    const job = await h.waitForStatus(alice, jobId, [JobStatus.FAILED, JobStatus.SUCCEEDED], 30_000);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error).toEqual({
      code: 'INPUT_CHANGED',
      message:
        'input.chr20.vcf.gz: the file changed (or is gone) since it was checked, so it was not sent: upload it again and create a new job',
    });
    expect(h.sim.jobs.length).toBe(submissionsBefore);
  });
});
