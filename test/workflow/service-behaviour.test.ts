/**
 * The workflow against a service that behaves like the real ones at their worst: listed result files
 * that cannot be downloaded, admin-only logs, a download cap of 1, a copy task retried after it copied,
 * a per-user limit checked only after the upload, a token revoked mid-job, and a cancel racing a
 * submission. Real ASL, real handlers, emulators and the simulator, as in imputation-job.test.ts.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as realCopy } from '#functions/workflow/copy-result';
import { lambdaContext } from '#infra/local/lambda-context';
import { DEFAULT_RESULT_FILES, type ResultFileSpec } from '#infra/local/simulator/cloudgene-simulator';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv, userPartition } from '#shared/aws/table';
import { getService } from '#shared/catalog/service-catalog';
import { toServiceView } from '#shared/catalog/service-view';
import { credentialStore } from '#shared/credentials/credential-store';
import { listServiceCredentials } from '#shared/credentials/service-credentials';
import { JobStatus } from '#shared/jobs/job-status';
import { cancelJob, createJob, deleteJob, jobResults } from '#shared/jobs/jobs';
import { TransientError } from '#shared/workflow/task-errors';
import { createJobRequest } from '#test/support/job-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

/** How the copy task misbehaves for the file names listed: after its real work, once per file. */
const copyFaults = new Map<string, 'fail-after-copy' | 'crash-before-record'>();
const faultedOnce = new Set<string>();

let h: WorkflowHarness;

beforeAll(async () => {
  h = await startWorkflowHarness({
    handlers: {
      async copyResult(event) {
        const input = event as { jobId: string; owner: string; file: { name: string; index: number } };
        const result = await realCopy(event, lambdaContext('copyResult', 900_000));
        const fault = copyFaults.get(input.file.name);
        const once = `${input.jobId}/${input.file.name}`;
        if (!fault || faultedOnce.has(once)) return result;
        faultedOnce.add(once);
        if (fault === 'crash-before-record') {
          // The object is in our bucket but the task died before recording it on the job.
          await dynamoDocumentClient().send(
            new UpdateCommand({
              TableName: tableEnv().TABLE_NAME,
              Key: { PK: userPartition(input.owner), SK: `JOB#${input.jobId}` },
              UpdateExpression: 'REMOVE copyOutcomes.#index',
              ExpressionAttributeNames: { '#index': String(input.file.index) },
            }),
          );
        }
        throw new TransientError('the task died after copying (injected)');
      },
    },
  });
});
afterAll(() => h?.close());
afterEach(() => {
  h.sim.scenario = 'success';
  h.sim.clearFaults();
  copyFaults.clear();
});

/** Runs `body` with the simulator's result files (and download cap) changed, restoring them after. */
async function withResults<T>(files: ResultFileSpec[], cap: number | undefined, body: () => Promise<T>) {
  const saved = { files: h.sim.resultFiles, cap: h.sim.maxDownloadsPerFile };
  h.sim.resultFiles = files;
  if (cap !== undefined) h.sim.maxDownloadsPerFile = cap;
  try {
    return await body();
  } finally {
    h.sim.resultFiles = saved.files;
    h.sim.maxDownloadsPerFile = saved.cap;
  }
}

const withFile = (name: string, change: Partial<ResultFileSpec>) =>
  DEFAULT_RESULT_FILES.map((file) => (file.name === name ? { ...file, ...change } : file));

