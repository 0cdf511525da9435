/**
 * The simulator's own contract, where the client does not exercise it: the raw HTTP answers other
 * tests and the local stack rely on (cloudgene-api.md), scenarios, persistence and the admin API.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { parseMultipart } from '#infra/local/simulator/multipart-parser';
import { humanSize, resultChunks, resultSha256, resultStream } from '#infra/local/simulator/result-bytes';
import { multipartBody } from '#shared/cloudgene/multipart';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, submitRaw, TIMING } from './simulator-support';

/** A small input the service accepts (its jobs then succeed, and list their own results). */
const VCF = makeVcfGz({ samples: 20, records: 30 });
const simulator = simulatorsOfThisFile();
const submit = (sim: CloudgeneSimulator, token: string, fields: Record<string, string> = {}) =>
  submitRaw(sim, token, VCF, fields);
const get = (sim: CloudgeneSimulator, path: string, token?: string) =>
  fetch(sim.url + path, { headers: token ? { 'X-Auth-Token': token } : {}, redirect: 'manual' });
const idOf = async (response: Response) => ((await response.json()) as { id: string }).id;

describe('authentication', () => {
  it('answers 401 with an empty body for a missing, malformed or expired token', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    sim.expireToken('ann');
    for (const bad of [undefined, 'garbage', token]) {
      const response = await get(sim, '/api/v2/jobs', bad);
      expect(response.status).toBe(401);
      expect(await response.text()).toBe('');
    }
  });

  it('answers GET /api/v2/server with 200 even for a bad token (loggedIn false)', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    expect(await (await get(sim, '/api/v2/server', 'garbage')).json()).toMatchObject({ loggedIn: false });
    expect(await (await get(sim, '/api/v2/server', token)).json()).toMatchObject({ loggedIn: true });
  });

  it('accepts a fixed token given by the caller, and a newer token replaces it (403)', async () => {
    const sim = await simulator();
    sim.addUser({ username: 'ann', token: 'fixed-token-for-scripts' });
    expect((await get(sim, '/api/v2/jobs', 'fixed-token-for-scripts')).status).toBe(200);
    const newer = sim.addUser({ username: 'ann' });
    expect((await get(sim, '/api/v2/jobs', 'fixed-token-for-scripts')).status).toBe(403);
    expect((await get(sim, '/api/v2/jobs', newer)).status).toBe(200);
  });
});

