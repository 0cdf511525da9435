import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudgeneSimulator,
  type SimulatorOptions,
  startCloudgeneSimulator,
} from '#infra/local/simulator/cloudgene-simulator';
import { resultChunks, resultSha256 } from '#infra/local/simulator/result-bytes';
import { CloudgeneClient, type CloudgeneJob } from '#shared/cloudgene/client';
import {
  CloudgeneBadRequestError,
  CloudgeneError,
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ConcurrencyLimitError,
  DownloadsExhaustedError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import { submitRequest } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';

/** Long phases moved by sim.advance(): job states change only when a test says so. */
const TIMING = { queueMs: 1000, runMs: 1000, exportMs: 1000 };
const started: CloudgeneSimulator[] = [];
let sim: CloudgeneSimulator;
let userCount = 0;

async function simulator(options: SimulatorOptions = {}) {
  const instance = await startCloudgeneSimulator({ timing: TIMING, ...options });
  started.push(instance);
  return instance;
}

/** A fresh service user (so per-user job limits never leak between tests) and a client with their token. */
function user(on = sim, options: { timeoutMs?: number; admin?: boolean } = {}) {
  const username = `user-${++userCount}`;
  const token = on.addUser({
    username,
    name: `User ${userCount}`,
    mail: `${username}@example.org`,
    admin: options.admin,
  });
  const client = new CloudgeneClient({
    baseUrl: on.url,
    appId: 'imputationserver2',
    token,
    timeoutMs: options.timeoutMs ?? 5000,
    // The simulator's presigned redirects point at 127.0.0.1 (plain http), as in the local stack.
    outbound: { allowLoopback: true },
  });
  return { username, token, client };
}

beforeAll(async () => {
  sim = await simulator();
});
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

const job = submitRequest({ jobName: 'cohort chr20', password: 'zip-password-123' });
const fileOf = (name: string, data: Buffer | string) => {
  const bytes = Buffer.from(data);
  return { name, size: bytes.length, stream: () => Readable.from([bytes]) };
};
/** An input the service accepts: its jobs succeed and list their own results (one QC statistics file). */
const vcf = makeVcfGz({ samples: 20 });
const oneFile = [fileOf('chr20.vcf.gz', vcf)];
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A full GC on demand (vitest workers run without --expose-gc), to measure live memory only. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const resultFiles = (remote: CloudgeneJob) => remote.outputParams.flatMap((p) => p.files);

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('verifyToken', () => {
  it('accepts a valid token and reads username, name, mail and the ISO expiry', async () => {
    const { token, username } = user();
    const result = await new CloudgeneClient({ baseUrl: sim.url, appId: 'imputationserver2' }).verifyToken(
      token,
    );
    expect(result).toMatchObject({
      valid: true,
      username,
      name: `User ${userCount}`,
      mail: `${username}@example.org`,
    });
    expect(result.valid && result.expiresAt!.getTime()).toBe(sim.users.get(username)!.expire.getTime());
  });

  it('reports an invalid token with the service message', async () => {
    const client = new CloudgeneClient({ baseUrl: sim.url, appId: 'imputationserver2' });
    expect(await client.verifyToken('eyJhbGciOiJIUzI1NiJ9.bogus.token')).toEqual({
      valid: false,
      message: 'Invalid API Token.',
    });
  });

  it('reads an expiry given in epoch milliseconds (Cloudgene 2 clones)', async () => {
    const clone = await simulator({ expireFormat: 'epoch-ms' });
    const expire = new Date('2031-05-01T12:00:00Z');
    const token = clone.addUser({ username: 'old-style', expire });
    const result = await new CloudgeneClient({ baseUrl: clone.url, appId: 'imputationserver2' }).verifyToken(
      token,
    );
    expect(result.valid && result.expiresAt?.toISOString()).toBe(expire.toISOString());
  });

  it('sends no X-Auth-Token, even when the client has one', async () => {
    const { client, token } = user();
    await client.verifyToken(token);
    expect(sim.requests.at(-1)).toMatchObject({ path: '/api/v2/tokens/verify', authenticated: false });
  });
});

describe('rejected tokens', () => {
  it('turns the empty-bodied 401 of an unknown token into ServiceTokenInvalidError', async () => {
    const client = new CloudgeneClient({
      baseUrl: sim.url,
      appId: 'imputationserver2',
      token: 'not-a-token',
    });
    const error = await client.getAppOptions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceTokenInvalidError);
    expect(error).toMatchObject({
      details: { serviceStatus: 401 },
      code: 'SERVICE_TOKEN_INVALID',
      serviceMessage: undefined,
    });
    expect((error as Error).message).toBe('service token invalid or expired');
  });

  it('treats an expired token (401) the same way', async () => {
    const { client, username } = user();
    sim.expireToken(username);
    await expect(client.getJob('job-1')).rejects.toMatchObject({
      name: 'ServiceTokenInvalidError',
      details: { serviceStatus: 401 },
    });
  });

  it('treats a revoked token, and one replaced by a newer token, (403) the same way', async () => {
    const revoked = user();
    sim.revokeToken(revoked.username);
    await expect(revoked.client.getAppOptions()).rejects.toMatchObject({
      name: 'ServiceTokenInvalidError',
      details: { serviceStatus: 403 },
      serviceMessage: 'Access denied.',
    });
    const replaced = user();
    sim.addUser({ username: replaced.username });
    await expect(replaced.client.getAppOptions()).rejects.toBeInstanceOf(ServiceTokenInvalidError);
  });

  it('fails an authenticated call without a token before sending anything', async () => {
    const before = sim.requests.length;
    const client = new CloudgeneClient({ baseUrl: sim.url, appId: 'imputationserver2' });
    await expect(client.getJob('job-1')).rejects.toBeInstanceOf(ServiceTokenInvalidError);
    expect(sim.requests.length).toBe(before);
  });

  it("answers another user's job with ServiceTokenInvalidError (403 Access denied)", async () => {
    const owner = user();
    const { id } = await owner.client.submitJob({ ...job, files: oneFile });
    await expect(user().client.getJob(id)).rejects.toMatchObject({
      details: { serviceStatus: 403 },
      serviceMessage: 'Access denied.',
    });
  });
});

