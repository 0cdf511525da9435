/**
 * A job run at several targets (POST /jobs with `targets`), through the API handlers and the real workflow
 * with two simulated services: a parent job and one ordinary child job per target sharing the uploads, the
 * parent's status derived from its children, cancel and delete cascading, every target checked before
 * anything is created, an interrupted creation completed by a retry with the same Idempotency-Key, and
 * another user's parent not found.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as cancelJob } from '#functions/api/jobs/cancel-job';
import { handler as createJob } from '#functions/api/jobs/create-job';
import { handler as deleteJob } from '#functions/api/jobs/delete-job';
import { handler as getJob } from '#functions/api/jobs/get-job';
import { handler as getJobResults } from '#functions/api/jobs/get-job-results';
import { handler as listJobs } from '#functions/api/jobs/list-jobs';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import type { Caller } from '#shared/auth/caller';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { jobRepository } from '#shared/jobs/job-repository';
import { createJobBodySchema } from '#shared/jobs/job-request';
import { invoke } from '#test/support/api-event';
import { catalogEntry, SECOND_1000G, setHealth, uploadThroughApi } from '#test/support/federation';
import { createJobBody } from '#test/support/job-fixtures';
import { useSettings } from '#test/support/settings';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
let second: CloudgeneSimulator;
let alice: Caller;
let bob: Caller;
let upload: string;

beforeAll(async () => {
  h = await startWorkflowHarness();
  second = await startCloudgeneSimulator({
    timing: { queueMs: 50, runMs: 150, exportMs: 50 },
    panels: [SECOND_1000G],
  });
  useSettings({
    SERVICE_CATALOG: [
      catalogEntry('michigan', 'Michigan (simulated)', h.sim),
      catalogEntry('second', 'Second (simulated)', second),
    ],
  });
  alice = await h.userWithToken('alice');
  bob = await h.userWithToken('bob');
  await saveServiceToken(alice, getService('second'), second.addUser({ username: 'alice-second' }));
  upload = await uploadFor(alice);
});
afterAll(async () => {
  await second?.close();
  await h?.close();
});
beforeEach(async () => {
  h.sim.scenario = 'success';
  second.scenario = 'success';
  await h.watcher.pause();
  await setHealth('michigan', 'UP', 5);
  await setHealth('second', 'UP', 5);
});

const uploadFor = (caller: Caller) => uploadThroughApi(h, caller);

const MICHIGAN = { serviceId: 'michigan', refPanel: 'apps@1000g-phase-3-v5@2.0.0' };
const SECOND = { serviceId: 'second', refPanel: SECOND_1000G.id, population: 'afr' };

/** A POST /jobs body with targets: the shared fields at the top, no service or panel there. */
function withTargets(targets: unknown[], overrides: Record<string, unknown> = {}) {
  const {
    serviceId: _,
    refPanel: __,
    ...shared
  } = createJobBody({ name: 'two places', uploadIds: [upload] });
  return { ...shared, targets, ...overrides };
}
const create = (caller: Caller, body: unknown, headers: Record<string, string> = {}) =>
  invoke(createJob, { method: 'POST', caller, body, headers });
const read = (caller: Caller, jobId: string) => invoke(getJob, { caller, pathParameters: { jobId } });
const cancel = (caller: Caller, jobId: string) =>
  invoke(cancelJob, { method: 'POST', caller, pathParameters: { jobId } });
const remove = (caller: Caller, jobId: string) =>
  invoke(deleteJob, { method: 'DELETE', caller, pathParameters: { jobId } });
const list = async (caller: Caller, query: Record<string, string> = {}) =>
  (await invoke(listJobs, { caller, query: { limit: '100', ...query } })).body;
const childIds = (parent: { targets: { jobId: string }[] }) => parent.targets.map((t) => t.jobId);

