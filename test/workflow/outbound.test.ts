/**
 * What a service can make the workflow do by its answers, and what it cannot: a redirect of a status
 * call is a bad answer ridden out (the token goes nowhere), a download's redirect is followed by hand
 * to public https addresses only (here: loopback, as in the local stack), and the number and size of
 * result files are capped. Each refusal is said on the job; none loses it.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ResultFileSpec, SEEDED_RESULT_FILES } from '#infra/local/simulator/cloudgene-simulator';
import { JobStatus } from '#shared/jobs/job-status';
import { jobResults } from '#shared/jobs/jobs';
import { type CaptureServer, startCaptureServer } from '#test/support/capture-server';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

const MAX_RESULT_FILES = 5;
const MAX_RESULT_FILE_BYTES = 300_000;

let h: WorkflowHarness;
let capture: CaptureServer;

beforeAll(async () => {
  h = await startWorkflowHarness({ settings: { MAX_RESULT_FILES, MAX_RESULT_FILE_BYTES } });
  capture = await startCaptureServer({ body: 'bytes from elsewhere' });
});
afterAll(async () => {
  await capture?.close();
  await h?.close();
});
afterEach(() => {
  h.sim.clearFaults();
  h.sim.resultFiles = undefined;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A job run to its end with the simulator listing `files`. */
async function jobWith(name: string, files: ResultFileSpec[]) {
  const caller = await h.userWithToken(name);
  h.sim.resultFiles = files;
  const jobId = await h.createJob(caller);
  await h.sfn.waitForJob(jobId);
  return { caller, jobId, job: await h.job(caller, jobId) };
}

describe('a service that redirects', () => {
  it('a status call: ridden out as trouble, never followed with the token, and the job goes on', async () => {
    const dave = await h.userWithToken('dave');
    h.sim.failNext({
      method: 'GET',
      path: /^\/api\/v2\/jobs\/[^/]+$/,
      redirectTo: `${capture.url}/steal`,
      times: 1000,
    });
    const jobId = await h.createJob(dave);
    const trouble = await until('the redirects to be ridden out', async () => {
      const job = await h.job(dave, jobId);
      return job.remoteTrouble && job.remoteTrouble.count >= 2 ? job.remoteTrouble : undefined;
    });
    expect(trouble).toMatchObject({
      kind: 'UNWELL',
      detail: `The service answered 302, a redirect to ${capture.url}/steal, which is not followed`,
    });
    expect((await h.job(dave, jobId)).status).not.toBe(JobStatus.FAILED);
    h.sim.clearFaults();
    await h.sfn.waitForJob(jobId);
    const job = await h.job(dave, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.remoteTrouble).toBeUndefined();
    expect(capture.requests.filter((r) => r.url === '/steal')).toEqual([]);
    expect(h.sim.requests.some((r) => r.status === 302 && r.path.startsWith('/api/v2/jobs/'))).toBe(true);
  });

  it('a download to another origin: followed without the token, the bytes copied from there', async () => {
    const before = capture.requests.length;
    h.sim.failNext({
      path: /\/lift-over\.txt$/,
      redirectTo: `${capture.url}/bucket/lift-over.txt?X-Amz-Signature=abc`,
    });
    const { caller, jobId, job } = await jobWith('erin', SEEDED_RESULT_FILES);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const copied = (await jobResults(caller, jobId)).files.find((f) => f.name === 'statistics/lift-over.txt');
    expect(copied?.sha256).toBe(sha256('bytes from elsewhere'));
    const there = capture.requests.slice(before);
    expect(there.map((r) => r.url)).toEqual(['/bucket/lift-over.txt?X-Amz-Signature=abc']);
    expect(there[0]!.headers['x-auth-token']).toBeUndefined();
    expect(Object.keys(there[0]!.headers).filter((name) => name.startsWith('x-amzn'))).toEqual([]);
  });

  it('a download to the metadata endpoint: refused, the file said missing with why, the job kept', async () => {
    h.sim.failNext({
      path: /\/qc_report\.txt$/,
      redirectTo: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      times: 5,
    });
    const { caller, jobId, job } = await jobWith('frank', SEEDED_RESULT_FILES);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const missing = (await jobResults(caller, jobId)).missing;
    expect(missing).toEqual([
      {
        name: 'qc_report.txt',
        outcome: 'MISSING',
        code: 'DOWNLOAD_REDIRECT_REFUSED',
        reason:
          'The download of qc_report.txt was redirected to http://169.254.169.254/latest/meta-data/iam/security-credentials/, not followed: 169.254.169.254 is not a public address',
      },
    ]);
    expect(job.warnings?.[0]?.message).toContain(
      'qc_report.txt (The download of qc_report.txt was redirected',
    );
  });
});

describe('result files are capped', () => {
  it(`a job listing more than MAX_RESULT_FILES (${MAX_RESULT_FILES}) fails saying so, nothing copied`, async () => {
    const many = [
      ...SEEDED_RESULT_FILES,
      ...[1, 2, 3].map((n) => ({ name: `statistics/extra-${n}.txt`, size: 100 })),
    ];
    const { job } = await jobWith('gus', many);
    expect(job.status).toBe(JobStatus.FAILED);
    expect(job.error).toEqual({
      code: 'TOO_MANY_RESULT_FILES',
      message: `The service listed 7 result files, more than the ${MAX_RESULT_FILES} this gateway copies (MAX_RESULT_FILES); none was copied: download them from the job's page at the service before it deletes them`,
    });
    expect(job.remoteFiles).toBeUndefined();
  });

  it('a file announced larger than MAX_RESULT_FILE_BYTES is not read, and said missing', async () => {
    const files = [...SEEDED_RESULT_FILES, { name: 'statistics/big.txt', size: MAX_RESULT_FILE_BYTES + 1 }];
    const { caller, jobId, job } = await jobWith('hal', files);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const missing = (await jobResults(caller, jobId)).missing;
    expect(missing).toEqual([
      expect.objectContaining({
        name: 'statistics/big.txt',
        code: 'RESULT_TOO_LARGE',
        reason:
          'statistics/big.txt is 300,001 bytes (293 KiB), more than the 300,000 bytes (293 KiB) this gateway copies (MAX_RESULT_FILE_BYTES); it was not copied and stays at the service',
      }),
    ]);
  });

  it('a body that runs past MAX_RESULT_FILE_BYTES unannounced is cut off and said missing', async () => {
    const endless = await startCaptureServer({
      body: Buffer.alloc(MAX_RESULT_FILE_BYTES + 50_000, 7),
      chunked: true,
    });
    try {
      h.sim.failNext({ path: /\/lift-over\.txt$/, redirectTo: `${endless.url}/big`, times: 5 });
      const { caller, jobId, job } = await jobWith('ida', SEEDED_RESULT_FILES);
      expect(job.status).toBe(JobStatus.SUCCEEDED);
      expect((await jobResults(caller, jobId)).missing).toEqual([
        expect.objectContaining({
          name: 'statistics/lift-over.txt',
          code: 'RESULT_TOO_LARGE',
          reason:
            'statistics/lift-over.txt runs past the 300,000 bytes (293 KiB) this gateway copies (MAX_RESULT_FILE_BYTES), its size unannounced; it was not copied and stays at the service',
        }),
      ]);
    } finally {
      await endless.close();
    }
  });
});
