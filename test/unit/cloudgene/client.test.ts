import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudgeneClient } from '#shared/cloudgene/client';
import {
  CloudgeneBadRequestError,
  CloudgeneNotFoundError,
  ConcurrencyLimitError,
  DownloadsExhaustedError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#test/simulator/cloudgene-simulator';
import { resultSha256 } from '#test/simulator/result-bytes';

let sim: CloudgeneSimulator;
let token: string;
const client = (t?: string) =>
  new CloudgeneClient({ baseUrl: sim.url, appId: 'imputationserver2', token: t ?? token, timeoutMs: 5000 });

beforeAll(async () => {
  sim = await startCloudgeneSimulator({
    timing: { queueMs: 30, runMs: 60, exportMs: 30 },
    maxDownloadsPerFile: 2,
  });
  token = sim.addUser({ username: 'alice' });
});
afterAll(() => sim.close());

const baseJob = {
  jobName: 'test',
  refPanel: 'apps@1000g-phase-3-v5@2.0.0',
  build: 'hg19',
  phasing: 'eagle',
  population: 'eur',
  mode: 'imputation',
  r2Filter: '0',
  password: 'zip-password-123',
};
const fileOf = (name: string, data: Buffer) => ({
  name,
  size: data.length,
  stream: () => Readable.from([data]),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForState(id: string, states: number[], c = client()) {
  for (let i = 0; i < 100; i++) {
    const job = await c.getJob(id);
    if (states.includes(job.state)) return job;
    await sleep(20);
  }
  throw new Error(`job ${id} never reached ${states}`);
}

describe('token verification', () => {
  it('accepts a valid token and reads username and expiry', async () => {
    const result = await client().verifyToken(token);
    expect(result).toMatchObject({ valid: true, username: 'alice' });
    if (result.valid) expect(result.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  });

  it('reports an invalid token with the service message', async () => {
    expect(await client().verifyToken('eyJ.bogus.token')).toEqual({
      valid: false,
      message: 'Invalid API Token.',
    });
  });

  it('reads an expiry given in epoch milliseconds (Cloudgene 2 clones)', async () => {
    const fake: typeof fetch = async () =>
      new Response(JSON.stringify({ valid: true, username: 'bob', expire: 1_800_000_000_000 }), {
        status: 200,
      });
    const result = await new CloudgeneClient({ baseUrl: 'http://x', appId: 'a', fetch: fake }).verifyToken(
      't',
    );
    expect(result.valid && result.expiresAt?.toISOString()).toBe(new Date(1_800_000_000_000).toISOString());
  });
});

describe('errors', () => {
  it('turns the empty-bodied 401 into ServiceTokenInvalidError', async () => {
    await expect(client('not-a-token').getAppOptions()).rejects.toBeInstanceOf(ServiceTokenInvalidError);
  });

  it('turns a revoked token (403) into ServiceTokenInvalidError', async () => {
    const revoked = sim.addUser({ username: 'revoked-user' });
    sim.revokeToken('revoked-user');
    await expect(client(revoked).getAppOptions()).rejects.toMatchObject({
      name: 'ServiceTokenInvalidError',
      status: 403,
    });
  });

  it('turns 500s and dropped connections into ServiceUnavailableError', async () => {
    sim.failNext({ path: '/api/v2/server/apps', status: 500 });
    await expect(client().getAppOptions()).rejects.toBeInstanceOf(ServiceUnavailableError);
    sim.failNext({ path: '/api/v2/server/apps', status: 'reset' });
    await expect(client().getAppOptions()).rejects.toBeInstanceOf(ServiceUnavailableError);
    sim.failNext({ path: '/api/v2/server/apps', status: 503 });
    await expect(client().getAppOptions()).rejects.toMatchObject({
      serviceMessage: expect.stringMatching(/maintenance/),
    });
    expect((await client().getAppOptions()).refPanels.length).toBeGreaterThan(0);
  });

  it('never puts the token into an error', async () => {
    sim.failNext({ path: '/api/v2/jobs', status: 500 });
    const error = await client()
      .getJob('job-1')
      .catch((e: unknown) => e);
    expect(String(error)).not.toContain(token);
    expect(JSON.stringify(error)).not.toContain(token);
    expect(JSON.stringify(client())).not.toContain(token);
  });

  it('says 404 for an unknown job', async () => {
    await expect(client().getJob('job-unknown')).rejects.toBeInstanceOf(CloudgeneNotFoundError);
  });
});

describe('app options', () => {
  it('normalises panels with their populations, builds, phasing, modes and defaults', async () => {
    const options = await client().getAppOptions();
    expect(options.refPanels.map((p) => p.id)).toEqual([
      'apps@1000g-phase-3-v5@2.0.0',
      'apps@hapmap-2@2.0.0',
    ]);
    expect(options.refPanels[1]?.populations.map((p) => p.id)).toEqual(['eur', 'off']);
    expect(options.builds.map((b) => b.id)).toEqual(['hg19', 'hg38']);
    expect(options.phasing.map((b) => b.id)).toEqual(['eagle', 'beagle', 'no_phasing']);
    expect(options.modes.map((b) => b.id)).toContain('imputation');
    expect(options.r2Filters.map((b) => b.id)).toContain('0.3');
    expect(options.defaults).toEqual({ build: 'hg19', phasing: 'eagle', mode: 'imputation', r2Filter: '0' });
  });
});

describe('submission', () => {
  it('streams the files and sends every field, the password always, checkboxes only when on', async () => {
    const a = Buffer.from('first file bytes');
    const b = Buffer.alloc(70_000, 7);
    const { id } = await client().submitJob({
      ...baseJob,
      files: [fileOf('a.vcf.gz', a), fileOf('b.vcf.gz', b)],
    });
    const job = sim.job(id);
    expect(job.files).toEqual([
      { name: 'a.vcf.gz', bytes: a.length, sha256: createHash('sha256').update(a).digest('hex') },
      { name: 'b.vcf.gz', bytes: b.length, sha256: createHash('sha256').update(b).digest('hex') },
    ]);
    expect(job.fields).toMatchObject({
      refpanel: baseJob.refPanel,
      password: 'zip-password-123',
      population: 'eur',
    });
    expect(job.fields).not.toHaveProperty('aesEncryption');
    expect(job.fields).not.toHaveProperty('meta');
    sim.setJobState(id, 6);

    const { id: second } = await client().submitJob({
      ...baseJob,
      aesEncryption: true,
      files: [fileOf('c.vcf.gz', a)],
    });
    expect(sim.job(second).fields).toHaveProperty('aesEncryption');
    sim.setJobState(second, 6);
  });

  it('streams a 50 MB file without holding it in memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 3);
    const size = 50 * chunk.length;
    const { id } = await client().submitJob({
      ...baseJob,
      files: [
        {
          name: 'big.vcf.gz',
          size,
          stream: () =>
            Readable.from(
              (function* () {
                for (let i = 0; i < 50; i++) yield chunk;
              })(),
            ),
        },
      ],
    });
    expect(sim.job(id).files[0]?.bytes).toBe(size);
    sim.setJobState(id, 6);
  });

  it('passes on the unknown-field 400 with the service message', async () => {
    const fake: typeof fetch = async () =>
      new Response(JSON.stringify({ message: "Parameter 'foo' not found.", success: false }), {
        status: 400,
      });
    const c = new CloudgeneClient({ baseUrl: 'http://x', appId: 'a', token: 't', fetch: fake });
    await expect(c.submitJob({ ...baseJob, files: [] })).rejects.toMatchObject({
      name: 'CloudgeneBadRequestError',
      serviceMessage: "Parameter 'foo' not found.",
    });
    await expect(c.submitJob({ ...baseJob, files: [] })).rejects.toBeInstanceOf(CloudgeneBadRequestError);
  });

  it('reports the per-user concurrency limit as ConcurrencyLimitError with the limit', async () => {
    const busy = sim.addUser({ username: 'busy' });
    const c = client(busy);
    sim.scenario = 'manual';
    await c.submitJob({ ...baseJob, files: [fileOf('1.vcf.gz', Buffer.from('1'))] });
    await c.submitJob({ ...baseJob, files: [fileOf('2.vcf.gz', Buffer.from('2'))] });
    const error = await c
      .submitJob({ ...baseJob, files: [fileOf('3.vcf.gz', Buffer.from('3'))] })
      .catch((e: unknown) => e);
    sim.scenario = 'success';
    expect(error).toBeInstanceOf(ConcurrencyLimitError);
    expect((error as ConcurrencyLimitError).limit).toBe(2);
  });

  it('finds an earlier submission again by a marker in its name', async () => {
    const { id } = await client().submitJob({
      ...baseJob,
      jobName: 'cohort [gw:01TEST]',
      files: [fileOf('m.vcf.gz', Buffer.from('m'))],
    });
    expect(await client().findJobByName('[gw:01TEST]')).toMatchObject({ id });
    expect(await client().findJobByName('[gw:NOPE]')).toBeUndefined();
    sim.setJobState(id, 6);
  });
});

describe('job lifecycle and results', () => {
  it('follows a job to success and downloads every result, following redirects and sub-folders', async () => {
    const { id } = await client().submitJob({ ...baseJob, files: [fileOf('x.vcf.gz', Buffer.from('x'))] });
    const done = await waitForState(id, [4]);
    const files = done.outputParams.flatMap((p) => p.files);
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining(['chr_20.zip', 'statistics/lift-over.txt', 'quality-control.html']),
    );
    for (const file of files) {
      const download = await client().downloadResult(file);
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of Readable.fromWeb(download.body as never)) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      const spec = sim.job(id).results.find((r) => r.name === file.name)!;
      expect(bytes).toBe(spec.size);
      expect(download.contentLength).toBe(spec.size);
      expect(hash.digest('hex')).toBe(resultSha256(spec.seed, spec.size));
    }
    expect(sim.requests.some((r) => r.path.startsWith('/presigned/'))).toBe(true);
  });

  it('treats state 8 as still downloadable, then runs out of downloads', async () => {
    const { id } = await client().submitJob({ ...baseJob, files: [fileOf('y.vcf.gz', Buffer.from('y'))] });
    await waitForState(id, [4]);
    sim.setJobState(id, 8);
    const job = await client().getJob(id);
    const file = job.outputParams.flatMap((p) => p.files).find((f) => f.name === 'qc_report.txt')!;
    await (await client().downloadResult(file)).body.cancel();
    await (await client().downloadResult(file)).body.cancel();
    await expect(client().downloadResult(file)).rejects.toBeInstanceOf(DownloadsExhaustedError);
    await expect(client().downloadResult({ hash: 'unknown', name: 'x' })).rejects.toBeInstanceOf(
      CloudgeneNotFoundError,
    );
  });

  it('fails a job with a wrong panel only after it starts, with the service message', async () => {
    const { id } = await client().submitJob({
      ...baseJob,
      refPanel: 'apps@no-such-panel',
      files: [fileOf('z.vcf.gz', Buffer.from('z'))],
    });
    const failed = await waitForState(id, [5]);
    const errors = failed.steps.flatMap((s) => s.logMessages).filter((m) => m.type === 1);
    expect(errors[0]?.message).toMatch(/not installed or wrong permissions/);
  });

  it('cancels a queued job', async () => {
    sim.scenario = 'manual';
    const { id } = await client().submitJob({ ...baseJob, files: [fileOf('q.vcf.gz', Buffer.from('q'))] });
    sim.scenario = 'success';
    expect((await client().getJob(id)).state).toBe(1);
    await client().cancelJob(id);
    expect((await client().getJob(id)).state).toBe(6);
  });
});