async function downloadSha256(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

describe('result files the service lists but will not serve', () => {
  it('succeeds with a warning naming a file that 404s, and every other file is downloadable', async () => {
    const alice = await h.userWithToken('alice');
    const files = withFile('qc_report.txt', { unavailable: 'File not found in workspace.' });
    const jobId = await withResults(files, undefined, async () => {
      const id = await h.createJob(alice);
      await h.sfn.waitForJob(id);
      return id;
    });
    const job = await h.job(alice, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.warnings).toEqual([
      {
        code: 'RESULT_FILES_MISSING',
        message: expect.stringMatching(
          /1 of 4 result files could not be copied: qc_report\.txt \(File not found in workspace\.\)/,
        ),
      },
    ]);
    const results = await jobResults(alice, jobId);
    expect(results.missing).toEqual([
      {
        name: 'qc_report.txt',
        outcome: 'MISSING',
        code: 'FILE_NOT_IN_WORKSPACE',
        reason: 'File not found in workspace.',
      },
    ]);
    const remote = h.sim.job(job.externalJobId!);
    expect(results.files.map((f) => f.name).sort()).toEqual(
      ['chr_20.zip', 'quality-control.html', 'statistics/lift-over.txt'].sort(),
    );
    for (const file of results.files) {
      expect(await downloadSha256(file.url)).toBe(h.sim.expectedResult(remote.id, file.name).sha256);
      expect(file).toMatchObject({ outcome: 'COPIED', sha256: file.sha256, size: expect.any(Number) });
    }
  });

  it('never copies the service log parameter an admin account sees, and spends no download on it', async () => {
    const root = await h.userWithToken('root');
    h.sim.addUser({
      username: root.serviceUser,
      admin: true,
      token: h.sim.users.get(root.serviceUser)!.token,
    });
    const jobId = await h.createJob(root);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(root, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.warnings).toEqual([]);
    expect(job.results?.map((r) => r.name)).not.toContain('job.txt');
    expect(job.events.find((e) => e.to === JobStatus.COPYING_RESULTS)?.detail).toMatch(
      /4 result file\(s\) to copy; 1 service log or non-downloadable file\(s\) skipped/,
    );
    const log = h.sim.job(job.externalJobId!).results.find((r) => r.name === 'job.txt')!;
    expect(log.downloads).toBe(0);
  });

  it('fails with RESULTS_UNAVAILABLE when no imputed result can be copied, and still lists what was copied', async () => {
    const bob = await h.userWithToken('bob');
    const files = withFile('chr_20.zip', { unavailable: 'download not found.' });
    const jobId = await withResults(files, undefined, async () => {
      const id = await h.createJob(bob);
      await h.sfn.waitForJob(id);
      return id;
    });
    const job = await h.job(bob, jobId);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error?.code).toBe('RESULTS_UNAVAILABLE');
    expect(job.error?.message).toMatch(
      /none of the imputed results could be downloaded: chr_20\.zip \(download not found\.\)/,
    );
    const results = await jobResults(bob, jobId);
    expect(results.status).toBe(JobStatus.FAILED);
    expect(results.files.map((f) => f.name)).toContain('qc_report.txt');
    expect(results.missing.map((f) => f.code)).toEqual(['DOWNLOAD_NOT_FOUND']);
    // Deleting the failed job removes what was copied: nothing stays orphaned in the bucket.
    await deleteJob(bob, jobId);
    const listed = await new S3Client({}).send(new ListObjectsV2Command({ Bucket: 'results-test' }));
    expect((listed.Contents ?? []).filter((object) => object.Key?.includes(jobId))).toEqual([]);
  });

  it('with a download cap of 1 and one missing file, copies every other file exactly once', async () => {
    const carol = await h.userWithToken('carol');
    const files = withFile('statistics/lift-over.txt', { unavailable: 'download not found.' });
    const jobId = await withResults(files, 1, async () => {
      const id = await h.createJob(carol);
      await h.sfn.waitForJob(id);
      return id;
    });
    const job = await h.job(carol, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.warnings?.[0]?.message).toMatch(/statistics\/lift-over\.txt \(download not found\.\)/);
    const remote = h.sim.job(job.externalJobId!);
    for (const file of remote.results.filter((r) => r.param !== 'cloudgene_logs' && !r.unavailable)) {
      expect(file.downloads).toBe(1);
    }
    expect((await jobResults(carol, jobId)).files).toHaveLength(3);
  });
});

