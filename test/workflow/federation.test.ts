/**
 * Jobs across services, through the API handlers and the real workflow: a job named by its panel goes to
 * a service the gateway picks (UP first, never DOWN or in maintenance, only where the caller holds a
 * token) with the reason recorded; a finished job is resubmitted from the same uploads, to its service or
 * to another offering an equivalent panel, linked both ways; and every job keeps its inputs long enough.
 */
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as createJob } from '#functions/api/jobs/create-job';
import { handler as getJob } from '#functions/api/jobs/get-job';
import { handler as resubmitJob } from '#functions/api/jobs/resubmit-job';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { H3AFRICA_PANELS } from '#infra/local/simulator/fixtures';
import type { Caller } from '#shared/auth/caller';
import { dynamoDocumentClient, s3Client } from '#shared/aws/clients';
import { userItemKey } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { getService } from '#shared/catalog/service-catalog';
import { clearServiceOptionsCache } from '#shared/catalog/service-options';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { JobStatus } from '#shared/jobs/job-status';
import { RETENTION_TAG } from '#shared/uploads/input-retention';
import { uploadStore } from '#shared/uploads/upload-store';
import { invoke } from '#test/support/api-event';
import { catalogEntry, SECOND_1000G, setHealth, uploadThroughApi } from '#test/support/federation';
import { createJobBody } from '#test/support/job-fixtures';
import { useSettings } from '#test/support/settings';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

const DAY_MS = 86_400_000;
let h: WorkflowHarness;
let second: CloudgeneSimulator;
let topmed: CloudgeneSimulator;
let alice: Caller;
let bob: Caller;

beforeAll(async () => {
  h = await startWorkflowHarness();
  const timing = { queueMs: 50, runMs: 150, exportMs: 50 };
  second = await startCloudgeneSimulator({ timing, panels: [SECOND_1000G, ...H3AFRICA_PANELS] });
  topmed = await startCloudgeneSimulator({ timing, preset: 'topmed' });
  useSettings({
    SERVICE_CATALOG: [
      { ...catalogEntry('michigan', 'Michigan (simulated)', h.sim) },
      catalogEntry('second', 'Second (simulated)', second),
      catalogEntry('topmed', 'TOPMed (simulated)', topmed),
    ],
  });
  alice = await h.userWithToken('alice');
  bob = await h.userWithToken('bob');
  for (const [sim, serviceId] of [
    [second, 'second'],
    [topmed, 'topmed'],
  ] as const) {
    await saveServiceToken(alice, getService(serviceId), sim.addUser({ username: `alice-${serviceId}` }));
  }
});
afterAll(async () => {
  await second?.close();
  await topmed?.close();
  await h?.close();
});
beforeEach(async () => {
  h.sim.scenario = 'success';
  // The watcher's probes would overwrite the health set here; waiting for a job resumes it.
  await h.watcher.pause();
  await setHealth('michigan', 'UP', 5);
  await setHealth('second', 'UP', 5);
  await setHealth('topmed', 'UP', 5);
});

const uploadFor = (caller: Caller) => uploadThroughApi(h, caller);

/** A POST /jobs body by panel: the service and its panel id left out. */
function byPanel(uploadIds: string[], overrides: Record<string, unknown> = {}) {
  const { serviceId: _, refPanel: __, ...rest } = createJobBody({ name: 'by panel', uploadIds });
  return { ...rest, panel: '1000g-phase-3-v5', ...overrides };
}
const create = (caller: Caller, body: unknown, headers: Record<string, string> = {}) =>
  invoke(createJob, { method: 'POST', caller, body, headers });
const resubmit = (caller: Caller, jobId: string, body?: unknown, headers: Record<string, string> = {}) =>
  invoke(resubmitJob, { method: 'POST', caller, pathParameters: { jobId }, body, headers });
const read = async (caller: Caller, jobId: string) =>
  (await invoke(getJob, { caller, pathParameters: { jobId } })).body;