describe('getAppOptions', () => {
  it('normalises the panels with their populations, the builds, phasing, modes, r2 filters and defaults', async () => {
    const options = await user().client.getAppOptions();
    expect(options).toMatchObject({
      appId: 'imputationserver2',
      name: 'Genotype Imputation (Minimac4)',
      version: '2.0.0',
    });
    expect(options.refPanels.map((p) => p.id)).toEqual([
      'apps@1000g-phase-3-v5@2.0.0',
      'apps@hapmap-2@2.0.0',
      'apps@hrc-r1.1@2.0.0',
    ]);
    expect(options.refPanels[0]).toMatchObject({ label: '1000G Phase 3 (GRCh37/hg19)' });
    expect(options.refPanels[0]?.populations.map((p) => p.id)).toEqual([
      'afr',
      'amr',
      'eur',
      'eas',
      'sas',
      'mixed',
      'off',
    ]);
    expect(options.refPanels[1]?.populations).toEqual([
      { id: 'eur', label: 'EUR' },
      { id: 'off', label: 'Off' },
    ]);
    expect(options.builds).toEqual([
      { id: 'hg19', label: 'GRCh37/hg19' },
      { id: 'hg38', label: 'GRCh38/hg38' },
    ]);
    expect(options.phasing.map((b) => b.id)).toEqual(['eagle', 'beagle', 'no_phasing']);
    expect(options.modes.map((b) => b.id)).toEqual(['qc_only', 'imputation']);
    expect(options.r2Filters.map((b) => b.id)).toEqual(['0', '0.001', '0.1', '0.2', '0.3']);
    expect(options.defaults).toEqual({ build: 'hg19', phasing: 'eagle', mode: 'imputation', r2Filter: '0' });
  });

  it('reads a TOPMed-like server: one panel, populations all/off only', async () => {
    const topmed = await simulator({ preset: 'topmed' });
    const options = await user(topmed).client.getAppOptions();
    expect(options.refPanels).toEqual([
      {
        id: 'apps@topmed-r3@1.0.0',
        label: 'TOPMed (Version R3 on GRCh38)',
        populations: [
          { id: 'all', label: 'All' },
          { id: 'off', label: 'Off' },
        ],
      },
    ]);
  });

  it('matches populations to panels despite version suffixes, and ignores params it does not know', async () => {
    const app = {
      id: 'imputationserver2',
      params: [
        { id: 'refpanel', type: 'app_list', values: [{ key: 'apps@hapmap-2', value: 'HapMap 2' }] },
        {
          id: 'population',
          type: 'binded_list',
          bind: 'refpanel',
          values: [{ key: 'apps@hapmap-2@2.0.0', label: 'HapMap 2', values: [{ key: 'eur', value: 'EUR' }] }],
        },
        { id: 'build', type: 'list', value: 'hg38', values: [{ key: 'hg38', value: null }] },
        { id: 'some-future-param', type: 'mystery', values: [42, null, { nested: true }] },
      ],
    };
    const client = new CloudgeneClient({
      baseUrl: 'http://cloudgene.invalid',
      appId: 'imputationserver2',
      token: 't',
      fetch: async () => Response.json(app),
    });
    const options = await client.getAppOptions();
    expect(options.refPanels).toEqual([
      { id: 'apps@hapmap-2', label: 'HapMap 2', populations: [{ id: 'eur', label: 'EUR' }] },
    ]);
    expect(options.builds).toEqual([{ id: 'hg38', label: 'hg38' }]);
    expect(options.defaults).toEqual({ build: 'hg38', phasing: null, mode: null, r2Filter: null });
  });
});