describe('jobs', () => {
  it('has no /results route, the same body under /status, and refuses DELETE with an API token', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    expect((await get(sim, `/api/v2/jobs/${id}/results`, token)).status).toBe(404);
    expect(await (await get(sim, `/api/v2/jobs/${id}/status`, token)).json()).toEqual(
      await (await get(sim, `/api/v2/jobs/${id}`, token)).json(),
    );
    const deleted = await fetch(`${sim.url}/api/v2/jobs/${id}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': token },
    });
    expect(deleted.status).toBe(403);
  });

  it('lists jobs newest first, 25 to a page', async () => {
    const sim = await simulator({ concurrencyLimit: 100 });
    const token = sim.addUser({ username: 'ann' });
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) ids.push(await idOf(await submit(sim, token, { 'job-name': `job ${i}` })));
    const first = (await (await get(sim, '/api/v2/jobs', token)).json()) as {
      count: number;
      pages: number;
      data: { id: string }[];
    };
    expect(first).toMatchObject({ count: 27, pages: 2 });
    expect(first.data[0]?.id).toBe(ids[26]);
    const second = (await (await get(sim, '/api/v2/jobs?page=2', token)).json()) as {
      data: { id: string }[];
    };
    expect(second.data.map((j) => j.id)).toEqual([ids[1], ids[0]]);
  });

  it('rejects a submission without files, and one above the upload limit (413)', async () => {
    const sim = await simulator({ maxUploadBytes: 1000 });
    const token = sim.addUser({ username: 'ann' });
    const noFiles = await fetch(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token },
      body: (() => {
        const form = new FormData();
        form.set('refpanel', 'apps@hapmap-2');
        return form;
      })(),
    });
    expect(noFiles.status).toBe(400);
    const form = new FormData();
    form.append('files', new Blob([Buffer.alloc(2000)]), 'big.vcf.gz');
    const tooLarge = await fetch(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token },
      body: form,
    });
    expect(tooLarge.status).toBe(413);
    expect(sim.jobs).toHaveLength(0);
  });

  it('counts down the queue position of a slow queue, then runs the job', async () => {
    const sim = await simulator({ scenario: 'slow-queue' });
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    const job = async () =>
      (await (await get(sim, `/api/v2/jobs/${id}`, token)).json()) as {
        state: number;
        positionInQueue: number;
      };
    expect(await job()).toMatchObject({ state: 1, positionInQueue: 120 });
    sim.advance(30 * 60_000);
    expect(await job()).toMatchObject({ state: 1, positionInQueue: 60 });
    sim.advance(30 * 60_000);
    expect(await job()).toMatchObject({ state: 2, positionInQueue: -1 });
  });

  it('lets a dead job (-1) be restarted, and refuses to restart any other', async () => {
    const sim = await simulator({ scenario: 'dead' });
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    expect((await get(sim, `/api/v2/jobs/${id}/restart`, token)).status).toBe(400);
    sim.advance(TIMING.queueMs + TIMING.runMs);
    expect(sim.stateOf(sim.job(id))).toBe(-1);
    expect(await (await get(sim, `/api/v2/jobs/${id}/restart`, token)).json()).toMatchObject({ state: 1 });
    sim.advance(TIMING.queueMs + TIMING.runMs + TIMING.exportMs);
    expect(sim.stateOf(sim.job(id))).toBe(4);
  });

  it('gives submissions that arrive together distinct ids, though each waits for its results to be made', async () => {
    const sim = await simulator({ concurrencyLimit: 10, clock: () => Date.UTC(2026, 0, 1) });
    const token = sim.addUser({ username: 'ann' });
    // Three submissions held at the door, on three connections, then let in at once: they overlap.
    let open = () => {};
    sim.failNext({
      path: '/api/v2/jobs/submit/',
      gate: new Promise<void>((resolve) => (open = resolve)),
      times: 3,
    });
    const form = new FormData();
    form.set('refpanel', 'apps@hapmap-2@2.0.0');
    // AES keys are derived off the main thread: making one job's zip lets the others run meanwhile.
    form.set('aesEncryption', 'yes');
    form.append('files', new Blob([VCF]), 'chr20.vcf.gz');
    const request = new Request(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
      method: 'POST',
      body: form,
    });
    const body = Buffer.from(await request.arrayBuffer());
    const post = () =>
      new Promise<string>((resolve, reject) => {
        const sent = httpRequest(
          `${sim.url}/api/v2/jobs/submit/imputationserver2`,
          {
            method: 'POST',
            agent: false,
            headers: { 'X-Auth-Token': token, 'Content-Type': request.headers.get('content-type') ?? '' },
          },
          async (response) => {
            const chunks: Buffer[] = [];
            for await (const chunk of response) chunks.push(chunk as Buffer);
            resolve((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
          },
        );
        sent.on('error', reject);
        sent.end(body);
      });
    const answers = Promise.all([post(), post(), post()]);
    await vi.waitUntil(() => sim.held === 3);
    open();
    const ids = await answers;
    expect(new Set(ids).size).toBe(3);
    expect(sim.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
  });

  it('picks a scenario per submission when given a function', async () => {
    const sim = await simulator({
      concurrencyLimit: 10,
      scenario: (submission) => (submission.fields['job-name']?.includes('bad') ? 'fail' : 'success'),
    });
    const token = sim.addUser({ username: 'ann' });
    const good = await idOf(await submit(sim, token, { 'job-name': 'good' }));
    const bad = await idOf(await submit(sim, token, { 'job-name': 'bad' }));
    sim.advance(TIMING.queueMs + TIMING.runMs + TIMING.exportMs);
    expect([sim.stateOf(sim.job(good)), sim.stateOf(sim.job(bad))]).toEqual([4, 5]);
  });
});

describe('result downloads', () => {
  it('counts downloads at the share URL only, and lists nothing once the job is retired (7)', async () => {
    const sim = await simulator({
      maxDownloadsPerFile: 1,
      resultFiles: [{ name: 'a.zip', size: 10, redirect: true }],
    });
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    sim.setJobState(id, 4);
    const file = sim.job(id).results[0]!;
    const share = await get(sim, `/share/results/${file.hash}/a.zip`);
    expect(share.status).toBe(302);
    const location = share.headers.get('location')!;
    expect((await fetch(location)).status).toBe(200);
    expect((await fetch(location)).status).toBe(200);
    expect((await fetch(location.replace(/X-Amz-Signature=\w+/, 'X-Amz-Signature=forged'))).status).toBe(403);
    const exhausted = await get(sim, `/share/results/${file.hash}/a.zip`);
    expect([exhausted.status, await exhausted.json()]).toEqual([
      400,
      { success: false, message: 'number of max downloads exceeded.' },
    ]);
    sim.setJobState(id, 7);
    const retired = (await (await get(sim, `/api/v2/jobs/${id}`, token)).json()) as {
      outputParams: unknown[];
    };
    expect(retired.outputParams).toEqual([]);
    expect((await get(sim, `/share/results/${file.hash}/a.zip`)).status).toBe(404);
  });

  it('generates the same bytes for the same seed, at any size, with a matching digest', async () => {
    const bytes = Buffer.concat(await Readable.from(resultStream('seed', 200_003)).toArray());
    expect(bytes.length).toBe(200_003);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(resultSha256('seed', 200_003));
    expect(resultSha256('seed', 200_003)).not.toBe(resultSha256('other seed', 200_003));
    expect([humanSize(760), humanSize(5 * 1024), humanSize(314 * 1024 * 1024)]).toEqual([
      '760 bytes',
      '5 KB',
      '314 MB',
    ]);
  });
});

describe('the streaming multipart parser', () => {
  it('parses a body whose boundaries are split across 1-byte chunks', async () => {
    const file = Buffer.concat([...resultChunks('file', 5000)]);
    const body = multipartBody(
      [
        ['refpanel', 'apps@hapmap-2'],
        ['password', 'p\u00e4ss'],
      ],
      [{ field: 'files', fileName: 'a.vcf.gz', size: file.length, open: () => [file] }],
    );
    const bytes = Buffer.concat(await Readable.fromWeb(body.stream as never).toArray());
    expect(bytes.length).toBe(body.contentLength);
    const oneByteChunks = (async function* () {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    })();
    expect(await parseMultipart(oneByteChunks, body.contentType)).toEqual([
      { name: 'refpanel', fileName: undefined, bytes: 13, value: 'apps@hapmap-2' },
      { name: 'password', fileName: undefined, bytes: 5, value: 'p\u00e4ss' },
      {
        name: 'files',
        fileName: 'a.vcf.gz',
        bytes: 5000,
        sha256: createHash('sha256').update(file).digest('hex'),
      },
    ]);
  });
});

describe('persistence and the admin API', () => {
  it('keeps users, jobs and download counts in the state file across restarts', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'cloudgene-sim-')), 'simulator.json');
    const first = await simulator({ stateFile });
    const token = first.addUser({ username: 'ann' });
    const id = await idOf(await submit(first, token));
    first.setJobState(id, 4);
    const file = first.job(id).results[0]!;
    await (await get(first, `/share/results/${file.hash}/${file.name}`)).arrayBuffer();
    await first.close();

    const second = await simulator({ stateFile });
    expect((await get(second, `/api/v2/jobs/${id}`, token)).status).toBe(200);
    expect(second.job(id).results[0]?.downloads).toBe(1);
    const again = Buffer.from(
      await (await get(second, `/share/results/${file.hash}/${file.name}`)).arrayBuffer(),
    );
    expect(createHash('sha256').update(again).digest('hex')).toBe(
      second.expectedResult(id, file.name).sha256,
    );
  });

  it('lets another process create users, move jobs, inject faults and advance the clock', async () => {
    const sim = await simulator();
    const admin = (path: string, body?: unknown) =>
      fetch(`${sim.url}/__admin/${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) }).then(
        async (r) => [r.status, await r.json()] as const,
      );
    const [, created] = await admin('users', { username: 'ann' });
    const token = (created as { token: string }).token;
    const id = await idOf(await submit(sim, token));
    expect(await admin(`jobs/${id}/state`, { state: 5, message: 'Error: broken input.' })).toEqual([
      200,
      { id, state: 5 },
    ]);
    await admin('faults', { pathRegex: '^/api/v2/jobs/', status: 503 });
    expect((await get(sim, `/api/v2/jobs/${id}`, token)).status).toBe(503);
    const [, clock] = await admin('clock', { advanceMs: 31 * 86_400_000 });
    expect((clock as { now: number }).now).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect((await get(sim, '/api/v2/jobs', token)).status).toBe(401);
    expect(sim.requests.some((r) => r.path.startsWith('/__admin'))).toBe(false);
  });
});