describe('POST /jobs with targets', () => {
  it('creates a parent and one child per target, both running to SUCCEEDED; the status moves', async () => {
    const answer = await create(alice, withTargets([MICHIGAN, SECOND]));
    expect(answer.status).toBe(202);
    const parent = answer.body;
    expect(answer.headers.Location).toBe(`/jobs/${parent.jobId}`);
    expect(parent).toMatchObject({
      kind: 'parent',
      name: 'two places',
      status: 'RUNNING',
      summary: { total: 2, missing: 0 },
      inputs: [expect.objectContaining({ uploadId: upload })],
      targets: [
        { serviceId: 'michigan', population: 'eur', created: true, panel: null },
        { serviceId: 'second', refPanel: SECOND_1000G.id, population: 'afr', created: true },
      ],
    });
    expect(parent.children.map((c: { parentId: string }) => c.parentId)).toEqual([
      parent.jobId,
      parent.jobId,
    ]);
    const [first, other] = childIds(parent);
    const child = (await read(alice, first!)).body;
    expect(child).toMatchObject({
      kind: 'job',
      parentId: parent.jobId,
      serviceId: 'michigan',
      name: 'two places (1/2)',
    });

    // The listing shows the parent with its children's summary, and no child on its own.
    const listed = await list(alice);
    const row = listed.jobs.find((j: { jobId: string }) => j.jobId === parent.jobId);
    expect(row).toMatchObject({ kind: 'parent', summary: { total: 2 } });
    expect(row.children.map((c: { jobId: string }) => c.jobId)).toEqual([first, other]);
    expect(listed.jobs.some((j: { jobId: string }) => j.jobId === first || j.jobId === other)).toBe(false);

    await h.sfn.waitForJob(first!);
    await h.sfn.waitForJob(other!);
    const done = (await read(alice, parent.jobId)).body;
    expect(done).toMatchObject({ status: 'SUCCEEDED', summary: { total: 2, byStatus: { SUCCEEDED: 2 } } });
    expect(done.nextCheckAt).toBeNull();
    expect(second.submissionsOf('alice-second').at(-1)?.fields.refpanel).toBe(SECOND_1000G.id);
    // With a status, the children in it are listed (each with its parent), parents not.
    const succeeded = await list(alice, { status: 'SUCCEEDED' });
    expect(succeeded.jobs.filter((j: { parentId: string }) => j.parentId === parent.jobId)).toHaveLength(2);
    // A parent has no results of its own.
    const results = await invoke(getJobResults, { caller: alice, pathParameters: { jobId: parent.jobId } });
    expect(results.status).toBe(409);
    expect(results.body.error.code).toBe('JOB_IS_PARENT');
  });

  it('derives PARTIAL when one child fails and the other succeeds', async () => {
    second.scenario = 'fail';
    const parent = (await create(alice, withTargets([MICHIGAN, SECOND]))).body;
    for (const id of childIds(parent)) await h.sfn.waitForJob(id);
    const done = (await read(alice, parent.jobId)).body;
    expect(done).toMatchObject({ status: 'PARTIAL', summary: { byStatus: { SUCCEEDED: 1, FAILED: 1 } } });
  });

  it('routes a target named by its panel, as POST /jobs by panel does', async () => {
    await setHealth('michigan', 'DOWN');
    const answer = await create(alice, withTargets([{ panel: '1000g-phase-3-v5' }, MICHIGAN]));
    expect(answer.status).toBe(202);
    expect(answer.body.targets[0]).toMatchObject({ serviceId: 'second', panel: '1000g-phase-3-v5' });
    expect(answer.body.children[0].routing).toMatchObject({ chosen: 'second' });
    await setHealth('michigan', 'UP');
    for (const id of childIds(answer.body)) await h.sfn.waitForJob(id);
  });

  it('refuses a target before creating anything, naming it', async () => {
    const before = (await list(alice)).jobs.length;
    const wrong = await create(alice, withTargets([MICHIGAN, { ...SECOND, population: 'sas' }]));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/^targets\[1\]: /);
    expect(wrong.body.error.details).toEqual([expect.objectContaining({ path: 'targets.1.population' })]);
    const noPanel = await create(alice, withTargets([MICHIGAN, { panel: 'no-such-panel' }]));
    expect(noPanel.status).toBe(409);
    expect(noPanel.body.error).toMatchObject({ code: 'NO_SERVICE_FOR_PANEL', details: { target: 1 } });
    const bobs = await create(bob, withTargets([MICHIGAN, SECOND], { uploadIds: [await uploadFor(bob)] }));
    expect(bobs.status).toBe(409);
    expect(bobs.body.error).toMatchObject({ code: 'SERVICE_TOKEN_MISSING', details: { target: 1 } });
    expect((await list(alice)).jobs.length).toBe(before);
    // The shape: 2-5 targets, and no service at the top level beside them.
    expect((await create(alice, withTargets([MICHIGAN]))).status).toBe(400);
    const both = await create(alice, withTargets([MICHIGAN, SECOND], { serviceId: 'michigan' }));
    expect(both.status).toBe(400);
    expect(both.body.error.details).toEqual([expect.objectContaining({ path: 'serviceId' })]);
  });

  it('answers the same parent for a retried request with its Idempotency-Key', async () => {
    const body = withTargets([MICHIGAN, SECOND]);
    const first = await create(alice, body, { 'Idempotency-Key': 'parent-1' });
    const again = await create(alice, body, { 'Idempotency-Key': 'parent-1' });
    expect(again.status).toBe(200);
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(childIds(again.body)).toEqual(childIds(first.body));
    const other = await create(alice, { ...body, name: 'other' }, { 'Idempotency-Key': 'parent-1' });
    expect(other.status).toBe(409);
    for (const id of childIds(first.body)) await h.sfn.waitForJob(id);
  });

  it('completes an interrupted creation on a retry with the same Idempotency-Key', async () => {
    // What a crash after the parent's write leaves: the parent with its planned children, none created.
    const body = withTargets([MICHIGAN, SECOND]);
    const requestHash = createHash('sha256')
      .update(JSON.stringify(createJobBodySchema.parse(body)))
      .digest('hex');
    const parentId = ulid();
    const planned = [ulid(), ulid()];
    await jobRepository().claimIdempotencyKey(alice.sub, 'crashed-1', { jobId: parentId, requestHash });
    const now = new Date().toISOString();
    await jobRepository().createParent({
      kind: 'parent',
      jobId: parentId,
      owner: alice.sub,
      name: 'two places',
      build: 'hg19',
      phasing: 'eagle',
      population: 'eur',
      mode: 'imputation',
      r2Filter: '0',
      aesEncryption: false,
      meta: false,
      inputs: [{ uploadId: upload, fileName: 'cohort.vcf.gz', size: 1 }],
      children: [
        { jobId: planned[0]!, target: MICHIGAN, ...MICHIGAN, population: 'eur' },
        { jobId: planned[1]!, target: SECOND, ...SECOND },
      ],
      createdAt: now,
      updatedAt: now,
    });
    const incomplete = (await read(alice, parentId)).body;
    expect(incomplete).toMatchObject({ status: 'INCOMPLETE', summary: { total: 2, missing: 2 } });
    expect(incomplete.targets.map((t: { created: boolean }) => t.created)).toEqual([false, false]);

    const retried = await create(alice, body, { 'Idempotency-Key': 'crashed-1' });
    expect(retried.status).toBe(200);
    expect(retried.body.jobId).toBe(parentId);
    expect(retried.body.children.map((c: { jobId: string }) => c.jobId)).toEqual(planned);
    for (const id of planned) await h.sfn.waitForJob(id);
    expect((await read(alice, parentId)).body.status).toBe('SUCCEEDED');
  });
});

