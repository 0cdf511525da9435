/**
 * The simulator's fault switches as they look on the wire and in `requests`, below what the client tests
 * see through CloudgeneClient: which requests a rule matches and how often, what a held request does,
 * and the answer modes (dropped after processing, cut halfway, stalled halfway) on JSON and on downloads.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';

/** Large enough that a cut download has sent part of its half before the socket goes. */
const MIB = 1024 * 1024;
const started: CloudgeneSimulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

async function simulator() {
  const sim = await startCloudgeneSimulator({
    timing: { queueMs: 1000, runMs: 1000, exportMs: 1000 },
    resultFiles: [{ name: 'big.bin', size: MIB }],
  });
  started.push(sim);
  return { sim, token: sim.addUser({ username: 'ann' }) };
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the whole declared body arrived. */
  complete: boolean;
}

/**
 * One request with node:http, which (unlike fetch) shows a cut body as such. `stopAfter` bytes: give up
 * once that much of the body has arrived (a stalled answer never ends).
 */
function raw(
  sim: CloudgeneSimulator,
  path: string,
  options: { method?: string; token?: string; body?: string; stopAfter?: number } = {},
): Promise<RawAnswer | 'reset'> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = options.token ? { 'X-Auth-Token': options.token } : {};
    if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(`${sim.url}${path}`, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
        });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (options.stopAfter !== undefined && Buffer.concat(chunks).length >= options.stopAfter) {
          done();
          req.destroy();
        }
      });
      res.on('error', () => undefined);
      res.on('close', done);
    });
    req.on('error', () => resolve('reset'));
    req.end(options.body);
  });
}

/**
 * A cut answer: never the whole body, at most its first half under the full Content-Length. The socket is
 * destroyed right after the half is written, so what was still buffered is lost: a small JSON answer
 * loses everything, headers included (the client sees a reset); a large download arrives in part.
 */