describe('POST /jobs by panel', () => {
  let upload: string;
  beforeAll(async () => {
    upload = await uploadFor(alice);
  });

  it('goes to a service that is UP rather than one DEGRADED, recording why; the job runs there', async () => {
    await setHealth('michigan', 'SLOW');
    const answer = await create(alice, byPanel([upload]));
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      serviceId: 'second',
      refPanel: SECOND_1000G.id,
      panelKey: '1000g-phase-3-v5',
      labels: { refPanel: SECOND_1000G.label },
      routing: { panel: '1000g-phase-3-v5', chosen: 'second' },
    });
    expect(answer.body.routing.reason).toMatch(
      /Second \(simulated\) offers "1000 Genomes Phase 3 \(Version 5\)" and is UP/,
    );
    expect(answer.body.routing.considered).toEqual([
      { serviceId: 'michigan', verdict: 'ELIGIBLE', detail: expect.stringContaining('DEGRADED') },
      { serviceId: 'second', verdict: 'CHOSEN', detail: expect.any(String) },
      { serviceId: 'topmed', verdict: 'PANEL_NOT_OFFERED', detail: expect.any(String) },
    ]);
    await h.sfn.waitForJob(answer.body.jobId);
    expect((await h.job(alice, answer.body.jobId)).status).toBe(JobStatus.SUCCEEDED);
    expect(second.submissionsOf('alice-second').at(-1)?.fields.refpanel).toBe(SECOND_1000G.id);
  });

  it('between services alike, takes the shorter queue, then catalog order', async () => {
    await setHealth('michigan', 'UP', 9);
    await setHealth('second', 'UP', 2);
    expect((await create(alice, byPanel([upload]))).body.serviceId).toBe('second');
    await setHealth('second', 'UP', 9);
    const tie = await create(alice, byPanel([upload]));
    expect(tie.body.serviceId).toBe('michigan');
    await Promise.all([h.sfn.waitForJob(tie.body.jobId)]);
  });

  it('never picks a service that is DOWN or in maintenance', async () => {
    await setHealth('second', 'DOWN');
    await setHealth('michigan', 'MAINTENANCE');
    const refused = await create(alice, byPanel([upload]));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NO_SERVICE_FOR_PANEL');
    expect(refused.body.error.details.considered.map((c: { verdict: string }) => c.verdict)).toEqual([
      'SERVICE_MAINTENANCE',
      'SERVICE_DOWN',
      'PANEL_NOT_OFFERED',
    ]);
    expect(refused.body.error.message).toMatch(/michigan: .*maintenance.*; second: .*down/);
    await setHealth('michigan', 'UP');
    expect((await create(alice, byPanel([upload]))).body.serviceId).toBe('michigan');
  });

  it('only considers services where the caller holds a token', async () => {
    const bobsUpload = await uploadFor(bob);
    await setHealth('michigan', 'DOWN');
    const refused = await create(bob, byPanel([bobsUpload]));
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.considered).toEqual([
      expect.objectContaining({ serviceId: 'michigan', verdict: 'SERVICE_DOWN' }),
      expect.objectContaining({ serviceId: 'second', verdict: 'SERVICE_TOKEN_MISSING' }),
      expect.objectContaining({ serviceId: 'topmed', verdict: 'SERVICE_TOKEN_MISSING' }),
    ]);
  });

  it('only considers services offering the population and build asked for', async () => {
    await setHealth('michigan', 'UP', 50);
    const amr = await create(alice, byPanel([upload], { population: 'amr' }));
    expect(amr.body.serviceId).toBe('michigan');
    expect(amr.body.routing.considered[1]).toMatchObject({
      serviceId: 'second',
      verdict: 'OPTIONS_NOT_OFFERED',
      detail: expect.stringContaining('population'),
    });
    await h.sfn.waitForJob(amr.body.jobId);
    const unknown = await create(alice, byPanel([upload], { panel: 'no-such-panel' }));
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('NO_SERVICE_FOR_PANEL');
  });

  it('takes a service panel id as the panel too, and refuses a panel with a service (400)', async () => {
    const byId = await create(alice, byPanel([upload], { panel: 'apps@1000g-phase-3-v5@2.0.0' }));
    expect(byId.body.routing.panel).toBe('1000g-phase-3-v5');
    await h.sfn.waitForJob(byId.body.jobId);
    const both = await create(alice, byPanel([upload], { serviceId: 'michigan', refPanel: 'apps@hapmap-2' }));
    expect(both.status).toBe(400);
    expect(both.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'refPanel',
      'serviceId',
    ]);
    const neither = await create(alice, byPanel([upload], { panel: undefined }));
    expect(neither.status).toBe(400);
    expect(neither.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'refPanel',
      'serviceId',
    ]);
  });

  it('answers the same job for a retried request with its Idempotency-Key, wherever health moved', async () => {
    const first = await create(alice, byPanel([upload]), { 'Idempotency-Key': 'panel-1' });
    await setHealth(first.body.serviceId, 'DOWN');
    const again = await create(alice, byPanel([upload]), { 'Idempotency-Key': 'panel-1' });
    expect(again.status).toBe(200);
    expect(again.body.jobId).toBe(first.body.jobId);
    await h.sfn.waitForJob(first.body.jobId);
  });
});