describe('a parent job', () => {
  it('cancels every child, reporting each; then is deleted with all of them', async () => {
    const parent = (await create(alice, withTargets([MICHIGAN, SECOND]))).body;
    const [first, other] = childIds(parent);
    const refused = await remove(alice, parent.jobId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('JOB_ACTIVE');

    const canceled = await cancel(alice, parent.jobId);
    expect(canceled.status).toBe(202);
    expect(canceled.body.cancel.map((c: { jobId: string; outcome: string }) => [c.jobId, c.outcome])).toEqual(
      [
        [first, 'CANCELED'],
        [other, 'CANCELED'],
      ],
    );
    await h.sfn.waitForJob(first!);
    await h.sfn.waitForJob(other!);
    const ended = (await read(alice, parent.jobId)).body;
    expect(ended).toMatchObject({ status: 'CANCELED', summary: { byStatus: { CANCELED: 2 } } });
    expect((await cancel(alice, parent.jobId)).body.error.code).toBe('JOB_FINISHED');

    // A child alone is deleted only with its parent.
    const child = await remove(alice, first!);
    expect(child.status).toBe(409);
    expect(child.body.error.code).toBe('CONFLICT');
    expect((await remove(alice, parent.jobId)).status).toBe(204);
    for (const id of [parent.jobId, first!, other!]) expect((await read(alice, id)).status).toBe(404);
  });

  it("is another user's: not found, for reading, cancelling and deleting", async () => {
    const parent = (await create(alice, withTargets([MICHIGAN, SECOND]))).body;
    for (const answer of [
      await read(bob, parent.jobId),
      await cancel(bob, parent.jobId),
      await remove(bob, parent.jobId),
    ]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('JOB_NOT_FOUND');
    }
    expect((await list(bob)).jobs.some((j: { jobId: string }) => j.jobId === parent.jobId)).toBe(false);
    for (const id of childIds(parent)) await h.sfn.waitForJob(id);
  });
});