function expectCut(cut: RawAnswer | 'reset', whole: RawAnswer, { partial }: { partial: boolean }): void {
  if (!partial) {
    expect(cut === 'reset' || !cut.complete).toBe(true);
    return;
  }
  expect(cut).not.toBe('reset');
  const answer = cut as RawAnswer;
  expect(answer.complete).toBe(false);
  expect(answer.headers['content-length']).toBe(String(whole.body.length));
  expect(answer.body.length).toBeGreaterThan(0);
  expect(answer.body.length).toBeLessThanOrEqual(Math.floor(whole.body.length / 2));
  expect(answer.body).toEqual(whole.body.subarray(0, answer.body.length));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('fault rules', () => {
  it('match by method and path prefix or pattern, for `times` requests, then the route answers', async () => {
    const { sim, token } = await simulator();
    sim.failNext({ method: 'GET', path: /^\/api\/v2\/jobs$/, status: 503, times: 2 });
    sim.failNext({ path: '/api/v2/server/apps', status: 500, body: 'Internal Server Error' });
    const maintenance = await raw(sim, '/api/v2/jobs', { token });
    expect(maintenance).toMatchObject({ status: 503, complete: true });
    expect((maintenance as RawAnswer).headers['content-type']).toBe('text/plain');
    expect((maintenance as RawAnswer).body.toString()).toBe(
      'This functionality is currently under maintenance.',
    );
    // Another method, and a path the pattern does not cover, are served while the rule lasts.
    expect(await raw(sim, '/api/v2/jobs', { method: 'DELETE', token })).toMatchObject({ status: 404 });
    expect(await raw(sim, '/api/v2/jobs/x', { token })).toMatchObject({ status: 404 });
    expect(await raw(sim, '/api/v2/jobs', { token })).toMatchObject({ status: 503 });
    expect(await raw(sim, '/api/v2/jobs', { token })).toMatchObject({ status: 200, complete: true });
    const apps = (await raw(sim, '/api/v2/server/apps/imputationserver2', { token })) as RawAnswer;
    expect([apps.status, apps.body.toString()]).toEqual([500, 'Internal Server Error']);
    expect(await raw(sim, '/api/v2/server/apps/imputationserver2', { token })).toMatchObject({
      status: 200,
    });
    expect(sim.requests.map((r) => [r.method, r.status, r.outcome])).toEqual([
      ['GET', 503, 'answered'],
      ['DELETE', 404, 'answered'],
      ['GET', 404, 'answered'],
      ['GET', 503, 'answered'],
      ['GET', 200, 'answered'],
      ['GET', 500, 'answered'],
      ['GET', 200, 'answered'],
    ]);
  });

  it('hold a request until the gate opens (counted in `held`), then serve it normally', async () => {
    const { sim, token } = await simulator();
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    sim.failNext({ path: '/api/v2/server', gate });
    const answer = raw(sim, '/api/v2/server', { token });
    await until(() => sim.held === 1);
    expect(sim.requests).toEqual([]);
    open();
    expect(await answer).toMatchObject({ status: 200, complete: true });
    expect(sim.held).toBe(0);
  });

  it('reset the connection without an answer, or drop it after processing (the job exists)', async () => {
    const { sim, token } = await simulator();
    sim.failNext({ path: '/api/v2/server', status: 'reset' });
    expect(await raw(sim, '/api/v2/server')).toBe('reset');
    const boundary = 'b0undary';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="refpanel"\r\n\r\napps@hapmap-2@2.0.0\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.vcf.gz"\r\n\r\nvcf\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', status: 'reset-after' });
    const dropped = await new Promise<string>((resolve) => {
      const req = httpRequest(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', () => resolve('answered'));
      req.on('error', () => resolve('reset'));
      req.end(body);
    });
    expect(dropped).toBe('reset');
    expect(sim.jobs.map((j) => j.files.map((f) => f.name))).toEqual([['a.vcf.gz']]);
    expect(sim.requests.map((r) => [r.method, r.path, r.status, r.outcome])).toEqual([
      ['GET', '/api/v2/server', 0, 'reset'],
      ['DROPPED', '/api/v2/jobs/submit/imputationserver2', 200, 'dropped'],
    ]);
  });
});

describe('answer modes', () => {
  it('cut a JSON answer (`truncate`): headers and half the body arrive, never complete, logged as truncated', async () => {
    const { sim, token } = await simulator();
    const whole = (await raw(sim, '/api/v2/server/apps/imputationserver2', { token })) as RawAnswer;
    sim.failNext({ path: '/api/v2/server/apps', status: 'truncate' });
    expectCut(await raw(sim, '/api/v2/server/apps/imputationserver2', { token }), whole, { partial: true });
    expect(sim.requests.at(-1)).toMatchObject({ status: 200, outcome: 'truncated' });
  });

  it('send half of a download, then nothing more (`stall`), or cut it there (`truncate`)', async () => {
    const { sim, token } = await simulator();
    const id = (await (await submitWith(sim, token)).json()) as { id: string };
    sim.setJobState(id.id, 4);
    const file = sim.job(id.id).results[0]!;
    const share = `/share/results/${file.hash}/big.bin`;
    const whole = (await raw(sim, share)) as RawAnswer;
    expect([whole.status, whole.headers['content-type'], whole.body.length]).toEqual([
      200,
      'application/octet-stream',
      MIB,
    ]);

    sim.failNext({ path: '/share/results/', status: 'stall' });
    const stalled = (await raw(sim, share, { stopAfter: MIB / 2 })) as RawAnswer;
    expect(stalled.body).toEqual(whole.body.subarray(0, MIB / 2));
    await until(() => sim.requests.at(-1)?.outcome === 'stalled');

    sim.failNext({ path: '/share/results/', status: 'truncate' });
    expectCut(await raw(sim, share), whole, { partial: true });
    await until(() => sim.requests.at(-1)?.outcome === 'truncated');
    // Every attempt that reached the file counted against its download limit.
    expect(file.downloads).toBe(3);
  });
});

function submitWith(sim: CloudgeneSimulator, token: string): Promise<Response> {
  const form = new FormData();
  form.set('refpanel', 'apps@hapmap-2@2.0.0');
  form.append('files', new Blob(['vcf']), 'chr20.vcf.gz');
  return fetch(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token },
    body: form,
  });
}