describe('submitJob', () => {
  it('streams every file and sends every field, the password always, and no checkbox that is off', async () => {
    const { client, username } = user();
    const a = Buffer.from('first file bytes');
    const b = Buffer.from([...resultChunks('b', 200_000)].flatMap((c) => [...c]));
    const { id } = await client.submitJob({ ...job, files: [fileOf('a.vcf.gz', a), fileOf('b.vcf.gz', b)] });
    expect(id).toMatch(/^job-\d{8}-\d{6}-\d{3}$/);
    const received = sim.job(id);
    expect(received.user).toBe(username);
    expect(received.files).toEqual([
      { name: 'a.vcf.gz', bytes: a.length, sha256: sha256(a) },
      { name: 'b.vcf.gz', bytes: b.length, sha256: sha256(b) },
    ]);
    // Every field under the service's name; only the job name and the panel are spelled differently.
    const { jobName, refPanel, build, phasing, population, mode, r2Filter, password } = job;
    expect(received.fields).toEqual({
      'job-name': jobName,
      refpanel: refPanel,
      build,
      phasing,
      population,
      mode,
      r2Filter,
      password,
    });
  });

  it('sends aesEncryption and meta only when they are on (their mere presence turns them on)', async () => {
    const { client } = user();
    const { id } = await client.submitJob({ ...job, aesEncryption: true, meta: true, files: oneFile });
    expect(sim.job(id).fields).toMatchObject({ aesEncryption: 'yes', meta: 'yes' });
    const { id: off } = await client.submitJob({ ...job, aesEncryption: false, meta: false, files: oneFile });
    expect(Object.keys(sim.job(off).fields)).not.toContain('aesEncryption');
    expect(Object.keys(sim.job(off).fields)).not.toContain('meta');
  });

  it('sends an exact Content-Length when every size is known, and chunks otherwise', async () => {
    const { client } = user();
    const { id: known } = await client.submitJob({ ...job, files: oneFile });
    expect(sim.job(known).upload).toMatchObject({
      chunked: false,
      contentLength: sim.job(known).upload.bytes,
    });
    const { id: unknown } = await client.submitJob({
      ...job,
      files: [{ name: 'x.vcf.gz', stream: () => Readable.from([Buffer.from('no size given')]) }],
    });
    expect(sim.job(unknown).upload).toMatchObject({ chunked: true, contentLength: null });
    expect(sim.job(unknown).files[0]).toMatchObject({ bytes: 13, sha256: sha256('no size given') });
  });

  it('streams a 100 MB file without holding it in memory', async () => {
    const { client } = user();
    // Large enough that what client and simulator hold at once (a few chunks, ~20 MB with zlib's and
    // undici's buffers) stays far below a third of it: a file held whole could not pass.
    const size = 100 * 1024 * 1024;
    // Live memory only: collect garbage before each sample, so spent chunks do not count.
    collectGarbage();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => {
      collectGarbage();
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    }, 20);
    const { id } = await client.submitJob({
      ...job,
      files: [{ name: 'big.vcf.gz', size, stream: () => Readable.from(resultChunks('big input', size)) }],
    });
    clearInterval(sampler);
    expect(sim.job(id).files[0]).toEqual({
      name: 'big.vcf.gz',
      bytes: size,
      sha256: resultSha256('big input', size),
    });
    // Client and simulator share this process; together they hold a few chunks, never the file.
    expect(peak).toBeLessThan(size / 3);
  });

  it("rejects a field the server's app does not have with CloudgeneBadRequestError and the service's message", async () => {
    const older = await simulator({ withoutParams: ['meta'] });
    const error = await user(older)
      .client.submitJob({ ...job, meta: true, files: oneFile })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudgeneBadRequestError);
    expect(error).toMatchObject({
      details: { serviceStatus: 400 },
      code: 'SERVICE_REJECTED',
      serviceMessage: "Parameter 'meta' not found.",
    });
    expect(older.jobs).toHaveLength(0);
  });

  it('reports the per-user limit as ConcurrencyLimitError with the limit, counting jobs started elsewhere', async () => {
    const { client, username } = user();
    await client.submitJob({ ...job, files: oneFile });
    sim.setOtherActiveJobs(username, 1);
    const error = await client.submitJob({ ...job, files: oneFile }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyLimitError);
    expect(error).toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      limit: 2,
      serviceMessage: 'Only 2 jobs per user can be executed simultaneously.',
    });
    sim.setOtherActiveJobs(username, 0);
    await expect(client.submitJob({ ...job, files: oneFile })).resolves.toHaveProperty('id');
  });

  it('reads the limit the service states (3 on TOPMed)', async () => {
    const topmed = await simulator({ preset: 'topmed', scenario: 'manual' });
    const { client } = user(topmed);
    const topmedJob = { ...job, refPanel: 'apps@topmed-r3@1.0.0', population: 'all', files: oneFile };
    for (let i = 0; i < 3; i++) await client.submitJob(topmedJob);
    await expect(client.submitJob(topmedJob)).rejects.toMatchObject({
      name: 'ConcurrencyLimitError',
      limit: 3,
    });
  });

  it('passes on a failing file source as it is, and the service keeps no job', async () => {
    const { client, username } = user();
    const error = await client
      .submitJob({
        ...job,
        files: [{ name: 'short.vcf.gz', size: 100, stream: () => Readable.from([Buffer.alloc(10)]) }],
      })
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CloudgeneError);
    expect((error as Error).message).toMatch(/short.vcf.gz: expected 100 bytes, the source delivered 10/);
    expect(sim.submissionsOf(username)).toHaveLength(0);
  });

  it('finds an earlier submission again by a marker in its name', async () => {
    const { client } = user();
    const { id } = await client.submitJob({ ...job, jobName: 'cohort [gw:01TEST]', files: oneFile });
    expect(await client.findJobByName('[gw:01TEST]')).toEqual({ id, state: 1 });
    expect(await client.findJobByName('[gw:NOPE]')).toBeUndefined();
  });
});

