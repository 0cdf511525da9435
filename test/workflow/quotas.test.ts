/**
 * Per-user quotas through the real handlers and workflow: a user at a limit is refused with 429, the
 * error shape and Retry-After, naming the limit and what frees it; other users are not affected; a unit
 * frees when a job ends or an upload completes or is abandoned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as cancelJob } from '#functions/api/jobs/cancel-job';
import { handler as createJob } from '#functions/api/jobs/create-job';
import { handler as createUpload } from '#functions/api/uploads/create-upload';
import { handler as deleteUpload } from '#functions/api/uploads/delete-upload';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import type { Caller } from '#shared/auth/caller';
import { JobStatus } from '#shared/jobs/job-status';
import { userQuotas } from '#shared/quotas/user-quotas';
import { invoke } from '#test/support/api-event';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
let alice: Caller;
let bob: Caller;

beforeAll(async () => {
  h = await startWorkflowHarness({
    // Jobs stay queued at the service until a test moves them: they stay active here.
    simulator: { scenario: 'manual', concurrencyLimit: 10 },
    settings: { MAX_ACTIVE_JOBS_PER_USER: 2, MAX_PENDING_UPLOADS_PER_USER: 2 },
  });
  alice = await h.userWithToken('alice');
  bob = await h.userWithToken('bob');
});
afterAll(() => h?.close());

const file = makeVcfGz({ samples: 30 });
const announce = (caller: Caller) =>
  invoke(createUpload, { method: 'POST', caller, body: { fileName: 'cohort.vcf.gz', size: file.length } });

async function readyUpload(caller: Caller): Promise<string> {
  const created = await announce(caller);
  expect(created.status).toBe(201);
  await fetch(created.body.uploadUrl, { method: 'PUT', body: file, headers: created.body.headers });
  const uploadId = created.body.upload.uploadId as string;
  await invoke(getUpload, { caller, pathParameters: { uploadId } });
  return uploadId;
}

const create = (caller: Caller, uploadId: string) =>
  invoke(createJob, {
    method: 'POST',
    caller,
    body: createJobBody({ name: 'quota', uploadIds: [uploadId] }),
  });

describe('active jobs per user', () => {
  it('refuses a job past the limit with 429, Retry-After and what frees it; another user goes on; a job that ends frees its unit', async () => {
    const uploadId = await readyUpload(alice);
    const first = await create(alice, uploadId);
    const second = await create(alice, uploadId);
    expect([first.status, second.status]).toEqual([202, 202]);

    const refused = await create(alice, uploadId);
    expect(refused.status).toBe(429);
    expect(refused.headers['Retry-After']).toBe('60');
    expect(refused.body).toEqual({
      error: {
        code: 'QUOTA_EXCEEDED',
        message:
          'You have 2 active jobs, the limit of 2 per user; one frees when one of your jobs ends (succeeds, fails or is canceled)',
        details: { quota: 'ACTIVE_JOBS', limit: 2, used: 2, retryAfterSeconds: 60 },
      },
    });

    const bobs = await create(bob, await readyUpload(bob));
    expect(bobs.status).toBe(202);

    // The first job ends (canceled): its unit frees with its terminal move, and a new job fits.
    await h.waitForStatus(alice, first.body.jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    const canceled = await invoke(cancelJob, {
      method: 'POST',
      caller: alice,
      pathParameters: { jobId: first.body.jobId },
    });
    expect(canceled.status).toBe(202);
    await h.waitForStatus(alice, first.body.jobId, [JobStatus.CANCELED]);
    // The unit is released by the write right after the terminal move.
    const released = async () => Object.keys((await userQuotas().usage(alice.sub)).activeJobs);
    for (let waited = 0; waited < 5_000 && (await released()).length > 1; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await released()).toEqual([second.body.jobId]);
    expect((await create(alice, uploadId)).status).toBe(202);
  });
});

describe('pending uploads per user', () => {
  it('refuses an upload past the limit with 429; completing or abandoning one frees a unit', async () => {
    const carol = await h.userWithToken('carol');
    const one = await announce(carol);
    const two = await announce(carol);
    expect([one.status, two.status]).toEqual([201, 201]);
    const refused = await announce(carol);
    expect(refused.status).toBe(429);
    expect(refused.headers['Retry-After']).toBe('60');
    expect(refused.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(refused.body.error.message).toContain('the limit of 2');

    const abandoned = await invoke(deleteUpload, {
      method: 'DELETE',
      caller: carol,
      pathParameters: { uploadId: one.body.upload.uploadId },
    });
    expect(abandoned.status).toBe(204);
    const three = await announce(carol);
    expect(three.status).toBe(201);

    await fetch(two.body.uploadUrl, { method: 'PUT', body: file, headers: two.body.headers });
    await invoke(getUpload, { caller: carol, pathParameters: { uploadId: two.body.upload.uploadId } });
    expect((await announce(carol)).status).toBe(201);
    const usage = await userQuotas().usage(carol.sub);
    expect(Object.keys(usage.pendingUploads)).toHaveLength(2);
    expect(usage.storedBytes).toBe(3 * file.length);
  });
});