describe('a retried copy never spends a download twice', () => {
  it.each([
    ['after it recorded the copy', 'fail-after-copy' as const],
    ['after the upload, before the record', 'crash-before-record' as const],
  ])('reuses the file in our bucket when the task dies %s (download cap 1)', async (_, fault) => {
    const dave = await h.userWithToken(`dave-${fault}`);
    copyFaults.set('chr_20.zip', fault);
    try {
      const jobId = await withResults(DEFAULT_RESULT_FILES, 1, async () => {
        const id = await h.createJob(dave);
        await h.sfn.waitForJob(id);
        return id;
      });
      const job = await h.job(dave, jobId);
      expect(job.status).toBe(JobStatus.SUCCEEDED);
      expect(job.warnings).toEqual([]);
      const remote = h.sim.job(job.externalJobId!);
      expect(remote.results.find((r) => r.name === 'chr_20.zip')?.downloads).toBe(1);
      expect(faultedOnce.has(`${jobId}/chr_20.zip`)).toBe(true);
      const zip = job.results!.find((r) => r.name === 'chr_20.zip')!;
      expect(zip.sha256).toBe(h.sim.expectedResult(remote.id, 'chr_20.zip').sha256);
    } finally {
      copyFaults.clear();
    }
  });
});

describe('the per-user limit, checked by the service only after an upload', () => {
  it('waits without uploading while jobs started elsewhere hold every slot', async () => {
    const erin = await h.userWithToken('erin');
    h.sim.setOtherActiveJobs(erin.serviceUser, 2);
    const before = h.sim.requests.length;
    try {
      const jobId = await h.createJob(erin);
      await h.waitForStatus(erin, jobId, [JobStatus.WAITING_FOR_SLOT]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const uploads = h.sim.requests.slice(before).filter((r) => r.path.startsWith('/api/v2/jobs/submit/'));
      expect(uploads).toHaveLength(0);
      h.sim.setOtherActiveJobs(erin.serviceUser, 0);
      await h.sfn.waitForJob(jobId);
      expect((await h.job(erin, jobId)).status).toBe(JobStatus.SUCCEEDED);
    } finally {
      h.sim.setOtherActiveJobs(erin.serviceUser, 0);
    }
  });

  it('refuses one upload in all under a limit of 1 with 3 jobs: it teaches the limit to every job', async () => {
    const frank = await h.userWithToken('frank');
    const saved = h.sim.concurrencyLimit;
    h.sim.concurrencyLimit = 1;
    const before = h.sim.requests.length;
    try {
      const ids = await Promise.all([h.createJob(frank), h.createJob(frank), h.createJob(frank)]);
      for (const id of ids) await h.sfn.waitForJob(id);
      for (const id of ids) expect((await h.job(frank, id)).status).toBe(JobStatus.SUCCEEDED);
      const submits = h.sim.requests.slice(before).filter((r) => r.path.startsWith('/api/v2/jobs/submit/'));
      const refused = submits.filter((r) => r.status === 400).length;
      expect(submits.filter((r) => r.status === 200)).toHaveLength(3);
      expect(refused / ids.length).toBeLessThanOrEqual(1);
      // The one refusal that teaches the limit (the catalog says 2); our jobs never race each other.
      expect(refused).toBeLessThanOrEqual(1);
      if (process.env.PRINT_FIGURES) {
        console.log(`refused ${refused} of ${submits.length} submissions for ${ids.length} jobs`);
      }
    } finally {
      h.sim.concurrencyLimit = saved;
    }
  });
});

describe('a token revoked at the service', () => {
  it('keeps the job (waiting out the refused token) and marks the stored credential rejected at once, for services, credentials and new jobs', async () => {
    const gina = await h.userWithToken('gina');
    h.sim.scenario = 'manual';
    let jobId: string;
    try {
      jobId = await h.createJob(gina);
      await h.waitForStatus(gina, jobId, [JobStatus.QUEUED_REMOTE]);
    } finally {
      h.sim.scenario = 'success';
    }
    h.sim.revokeToken(gina.serviceUser);
    const deadline = Date.now() + 10_000;
    while ((await h.job(gina, jobId)).remoteTrouble?.kind !== 'TOKEN') {
      if (Date.now() > deadline) throw new Error('the refused token was not recorded on the job');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await h.job(gina, jobId)).status).toBe(JobStatus.QUEUED_REMOTE);

    const [credential] = await listServiceCredentials(gina);
    expect(credential).toMatchObject({
      serviceId: 'michigan',
      status: 'rejected',
      rejectedAt: expect.any(String),
    });
    const stored = await credentialStore().get(gina.sub, 'michigan');
    expect(toServiceView(getService('michigan'), stored).credential.status).toBe('rejected');
    await expect(
      createJob(
        gina,
        createJobRequest({
          name: 'after revocation',
          refPanel: 'apps@1000g-phase-3-v5',
          uploadIds: [(await h.job(gina, jobId)).inputs[0]!.uploadId],
        }),
      ),
    ).rejects.toMatchObject({ code: 'SERVICE_TOKEN_REJECTED' });
  });
});