describe('getJob and cancelJob', () => {
  it('follows a job through queued, running, exporting and success, then the retirement notice (8)', async () => {
    const { client } = user();
    const { id } = await client.submitJob({ ...job, files: oneFile });
    const queued = await client.getJob(id);
    expect(queued).toMatchObject({ id, name: 'cohort chr20', state: 1, steps: [], outputParams: [] });
    expect(queued.positionInQueue).toBeGreaterThanOrEqual(0);
    sim.advance(TIMING.queueMs);
    const running = await client.getJob(id);
    expect(running).toMatchObject({ state: 2, positionInQueue: -1 });
    expect(running.steps.flatMap((s) => s.logMessages).map((m) => m.type)).toEqual([0, 0, 2, 3]);
    sim.advance(TIMING.runMs);
    expect((await client.getJob(id)).state).toBe(3);
    sim.advance(TIMING.exportMs);
    const done = await client.getJob(id);
    expect(done.state).toBe(4);
    // The logs parameter is admin-only at the real services: a plain account never sees it.
    expect(done.outputParams.map((p) => p.name)).toEqual(['output']);
    expect(resultFiles(done).find((f) => f.name === 'qc_report.txt')?.size).toMatch(/^\d+ bytes$/);
    sim.setJobState(id, 8);
    const notified = await client.getJob(id);
    expect(notified.state).toBe(8);
    expect(resultFiles(notified)).toEqual(resultFiles(done));
  });

  it('lists the admin-only logs parameter to an admin account, whose files the share route refuses', async () => {
    const { client } = user(sim, { admin: true });
    const { id } = await client.submitJob({ ...job, files: oneFile });
    sim.setJobState(id, 4);
    const done = await client.getJob(id);
    expect(done.outputParams.map((p) => p.name)).toEqual(['output', 'cloudgene_logs']);
    const log = done.outputParams.find((p) => p.name === 'cloudgene_logs')!.files[0]!;
    await expect(client.downloadResult(log)).rejects.toMatchObject({
      name: 'CloudgeneNotFoundError',
      serviceMessage: 'download not found.',
    });
  });

  it('fails a job with a wrong panel only once it starts, with the message as a type-1 log message', async () => {
    const { client } = user();
    const { id } = await client.submitJob({ ...job, refPanel: 'apps@no-such-panel@1.0.0', files: oneFile });
    expect((await client.getJob(id)).state).toBe(1);
    sim.advance(TIMING.queueMs);
    const failed = await client.getJob(id);
    expect(failed.state).toBe(5);
    const errors = failed.steps.flatMap((s) => s.logMessages).filter((m) => m.type === 1);
    expect(errors.map((m) => m.message)).toEqual([
      'Application apps@no-such-panel@1.0.0 is not installed or wrong permissions.',
    ]);
  });

  it('shows why a failed job failed in a type-1 message', async () => {
    const failing = await simulator({ scenario: { outcome: 'fail', failMessage: 'Error: only 5 samples.' } });
    const { client } = user(failing);
    const { id } = await client.submitJob({ ...job, files: oneFile });
    failing.advance(TIMING.queueMs + TIMING.runMs);
    const failed = await client.getJob(id);
    expect(failed.state).toBe(5);
    expect(failed.steps.flatMap((s) => s.logMessages).find((m) => m.type === 1)?.message).toBe(
      'Error: only 5 samples.',
    );
  });

  it('cancels a queued job (6), and leaves a finished one alone', async () => {
    const { client } = user();
    const { id } = await client.submitJob({ ...job, files: oneFile });
    await client.cancelJob(id);
    expect((await client.getJob(id)).state).toBe(6);
    expect(sim.requests.at(-2)).toMatchObject({
      method: 'GET',
      path: `/api/v2/jobs/${id}/cancel`,
      status: 200,
    });
    const { id: finished } = await client.submitJob({ ...job, files: oneFile });
    sim.setJobState(finished, 4);
    await client.cancelJob(finished);
    expect((await client.getJob(finished)).state).toBe(4);
  });

  it('says CloudgeneNotFoundError for an unknown job and for a deleted one (10)', async () => {
    const { client } = user();
    await expect(client.getJob('job-20990101-000000-000')).rejects.toMatchObject({
      name: 'CloudgeneNotFoundError',
      details: { serviceStatus: 404 },
      serviceMessage: 'Job job-20990101-000000-000 not found.',
    });
    const { id } = await client.submitJob({ ...job, files: oneFile });
    sim.setJobState(id, 10);
    await expect(client.getJob(id)).rejects.toBeInstanceOf(CloudgeneNotFoundError);
  });
});

