import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import aslValidator from 'asl-validator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { JobStatus } from '#shared/jobs/job-status';
import { toJobView } from '#shared/jobs/job-view';
import { cancelJob } from '#shared/jobs/jobs';
import { uploadStore } from '#shared/uploads/upload-store';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;

beforeAll(async () => {
  h = await startWorkflowHarness();
});
afterAll(() => h?.close());
// A failing test must not leave its simulator switch on for the next one.
afterEach(() => {
  h.sim.scenario = 'success';
  h.sim.maxDownloadsPerFile = 10;
  h.sim.clearFaults();
});

const submissionsOf = (serviceUser: string) => h.sim.jobs.filter((j) => j.user === serviceUser);

describe('the imputation workflow (real ASL, real handlers, emulators, simulator)', () => {
  it('copies every result file — one in a sub-folder, one behind a redirect — and succeeds', async () => {
    const alice = await h.userWithToken('alice');
    const jobId = await h.createJob(alice);
    const execution = await h.sfn.waitForJob(jobId);
    expect(execution.status).toBe('SUCCEEDED');
    const job = await h.job(alice, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const remote = h.sim.job(job.externalJobId!);
    // Everything a user needs; never the service's own logs (cloudgene_logs).
    const wanted = remote.results.filter((r) => r.param !== 'cloudgene_logs');
    expect(job.results?.map((r) => r.name).sort()).toEqual(wanted.map((r) => r.name).sort());
    expect(job.warnings).toEqual([]);
    const s3 = new S3Client({});
    for (const spec of wanted) {
      const copied = job.results!.find((r) => r.name === spec.name)!;
      expect(copied.size).toBe(spec.size);
      expect(copied.sha256).toBe(h.sim.expectedResult(remote.id, spec.name).sha256);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'results-test', Key: copied.key }));
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(copied.sha256);
    }
    expect(job.results!.some((r) => r.name === 'statistics/snps-excluded.txt')).toBe(true);
    expect(remote.fields.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(JSON.stringify(job)).not.toContain(remote.fields.password);
    expect(job.events.map((e) => e.to)).toEqual(
      expect.arrayContaining([
        JobStatus.VALIDATING,
        JobStatus.SUBMITTING,
        JobStatus.QUEUED_REMOTE,
        JobStatus.COPYING_RESULTS,
        JobStatus.SUCCEEDED,
      ]),
    );
    // Tokens and passwords stay out of the execution's state.
    expect(JSON.stringify(execution.input) + JSON.stringify(execution.output)).not.toContain(
      remote.fields.password,
    );
  });

  it("records a failure at the service as FAILED with the service's own message", async () => {
    const bob = await h.userWithToken('bob');
    h.sim.scenario = 'fail';
    const jobId = await h.createJob(bob);
    await h.sfn.waitForJob(jobId);
    h.sim.scenario = 'success';
    const job = await h.job(bob, jobId);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error).toEqual({
      code: 'SERVICE_JOB_FAILED',
      message: expect.stringMatching(/No chunks passed the QC step/),
    });
    // What the service wrote before failing is kept for the owner: its QC report, never a result zip.
    expect(job.results?.map((file) => file.name)).toContain('qc_report.txt');
    expect(job.results?.some((file) => file.name.endsWith('.zip'))).toBe(false);
    expect((await h.sfn.waitForJob(jobId)).status).toBe('SUCCEEDED');
  });

  it('waits out a token revoked mid-job (serviceTrouble TOKEN), and goes on once the owner stores a new one', async () => {
    const carol = await h.userWithToken('carol');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(carol);
    await h.waitForStatus(carol, jobId, [JobStatus.QUEUED_REMOTE]);
    h.sim.scenario = 'success';
    h.sim.revokeToken(carol.serviceUser);
    const deadline = Date.now() + 10_000;
    let job = await h.job(carol, jobId);
    while (job.remoteTrouble?.kind !== 'TOKEN' || job.remoteTrouble.count < 3) {
      if (Date.now() > deadline) throw new Error(`no token trouble: ${JSON.stringify(job.remoteTrouble)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await h.job(carol, jobId);
    }
    // Not failed, not ended: the job keeps its state and its place at the service.
    expect(job.status).toBe(JobStatus.QUEUED_REMOTE);
    expect(job.remoteTrouble.detail).toMatch(/token/i);
    expect(toJobView(job).serviceTrouble?.kind).toBe('TOKEN');
    await saveServiceToken(carol, getService('michigan'), h.sim.addUser({ username: carol.serviceUser }));
    h.sim.setJobState(job.externalJobId!, 4);
    await h.sfn.waitForJob(jobId, 10_000);
    job = await h.job(carol, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.remoteTrouble).toBeUndefined();
  });

  it('waits for a free slot (WAITING_FOR_SLOT) when the per-user limit is reached, then succeeds', async () => {
    const dave = await h.userWithToken('dave');
    const before = h.sim.requests.length;
    h.sim.scenario = 'manual';
    const first = await h.createJob(dave);
    const second = await h.createJob(dave);
    await h.waitForStatus(dave, first, [JobStatus.QUEUED_REMOTE]);
    await h.waitForStatus(dave, second, [JobStatus.QUEUED_REMOTE]);
    h.sim.scenario = 'success';
    const third = await h.createJob(dave);
    await h.waitForStatus(dave, third, [JobStatus.WAITING_FOR_SLOT]);
    for (const id of [first, second]) h.sim.setJobState((await h.job(dave, id)).externalJobId!, 4);
    await h.sfn.waitForJob(third);
    const job = await h.job(dave, third);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.events.map((e) => e.to)).toContain(JobStatus.WAITING_FOR_SLOT);
    // The service's limit is known before uploading: the third job waits without sending its input.
    expect(job.events.find((e) => e.to === JobStatus.WAITING_FOR_SLOT)?.detail).toMatch(
      /2 of your jobs are running at .* \(at most 2 at a time\)/,
    );
    const refused = h.sim.requests
      .slice(before)
      .filter((r) => r.path.startsWith('/api/v2/jobs/submit/') && r.status === 400);
    expect(refused).toHaveLength(0);
  });

  it('rides out 500s and a dropped connection while polling', async () => {
    const erin = await h.userWithToken('erin');
    h.sim.failNext({ method: 'GET', path: /^\/api\/v2\/jobs\/job-/, status: 500, times: 3 });
    h.sim.failNext({ method: 'GET', path: /^\/api\/v2\/jobs\/job-/, status: 'reset', times: 1 });
    h.sim.failNext({ method: 'GET', path: /^\/api\/v2\/jobs\/job-/, status: 503, times: 1 });
    const jobId = await h.createJob(erin);
    await h.sfn.waitForJob(jobId);
    expect((await h.job(erin, jobId)).status).toBe(JobStatus.SUCCEEDED);
    expect(h.sim.requests.filter((r) => r.status === 500 || r.status === 0).length).toBeGreaterThanOrEqual(4);
  });

  it('cancels a job queued at the service: CANCEL_REQUESTED, then CANCELED once the service confirms', async () => {
    const frank = await h.userWithToken('frank');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(frank);
    await h.waitForStatus(frank, jobId, [JobStatus.QUEUED_REMOTE]);
    h.sim.scenario = 'success';
    const requested = await cancelJob(frank, jobId);
    expect([JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED]).toContain(requested.status);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(frank, jobId);
    expect(job.status).toBe(JobStatus.CANCELED);
    expect(h.sim.job(job.externalJobId!).override).toBe(6);
  });

  it.each([
    [
      'a file that is not gzip',
      { raw: Buffer.from('##fileformat=VCFv4.2\n#CHROM\tPOS\n') },
      /an uncompressed VCF with a \.vcf\.gz name/,
    ],
    ['5 samples', { vcf: { samples: 5 } }, /5 samples; the service needs at least 20 in each file/],
    [
      'GRCh38 data (chr20 of GRCh38’s length) in a GRCh37/hg19 job',
      { vcf: { samples: 30, chromosome: 'chr20', contigLength: 64_444_167 }, build: 'hg19' as const },
      /The file looks like GRCh38\/hg38 data: its ##contig line gives chr20 64,444,167 bp/,
    ],
  ])(
    'refuses %s at creation from its upload’s check, and the service never sees it',
    async (_, input, message) => {
      const gina = await h.userWithToken('gina');
      const before = submissionsOf(gina.serviceUser).length;
      const refused = await h.createJob(gina, input).then(
        (jobId) => new Error(`job ${jobId} was accepted`),
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(message) });
      expect(submissionsOf(gina.serviceUser).length).toBe(before);
    },
  );

  it('fails in VALIDATING, from the recorded check, a job created while its upload was being checked', async () => {
    const ivan = await h.userWithToken('ivan');
    h.uploadChecks = 'skipped';
    const jobId = await h.createJob(ivan, { vcf: { samples: 5 } }).finally(() => {
      h.uploadChecks = 'awaited';
    });
    await h.sfn.waitForJob(jobId);
    const job = await h.job(ivan, jobId);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/5 samples/) });
    // The job read the file itself and recorded the outcome on the upload for the next job.
    const uploadId = job.inputs[0]!.uploadId;
    expect((await uploadStore().get(ivan.sub, uploadId))?.check?.status).toBe('VALID');
  });

  it('fails with DOWNLOADS_EXHAUSTED when the service allows no more downloads', async () => {
    const hank = await h.userWithToken('hank');
    h.sim.maxDownloadsPerFile = 0;
    const jobId = await h.createJob(hank);
    await h.sfn.waitForJob(jobId);
    h.sim.maxDownloadsPerFile = 10;
    const job = await h.job(hank, jobId);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error?.code).toBe('DOWNLOADS_EXHAUSTED');
    expect(job.error?.message).toMatch(/no more downloads/);
  });

  it('submits exactly once when the submit task is retried after the service accepted the job', async () => {
    const ivan = await h.userWithToken('ivan');
    h.sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', status: 'reset-after', times: 1 });
    const jobId = await h.createJob(ivan);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(ivan, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(h.sim.requests.some((r) => r.method === 'DROPPED')).toBe(true);
    expect(submissionsOf(ivan.serviceUser)).toHaveLength(1);
    expect(job.externalJobId).toBe(submissionsOf(ivan.serviceUser)[0]?.id);
  });

  it("runs no execution while a long job is polled: the job's own, then one collect, each a few events", async () => {
    const june = await h.userWithToken('june');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(june);
    await h.waitForStatus(june, jobId, [JobStatus.QUEUED_REMOTE]);
    const deadline = Date.now() + 20_000;
    while (((await h.job(june, jobId)).watch?.count ?? 0) < 30) {
      if (Date.now() > deadline) throw new Error('the watcher did not poll 30 times');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const runs = () =>
      [...h.sfn.executions.values()].filter((e) => e.name === jobId || e.name.startsWith(`${jobId}-`));
    // 30 polls later, the job's own execution ended long ago and none other was started.
    expect(runs().map((e) => [e.name, e.status])).toEqual([[jobId, 'SUCCEEDED']]);
    h.sim.scenario = 'success';
    h.sim.setJobState((await h.job(june, jobId)).externalJobId!, 4);
    await h.sfn.waitForJob(jobId);
    expect((await h.job(june, jobId)).status).toBe(JobStatus.SUCCEEDED);
    expect(
      runs()
        .map((e) => e.name)
        .sort(),
    ).toEqual([jobId, `${jobId}-collect-1`]);
    expect(Math.max(...runs().map((e) => e.eventCount))).toBeLessThan(100);
    const job = await h.job(june, jobId);
    expect(job.watch).toBeUndefined();
    expect(job.executionArn).toBe(runs().find((e) => e.name.endsWith('-collect-1'))?.executionArn);
  });
});

describe('the state machine definition', () => {
  it('passes asl-validator', async () => {
    const definition = JSON.parse(
      readFileSync('statemachines/imputation-job.asl.json', 'utf8').replaceAll(
        /\$\{(\w+)\}/g,
        'arn:aws:lambda:us-east-1:123456789012:function:$1',
      ),
    );
    const result = aslValidator(definition);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });
});