describe('a cancel racing a submission', () => {
  it.each([
    ['the service accepts the upload', undefined],
    ['the service accepts it but the answer is lost', 'reset-after' as const],
  ])('leaves nothing running at the service when %s', async (_, status) => {
    const hank = await h.userWithToken(`hank-${status ?? 'ok'}`);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', gate, status });
    // The service keeps the job queued until told otherwise: on a loaded machine the task's retry after a
    // lost answer could otherwise come after the service finished the job, and a cancel then is too late.
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(hank);
    // The upload is at the service, which holds it: the submission's outcome is not known yet.
    const deadline = Date.now() + 20_000;
    while (h.sim.held === 0 || !(await h.job(hank, jobId)).submissionAttemptAt) {
      if (Date.now() > deadline) throw new Error('the submission never reached the service');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const canceled = await cancelJob(hank, jobId);
    expect(canceled.status).toBe(JobStatus.CANCEL_REQUESTED);
    release();
    await h.sfn.waitForJob(jobId);
    const job = await h.job(hank, jobId);
    expect(job.status).toBe(JobStatus.CANCELED);
    const remote = h.sim.submissionsOf(hank.serviceUser);
    expect(remote).toHaveLength(1);
    expect(job.externalJobId).toBe(remote[0]!.id);
    expect(h.sim.stateOf(remote[0]!)).toBe(6);
  });

  it('cancels at once a job waiting for a slot, even while the watcher is looking at the slots for it', async () => {
    const ivan = await h.userWithToken('ivan');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.sim.setOtherActiveJobs(ivan.serviceUser, 2);
    try {
      const jobId = await h.createJob(ivan);
      await h.waitForStatus(ivan, jobId, [JobStatus.WAITING_FOR_SLOT]);
      // No execution waits for the slot: the job's own ended when it recorded the wait.
      expect(
        h.sfn.executions.get(`${h.sfn.stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`)
          ?.status,
      ).toBe('SUCCEEDED');
      // Hold the watcher's next look at the owner's slots, and free them meanwhile: the cancel lands
      // while the watcher is about to start a submission.
      h.sim.failNext({ method: 'GET', path: '/api/v2/jobs', gate });
      const deadline = Date.now() + 20_000;
      while (h.sim.held === 0) {
        if (Date.now() > deadline) throw new Error('the slot check never reached the service');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      h.sim.setOtherActiveJobs(ivan.serviceUser, 0);
      const canceled = await cancelJob(ivan, jobId);
      expect(canceled.status).toBe(JobStatus.CANCELED);
      release();
      await h.watcher.runNow();
      await h.watcher.runNow();
      const job = await h.job(ivan, jobId);
      expect(job.status).toBe(JobStatus.CANCELED);
      expect(job.watch).toBeUndefined();
      expect([...h.sfn.executions.values()].filter((e) => e.name.startsWith(`${jobId}-submit`))).toHaveLength(
        0,
      );
      expect(h.sim.submissionsOf(ivan.serviceUser)).toHaveLength(0);
    } finally {
      release();
      h.sim.setOtherActiveJobs(ivan.serviceUser, 0);
    }
  });
});