describe('POST /jobs/{jobId}/resubmit', () => {
  let upload: string;
  let failed: string;
  beforeAll(async () => {
    upload = await uploadFor(alice);
    h.sim.scenario = 'fail';
    failed = (await create(alice, createJobBody({ name: 'fails', uploadIds: [upload] }))).body.jobId;
    await h.waitForStatus(alice, failed, [JobStatus.FAILED]);
    h.sim.scenario = 'success';
  });

  it('creates a new job from the same uploads at the same service, linked both ways', async () => {
    const answer = await resubmit(alice, failed);
    expect(answer.status).toBe(202);
    expect(answer.headers.Location).toBe(`/jobs/${answer.body.jobId}`);
    expect(answer.body).toMatchObject({
      name: 'fails',
      serviceId: 'michigan',
      refPanel: 'apps@1000g-phase-3-v5@2.0.0',
      population: 'eur',
      inputs: [expect.objectContaining({ uploadId: upload })],
      resubmittedFrom: failed,
      resubmittedAs: [],
      routing: null,
    });
    expect((await read(alice, failed)).resubmittedAs).toEqual([answer.body.jobId]);
    await h.sfn.waitForJob(answer.body.jobId);
    expect((await h.job(alice, answer.body.jobId)).status).toBe(JobStatus.SUCCEEDED);
  });

  it("goes to another service with that service's own id of the equivalent panel", async () => {
    const answer = await resubmit(alice, failed, { serviceId: 'second', name: 'elsewhere' });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      name: 'elsewhere',
      serviceId: 'second',
      refPanel: SECOND_1000G.id,
      labels: { refPanel: SECOND_1000G.label, population: 'European' },
      resubmittedFrom: failed,
    });
    const old = await read(alice, failed);
    expect(old.resubmittedAs).toHaveLength(2);
    expect(old.resubmittedAs[1]).toBe(answer.body.jobId);
    await h.sfn.waitForJob(answer.body.jobId);
  });

  it('lets the gateway pick the service for the panel, or refuses a service without it', async () => {
    await setHealth('michigan', 'DOWN');
    const routed = await resubmit(alice, failed, { panel: '1000g-phase-3-v5' });
    expect(routed.status).toBe(202);
    expect(routed.body.routing).toMatchObject({ chosen: 'second' });
    await h.sfn.waitForJob(routed.body.jobId);
    const other = await resubmit(alice, failed, { panel: 'hapmap-2' });
    expect(other.status).toBe(400);
    const missing = await resubmit(alice, failed, { serviceId: 'topmed' });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatchObject({
      code: 'NO_SERVICE_FOR_PANEL',
      details: { considered: [{ serviceId: 'topmed', verdict: 'PANEL_NOT_OFFERED' }] },
    });
    const population = await resubmit(alice, failed, { serviceId: 'second', population: 'amr' });
    expect(population.status).toBe(400);
    expect(population.body.error.details[0].path).toBe('population');
  });

  it("answers 404 for another user's job, and 409 while the job is active", async () => {
    const foreign = await resubmit(bob, failed);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('JOB_NOT_FOUND');
    h.sim.scenario = 'manual';
    const active = (await create(alice, createJobBody({ name: 'active', uploadIds: [upload] }))).body.jobId;
    await h.waitForStatus(alice, active, [JobStatus.QUEUED_REMOTE]);
    const refused = await resubmit(alice, active);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('JOB_ACTIVE');
    expect((await read(alice, active)).resubmittedAs).toEqual([]);
  });

  it('answers the same new job for a retried request with its Idempotency-Key, linked once', async () => {
    const before = (await read(alice, failed)).resubmittedAs.length;
    const key = { 'Idempotency-Key': 'resubmit-1' };
    const first = await resubmit(alice, failed, { serviceId: 'second' }, key);
    const again = await resubmit(alice, failed, { serviceId: 'second' }, key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.jobId).toBe(first.body.jobId);
    expect((await read(alice, failed)).resubmittedAs).toHaveLength(before + 1);
    const different = await resubmit(alice, failed, {}, key);
    expect(different.status).toBe(409);
    expect(different.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const asCreate = await create(alice, createJobBody({ uploadIds: [upload] }), key);
    expect(asCreate.status).toBe(409);
    await h.sfn.waitForJob(first.body.jobId);
  });

  it('is refused (409 UPLOAD_EXPIRED) once an input is no longer kept', async () => {
    const gone = await uploadFor(alice);
    h.sim.scenario = 'fail';
    const job = (await create(alice, createJobBody({ uploadIds: [gone] }))).body.jobId;
    await h.waitForStatus(alice, job, [JobStatus.FAILED]);
    h.sim.scenario = 'success';
    // Its record gone, as the table's TTL removes it.
    await dynamoDocumentClient().send(
      new DeleteCommand({ TableName: tableEnv().TABLE_NAME, Key: userItemKey(alice.sub, `UPLOAD#${gone}`) }),
    );
    const answer = await resubmit(alice, job);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('UPLOAD_EXPIRED');
    expect(answer.body.error.message).toMatch(/no longer kept.*upload the file again/);
  });
});