describe('downloadResult', () => {
  async function finishedJob(on = sim, refPanel = job.refPanel) {
    const { client } = user(on);
    const { id } = await client.submitJob({ ...job, refPanel, files: oneFile });
    on.setJobState(id, 4);
    return { id, client, remote: await client.getJob(id) };
  }

  it('downloads every result byte for byte, following redirects and sub-folder names, never sending the token', async () => {
    const { id, client, remote } = await finishedJob();
    const before = sim.requests.length;
    const names = resultFiles(remote).map((f) => f.name);
    expect(names).toEqual([
      'chr_20.zip',
      'qc_report.txt',
      'quality-control.html',
      'statistics/snps-excluded.txt',
    ]);
    for (const file of resultFiles(remote)) {
      const download = await client.downloadResult(file);
      const bytes = await readAll(download.body);
      const expected = sim.expectedResult(id, file.name);
      expect(download.contentLength).toBe(expected.size);
      expect({ size: bytes.length, sha256: sha256(bytes) }).toEqual(expected);
    }
    const downloads = sim.requests.slice(before);
    expect(downloads.map((r) => `${r.status} ${r.path.replace(/[0-9a-f]{64}/, 'HASH')}`)).toEqual([
      '200 /share/results/HASH/chr_20.zip',
      '200 /share/results/HASH/qc_report.txt',
      '302 /share/results/HASH/quality-control.html',
      '200 /presigned/HASH/quality-control.html',
      '200 /share/results/HASH/statistics/snps-excluded.txt',
    ]);
    expect(downloads.every((r) => !r.authenticated)).toBe(true);
  });

  it('serves every file through redirects on a TOPMed-like server', async () => {
    const topmed = await simulator({ preset: 'topmed' });
    // hg19 input to TOPMed's hg38 panel: lifted over, with the statistics file that says so.
    const { id, client, remote } = await finishedJob(topmed, 'apps@topmed-r3@1.0.0');
    const file = resultFiles(remote).find((f) => f.name === 'statistics/lift-over.txt')!;
    const bytes = await readAll((await client.downloadResult(file)).body);
    expect(sha256(bytes)).toBe(topmed.expectedResult(id, file.name).sha256);
    expect(topmed.requests.at(-1)?.path).toMatch(/^\/presigned\/[0-9a-f]+\/statistics\/lift-over\.txt$/);
  });

  it('reports used-up downloads as DownloadsExhaustedError and an unknown hash as CloudgeneNotFoundError', async () => {
    const limited = await simulator({ maxDownloadsPerFile: 2 });
    const { client, remote } = await finishedJob(limited);
    const file = resultFiles(remote).find((f) => f.name === 'qc_report.txt')!;
    await (await client.downloadResult(file)).body.cancel();
    await (await client.downloadResult(file)).body.cancel();
    const error = await client.downloadResult(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadsExhaustedError);
    expect(error).toMatchObject({
      code: 'DOWNLOADS_EXHAUSTED',
      serviceMessage: 'number of max downloads exceeded.',
    });
    await expect(client.downloadResult({ hash: 'f00d', name: 'chr_20.zip' })).rejects.toMatchObject({
      name: 'CloudgeneNotFoundError',
      serviceMessage: 'download not found.',
    });
  });

  it('reports a download cut short as ServiceUnavailableError while reading', async () => {
    const { client, remote } = await finishedJob();
    const file = resultFiles(remote).find((f) => f.name === 'chr_20.zip')!;
    sim.failNext({ path: '/share/results/', status: 'truncate' });
    const download = await client.downloadResult(file);
    await expect(readAll(download.body)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('serves the same bytes as chunks() (the copy path), with the same errors for a cut or a stall', async () => {
    const { id, client, remote } = await finishedJob();
    const file = resultFiles(remote).find((f) => f.name === 'chr_20.zip')!;
    const whole: Buffer[] = [];
    for await (const chunk of (await client.downloadResult(file)).chunks()) whole.push(Buffer.from(chunk));
    expect(sha256(Buffer.concat(whole))).toBe(sim.expectedResult(id, file.name).sha256);

    sim.failNext({ path: '/share/results/', status: 'truncate' });
    const cut = await client.downloadResult(file);
    await expect(readAll(cut.chunks() as unknown as ReadableStream<Uint8Array>)).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );

    const { client: impatient } = user(sim, { timeoutMs: 200 });
    sim.failNext({ path: '/share/results/', status: 'stall' });
    const stalled = await impatient.downloadResult(file);
    await expect(readAll(stalled.chunks() as unknown as ReadableStream<Uint8Array>)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: /no data for too long/,
    });
    expect(() => stalled.body).toThrow(/already read/);
  });
});

describe('an unavailable service', () => {
  it('turns 500s, 503 maintenance and dropped connections into retryable ServiceUnavailableError', async () => {
    const { client } = user();
    sim.failNext({ path: '/api/v2/server/apps', status: 500 });
    await expect(client.getAppOptions()).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      details: { serviceStatus: 500 },
      retryable: true,
    });
    sim.failNext({ path: '/api/v2/server/apps', status: 503 });
    await expect(client.getAppOptions()).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { serviceStatus: 503 },
      serviceMessage: 'This functionality is currently under maintenance.',
    });
    sim.failNext({ path: '/api/v2/server/apps', status: 'reset' });
    await expect(client.getAppOptions()).rejects.toBeInstanceOf(ServiceUnavailableError);
    sim.failNext({ path: '/api/v2/jobs/submit/', status: 'reset-after' });
    await expect(client.submitJob({ ...job, files: oneFile })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    expect((await client.getAppOptions()).refPanels.length).toBeGreaterThan(0);
  });

  it('turns a 200 that is not the documented JSON into CloudgeneProtocolError', async () => {
    const { client } = user();
    sim.failNext({ path: '/api/v2/jobs/', status: 200, body: '<html>Login</html>' });
    await expect(client.getJob('job-1')).rejects.toBeInstanceOf(CloudgeneProtocolError);
  });

  it('gives up on a server that stops answering (idle timeout)', async () => {
    const { client } = user(sim, { timeoutMs: 150 });
    sim.failNext({ path: '/api/v2/server/apps', delayMs: 1000 });
    await expect(client.getAppOptions()).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(/no progress for 150 ms/),
    });
  });

  it('gives up on a download that stalls midway', async () => {
    const { client } = user(sim, { timeoutMs: 150 });
    const { id } = await client.submitJob({ ...job, files: oneFile });
    sim.setJobState(id, 4);
    const file = resultFiles(await client.getJob(id)).find((f) => f.name === 'chr_20.zip')!;
    sim.failNext({ path: '/share/results/', status: 'stall' });
    const download = await client.downloadResult(file);
    await expect(readAll(download.body)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(/chr_20.zip broke off/),
    });
  });

  it('lets slow transfers run past the timeout as long as bytes keep moving', async () => {
    const { client } = user(sim, { timeoutMs: 150 });
    const trickle = async function* () {
      for (let i = 0; i < 6; i++) {
        await sleep(50);
        yield vcf.subarray(Math.floor((i * vcf.length) / 6), Math.floor(((i + 1) * vcf.length) / 6));
      }
    };
    const { id } = await client.submitJob({ ...job, files: [{ name: 'slow.vcf.gz', stream: trickle }] });
    expect(sim.job(id).files[0]?.bytes).toBe(vcf.length);

    sim.setJobState(id, 4);
    const file = resultFiles(await client.getJob(id)).find((f) => f.name === 'chr_20.zip')!;
    const download = await client.downloadResult(file);
    let bytes = 0;
    // The caller holding on to each chunk is not the server being idle.
    for await (const chunk of download.body) {
      bytes += chunk.length;
      await sleep(60);
    }
    expect(bytes).toBe(sim.expectedResult(id, 'chr_20.zip').size);
  });
});

