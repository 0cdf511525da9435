import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as cancelJob } from '#functions/api/jobs/cancel-job';
import { handler as createJob } from '#functions/api/jobs/create-job';
import { handler as deleteJob } from '#functions/api/jobs/delete-job';
import { handler as getJob } from '#functions/api/jobs/get-job';
import { handler as password } from '#functions/api/jobs/get-job-password';
import { handler as results } from '#functions/api/jobs/get-job-results';
import { handler as listJobs } from '#functions/api/jobs/list-jobs';
import { handler as createUpload } from '#functions/api/uploads/create-upload';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import type { Caller } from '#shared/auth/caller';
import { secretsManagerClient } from '#shared/aws/clients';
import { JobStatus } from '#shared/jobs/job-status';
import { deriveResultPassword } from '#shared/jobs/result-password';
import { resetRuntime } from '#shared/runtime';
import { invoke } from '#test/support/api-event';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
const api: Record<string, Parameters<typeof invoke>[0]> = {
  createJob,
  listJobs,
  getJob,
  cancelJob,
  results,
  password,
  deleteJob,
  createUpload,
  getUpload,
};
let alice: Awaited<ReturnType<WorkflowHarness['userWithToken']>>;
let bob: Awaited<ReturnType<WorkflowHarness['userWithToken']>>;
let aliceUpload: string;

beforeAll(async () => {
  h = await startWorkflowHarness();
  alice = await h.userWithToken('alice');
  bob = await h.userWithToken('bob');
  aliceUpload = await uploadFor(alice);
});
afterAll(() => h?.close());

async function uploadFor(caller: Caller, confirm = true): Promise<string> {
  const file = makeVcfGz({ samples: 30 });
  const created = await invoke(api.createUpload!, {
    method: 'POST',
    caller,
    body: { fileName: 'cohort.vcf.gz', size: file.length },
  });
  if (confirm) {
    await fetch(created.body.uploadUrl, { method: 'PUT', body: file, headers: created.body.headers });
    await invoke(api.getUpload!, { caller, pathParameters: { uploadId: created.body.upload.uploadId } });
  }
  return created.body.upload.uploadId;
}

/** Overrides may be invalid on purpose (the refusals below), so they are not typed as a body. */
const jobBody = (overrides: Record<string, unknown> = {}) => ({
  ...createJobBody({ name: 'chr20 cohort', uploadIds: [aliceUpload] }),
  ...overrides,
});
const create = (caller: Caller, body: unknown, headers: Record<string, string> = {}) =>
  invoke(api.createJob!, { method: 'POST', caller, body, headers });