describe("a job's inputs are kept while it may need them", () => {
  const tagOf = async (uploadId: string) => {
    const upload = (await uploadStore().get(alice.sub, uploadId))!;
    const tags = await s3Client().send(
      new GetObjectTaggingCommand({ Bucket: upload.bucket, Key: upload.key }),
    );
    return tags.TagSet?.find((tag) => tag.Key === RETENTION_TAG)?.Value;
  };
  /** Moves the upload's announcement back in time, as if it had been uploaded `days` ago. */
  const ageUpload = (uploadId: string, days: number) =>
    dynamoDocumentClient().send(
      new UpdateCommand({
        TableName: tableEnv().TABLE_NAME,
        Key: userItemKey(alice.sub, `UPLOAD#${uploadId}`),
        UpdateExpression: 'SET createdAt = :at',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - days * DAY_MS).toISOString() },
      }),
    );

  it('tags a confirmed upload with the first retention tier (INPUT_EXPIRY_DAYS)', async () => {
    const upload = await uploadFor(alice);
    expect(await tagOf(upload)).toBe('14');
    expect((await uploadStore().get(alice.sub, upload))!.retentionDays).toBeUndefined();
  });

  it('keeps the uploads of a new job for twice that from now (tag and record), and longer on resubmission', async () => {
    clearServiceOptionsCache();
    const upload = await uploadFor(alice);
    const created = (await uploadStore().get(alice.sub, upload))!;
    h.sim.scenario = 'fail';
    const job = (await create(alice, createJobBody({ uploadIds: [upload] }))).body.jobId;
    const held = (await uploadStore().get(alice.sub, upload))!;
    expect(held.retentionDays).toBe(28);
    // The lifecycle's day: 28 days after the upload, rounded up to midnight UTC.
    const midnight = Math.ceil((Date.parse(created.createdAt) + 28 * DAY_MS) / DAY_MS) * 86_400;
    expect(held.expiresAt).toBe(midnight);
    expect(await tagOf(upload)).toBe('28');
    const view = await invoke(getUpload, { caller: alice, pathParameters: { uploadId: upload } });
    expect(Date.parse(view.body.expiresAt)).toBeGreaterThan(Date.now() + 27 * DAY_MS);
    await h.waitForStatus(alice, job, [JobStatus.FAILED]);
    h.sim.scenario = 'success';

    // Twenty days on (the job waited out an outage), the resubmission holds them for 28 more days.
    await ageUpload(upload, 20);
    const again = await resubmit(alice, job);
    expect(again.status).toBe(202);
    expect((await uploadStore().get(alice.sub, upload))!.retentionDays).toBe(56);
    expect(await tagOf(upload)).toBe('56');
    await h.sfn.waitForJob(again.body.jobId);

    // Never shorter: a hold that needs less leaves the longer tier (and its tag) as they are.
    await ageUpload(upload, 0);
    const third = await resubmit(alice, job);
    expect((await uploadStore().get(alice.sub, upload))!.retentionDays).toBe(56);
    expect(await tagOf(upload)).toBe('56');
    await h.sfn.waitForJob(third.body.jobId);
  });

  it('refuses (409 UPLOAD_EXPIRED) an upload too old to be kept for another job', async () => {
    const upload = await uploadFor(alice);
    await ageUpload(upload, 215);
    const answer = await create(alice, createJobBody({ uploadIds: [upload] }));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('UPLOAD_EXPIRED');
    expect(answer.body.error.message).toMatch(/at most 224 days after upload/);
  });
});