describe('the token', () => {
  it('never appears in an error or in the client', async () => {
    const { client, token, username } = user(sim, { timeoutMs: 150 });
    const errors: unknown[] = [];
    const collect = (promise: Promise<unknown>) => promise.catch((e: unknown) => errors.push(e));
    sim.failNext({ path: '/api/v2/jobs/', status: 500, body: 'Internal Server Error' });
    await collect(client.getJob('job-1'));
    sim.failNext({ path: '/api/v2/jobs/', status: 'reset' });
    await collect(client.getJob('job-1'));
    sim.failNext({ path: '/api/v2/jobs/', delayMs: 1000 });
    await collect(client.getJob('job-1'));
    await collect(client.getJob('job-unknown'));
    sim.failNext({ path: '/api/v2/jobs/submit/', status: 400, body: 'Bad Request' });
    await collect(client.submitJob({ ...job, files: oneFile }));
    sim.revokeToken(username);
    await collect(client.getJob('job-1'));
    expect(errors).toHaveLength(6);
    for (const error of errors) {
      expect(error).toBeInstanceOf(CloudgeneError);
      expect(String(error)).not.toContain(token);
      expect(JSON.stringify(error)).not.toContain(token);
      expect(JSON.stringify(Object.entries(error as object))).not.toContain(token);
    }
    expect(JSON.stringify(client)).not.toContain(token);
    expect(Object.values(client).join(' ')).not.toContain(token);
  });
});