describe('POST /jobs', () => {
  it('accepts a valid job (202), starts its workflow and points to it', async () => {
    const result = await create(alice, jobBody());
    expect(result.status).toBe(202);
    expect(result.headers.Location).toBe(`/jobs/${result.body.jobId}`);
    expect(result.body).toMatchObject({
      status: 'QUEUED',
      serviceId: 'michigan',
      serviceName: 'Michigan (simulated)', // the harness's catalog
      refPanel: 'apps@1000g-phase-3-v5@2.0.0',
      // The service's labels, recorded now: the job keeps them whatever the service offers later.
      labels: { refPanel: '1000G Phase 3 (GRCh37/hg19)', population: 'EUR', r2Filter: 'off' },
    });
    expect(h.sfn.executions.size).toBeGreaterThan(0);
    await h.sfn.waitForJob(result.body.jobId);
  });

  it('answers the same job for the same Idempotency-Key, and 409 for a different request with it', async () => {
    const first = await create(alice, jobBody({ name: 'idempotent' }), { 'Idempotency-Key': 'key-123' });
    const again = await create(alice, jobBody({ name: 'idempotent' }), { 'Idempotency-Key': 'key-123' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.jobId).toBe(first.body.jobId);
    const other = await create(alice, jobBody({ name: 'something else' }), { 'Idempotency-Key': 'key-123' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const bad = await create(alice, jobBody(), { 'Idempotency-Key': 'spaces are not ok' });
    expect(bad.status).toBe(400);
    await h.sfn.waitForJob(first.body.jobId);
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['an unknown build', { build: 'hg18' }, 'build'],
    ['no uploads', { uploadIds: [] }, 'uploadIds'],
    [
      'a repeated upload',
      { uploadIds: ['01ARZ3NDEKTSV4RRFFQ69G5FAV', '01ARZ3NDEKTSV4RRFFQ69G5FAV'] },
      'uploadIds',
    ],
    ['a malformed upload id', { uploadIds: ['../x'] }, 'uploadIds.0'],
    ['an extra field', { owner: 'sub-bob' }, ''],
    ['a panel the service does not offer', { refPanel: 'apps@no-such-panel' }, 'refPanel'],
    [
      'a population the panel does not have',
      { refPanel: 'apps@hapmap-2@2.0.0', population: 'afr' },
      'population',
    ],
    ['a phasing the service does not offer', { phasing: 'shapeit' }, 'phasing'],
    ['an r2 filter the service does not offer', { r2Filter: 0.5 }, 'r2Filter'],
  ])('rejects %s with 400 naming the field, and creates nothing', async (_, override, field) => {
    const before = (await invoke(api.listJobs!, { caller: alice, query: { limit: '100' } })).body.jobs.length;
    const result = await create(alice, jobBody(override));
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
    expect(result.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    expect((await invoke(api.listJobs!, { caller: alice, query: { limit: '100' } })).body.jobs.length).toBe(
      before,
    );
  });

  it.each([
    ['a NUL', 'chr20\u0000cohort'],
    ['a newline', 'chr20\ncohort'],
    ['a trailing newline (not trimmed away)', 'chr20 cohort\n'],
    ['a carriage return', 'chr20\rcohort'],
    ['a bell (C0)', 'chr20\u0007cohort'],
    ['DEL', 'chr20\u007fcohort'],
    ['a C1 control', 'chr20\u0085cohort'],
    ['a line separator', 'chr20\u2028cohort'],
    ['a paragraph separator', 'chr20\u2029cohort'],
    ['a right-to-left override', 'chr20\u202Ecohort'],
  ])('rejects a name with %s with 400, and creates nothing', async (_, name) => {
    const before = (await invoke(api.listJobs!, { caller: alice, query: { limit: '100' } })).body.jobs.length;
    const result = await create(alice, jobBody({ name }));
    expect(result.status).toBe(400);
    expect(result.headers['Content-Type']).toBe('application/json');
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
    expect(result.body.error.message).toContain('name must not contain control characters');
    expect(result.body.error.details).toEqual([
      { in: 'body', path: 'name', message: 'name must not contain control characters' },
    ]);
    expect((await invoke(api.listJobs!, { caller: alice, query: { limit: '100' } })).body.jobs.length).toBe(
      before,
    );
  });

  it('still trims ordinary spaces around a name', async () => {
    const result = await create(alice, jobBody({ name: '  spaced name  ' }));
    expect(result.status).toBe(202);
    expect(result.body.name).toBe('spaced name');
    await h.sfn.waitForJob(result.body.jobId);
  });

  it('answers 404 for an unknown service', async () => {
    const result = await create(alice, jobBody({ serviceId: 'nowhere' }));
    expect(result.status).toBe(404);
  });

  it("answers 404 for another user's upload", async () => {
    const result = await create(bob, jobBody({ uploadIds: [aliceUpload] }));
    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('UPLOAD_NOT_FOUND');
  });

  it('answers 409 for an upload that was announced but never PUT', async () => {
    const pending = await uploadFor(alice, false);
    const result = await create(alice, jobBody({ uploadIds: [pending] }));
    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('UPLOAD_NOT_READY');
  });

  it('asks for a service token first (409) when the caller has none', async () => {
    const carol = { sub: 'sub-carol', username: 'carol', groups: [] };
    const upload = await uploadFor(carol);
    const result = await create(carol, jobBody({ uploadIds: [upload] }));
    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('SERVICE_TOKEN_MISSING');
  });
});

describe('reading, cancelling, results, password and deletion', () => {
  let finished: string;
  beforeAll(async () => {
    const result = await create(alice, jobBody({ name: 'finished job' }));
    finished = result.body.jobId;
    await h.sfn.waitForJob(finished);
  });

  it('shows a job with progress, messages, history and results', async () => {
    const result = await invoke(api.getJob!, { caller: alice, pathParameters: { jobId: finished } });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ jobId: finished, status: JobStatus.SUCCEEDED, error: null });
    expect(result.body.events[0]).toMatchObject({ from: null, to: 'QUEUED' });
    expect(result.body.events.at(-1)).toMatchObject({ from: 'COPYING_RESULTS', to: 'SUCCEEDED' });
    expect(result.body.messages.length).toBeGreaterThan(0);
    expect(result.body.results.map((r: { name: string }) => r.name)).toContain('chr_20.zip');
    expect(JSON.stringify(result.body)).not.toMatch(/hash|remoteFiles|results\//);
  });

  it("answers 404 for another user's job on every route, 400 for a malformed id", async () => {
    for (const handler of [api.getJob, api.cancelJob, api.results, api.password, api.deleteJob]) {
      const result = await invoke(handler!, { caller: bob, pathParameters: { jobId: finished } });
      expect(result.status).toBe(404);
      expect(result.body.error.code).toBe('JOB_NOT_FOUND');
    }
    expect((await invoke(api.getJob!, { caller: alice, pathParameters: { jobId: 'nope' } })).status).toBe(
      400,
    );
  });

  it('lists newest first with a cursor and a status filter; never shows other users', async () => {
    const page = await invoke(api.listJobs!, { caller: alice, query: { limit: '1' } });
    expect(page.body.jobs).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await invoke(api.listJobs!, {
      caller: alice,
      query: { limit: '1', cursor: page.body.nextCursor },
    });
    expect(next.body.jobs[0].jobId < page.body.jobs[0].jobId).toBe(true);
    const succeeded = await invoke(api.listJobs!, { caller: alice, query: { status: 'SUCCEEDED' } });
    expect(succeeded.body.jobs.every((j: { status: string }) => j.status === 'SUCCEEDED')).toBe(true);
    expect((await invoke(api.listJobs!, { caller: bob })).body.jobs).toEqual([]);
    expect((await invoke(api.listJobs!, { caller: alice, query: { status: 'DONE' } })).status).toBe(400);
    expect(
      (await invoke(api.listJobs!, { caller: bob, query: { cursor: page.body.nextCursor } })).status,
    ).toBe(400);
  });

  it('hands out presigned downloads whose bytes are the copied results', async () => {
    const result = await invoke(api.results!, { caller: alice, pathParameters: { jobId: finished } });
    expect(result.status).toBe(200);
    const job = await h.job(alice, finished);
    for (const file of result.body.files) {
      const response = await fetch(file.url);
      expect(response.status).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBe(job.results!.find((r) => r.name === file.name)!.size);
      expect(new URL(file.url).searchParams.get('X-Amz-Expires')).toBe('900');
      expect(decodeURIComponent(file.url)).toContain('attachment; filename=');
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="[\w.-]+"$/);
    }
  });

  it('gives the owner the zip password the service received', async () => {
    const result = await invoke(api.password!, { caller: alice, pathParameters: { jobId: finished } });
    const job = await h.job(alice, finished);
    expect(result.body.password).toBe(h.sim.job(job.externalJobId!).fields.password);
  });

  it('keeps a sent password across a rotation of its key; a job sent after it uses the new version', async () => {
    const before = await h.job(alice, finished);
    expect(before.passwordKeyVersion).toBe('1');
    const newKey = 'n'.repeat(64);
    await secretsManagerClient().send(
      new PutSecretValueCommand({
        SecretId: 'gateway-test/result-password-key',
        SecretString: JSON.stringify({ current: '2', keys: { '1': 'k'.repeat(64), '2': newKey } }),
      }),
    );
    resetRuntime(); // every function reads the secret afresh, as warm ones do after KEY_SET_MAX_AGE_MS
    const rotated = (await create(alice, jobBody({ name: 'after rotation' }))).body.jobId;
    await h.sfn.waitForJob(rotated);
    const after = await h.job(alice, rotated);
    expect(after.status).toBe(JobStatus.SUCCEEDED);
    expect(after.passwordKeyVersion).toBe('2');
    const sent = h.sim.job(after.externalJobId!).fields.password;
    expect(sent).toBe(deriveResultPassword(Buffer.from(newKey), alice.sub, rotated));
    for (const job of [before, after]) {
      const result = await invoke(api.password!, { caller: alice, pathParameters: { jobId: job.jobId } });
      expect(result.body.password).toBe(h.sim.job(job.externalJobId!).fields.password);
    }
  });

  it('refuses to cancel a finished job (409) and to delete an active one (409)', async () => {
    expect(
      (await invoke(api.cancelJob!, { method: 'POST', caller: alice, pathParameters: { jobId: finished } }))
        .status,
    ).toBe(409);
    h.sim.scenario = 'manual';
    const active = (await create(alice, jobBody({ name: 'active' }))).body.jobId;
    await h.waitForStatus(alice, active, [JobStatus.QUEUED_REMOTE]);
    h.sim.scenario = 'success';
    const refused = await invoke(api.deleteJob!, {
      method: 'DELETE',
      caller: alice,
      pathParameters: { jobId: active },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('JOB_ACTIVE');
    const cancel = await invoke(api.cancelJob!, {
      method: 'POST',
      caller: alice,
      pathParameters: { jobId: active },
    });
    expect(cancel.status).toBe(202);
    await h.sfn.waitForJob(active);
    expect((await h.job(alice, active)).status).toBe(JobStatus.CANCELED);
  });

  it('cancels a job before submission by stopping its workflow', async () => {
    h.sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', status: 503, times: 50 });
    const early = (await create(alice, jobBody({ name: 'early cancel' }))).body.jobId;
    const cancel = await invoke(api.cancelJob!, {
      method: 'POST',
      caller: alice,
      pathParameters: { jobId: early },
    });
    expect(cancel.status).toBe(202);
    expect(cancel.body.status).toBe(JobStatus.CANCELED);
    const execution = await h.sfn.waitForJob(early);
    expect(['ABORTED', 'SUCCEEDED']).toContain(execution.status);
    expect((await h.job(alice, early)).status).toBe(JobStatus.CANCELED);
    h.sim.clearFaults();
  });

  it('deletes a finished job and its result files (204), then answers 404', async () => {
    const results = await invoke(api.results!, { caller: alice, pathParameters: { jobId: finished } });
    const removed = await invoke(api.deleteJob!, {
      method: 'DELETE',
      caller: alice,
      pathParameters: { jobId: finished },
    });
    expect(removed.status).toBe(204);
    expect((await fetch(results.body.files[0].url)).status).toBe(404);
    expect((await invoke(api.getJob!, { caller: alice, pathParameters: { jobId: finished } })).status).toBe(
      404,
    );
  });
});
