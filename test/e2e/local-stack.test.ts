import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIssuer } from '#infra/local/local-stack';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { type LocalProcess, startLocalProcess } from './local-process';

let stack: LocalProcess;
const timings: Record<string, number> = {};

beforeAll(async () => {
  stack = await startLocalProcess();
  timings.startToHealthyMs = stack.startupMs;
}, 90_000);
afterAll(async () => {
  await stack?.stop();
  console.log(`e2e timings: ${JSON.stringify(timings)}`);
});

/**
 * Child processes run asynchronously: a synchronous one blocks this process's event loop for seconds
 * on a loaded machine, while fetch's kept-alive sockets idle past the servers' keep-alive timeout; the
 * next request then picks a socket the server already closed ("other side closed").
 */
const run = promisify(execFile);

/** A platform token for a user, from the same script the README uses. */
async function platformToken(username: string, dataDir = stack.dataDir): Promise<string> {
  const { stdout } = await run('npm', ['run', '--silent', 'token', '--', username], {
    env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  return stdout.trim();
}

async function call(token: string | null, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.api}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function simulatorAdmin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.simulatorUrl()}/__admin${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

/** Stores a service token, uploads a VCF with plain fetch, creates a job: everything over HTTP. */
async function researcherWithJob(username: string, jobName = 'e2e job') {
  const token = await platformToken(username);
  const serviceToken = ((await simulatorAdmin('POST', '/users', { username })) as { token: string }).token;
  expect((await call(token, 'PUT', '/me/credentials/michigan', { token: serviceToken })).status).toBe(201);
  const options = await call(token, 'GET', '/services/michigan/options');
  expect(options.status).toBe(200);
  const file = makeVcfGz({ samples: 40, records: 500 });
  const upload = await call(token, 'POST', '/uploads', { fileName: 'e2e.vcf.gz', size: file.length });
  expect(upload.status).toBe(201);
  const put = await fetch(upload.body.uploadUrl, { method: 'PUT', body: file, headers: upload.body.headers });
  expect(put.status).toBe(200);
  expect((await call(token, 'GET', `/uploads/${upload.body.upload.uploadId}`)).body.status).toBe('READY');
  const job = await call(token, 'POST', '/jobs', {
    name: jobName,
    serviceId: 'michigan',
    refPanel: options.body.refPanels[0].id,
    build: 'hg19',
    phasing: 'eagle',
    population: 'off',
    mode: 'imputation',
    r2Filter: 0,
    uploadIds: [upload.body.upload.uploadId],
  });
  expect(job.status).toBe(202);
  return { token, jobId: job.body.jobId as string, uploadId: upload.body.upload.uploadId as string };
}

async function waitForStatus(token: string, jobId: string, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call(token, 'GET', `/jobs/${jobId}`);
    if (statuses.includes(job.body?.status)) return job.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stayed ${job.body?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the local stack over HTTP', () => {
  it('runs the README walkthrough to a downloaded result', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /<!-- walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(
      readme,
    )?.[1];
    expect(block).toBeDefined();
    // Inside the repository, as a newcomer would run it (npm finds the package from there); gitignored.
    const workdir = join('.local-e2e', `walkthrough-${Date.now()}`);
    mkdirSync(workdir, { recursive: true });
    const started = Date.now();
    const walkthrough = run('bash', ['-e', '-c', block!], {
      cwd: workdir,
      env: { ...process.env, API: stack.api, LOCAL_DATA_DIR: stack.dataDir },
      encoding: 'utf8',
    });
    walkthrough.child.stderr?.pipe(process.stderr);
    const output = (await walkthrough).stdout;
    timings.walkthroughMs = Date.now() - started;
    expect(output).toContain('READY');
    expect(output).toContain('SUCCEEDED');
    const results = JSON.parse(readFileSync(join(workdir, 'results.json'), 'utf8')) as {
      files: { name: string; sha256: string }[];
    };
    const first = results.files[0]!;
    const downloaded = readFileSync(join(workdir, first.name.replaceAll('/', '_')));
    // The recorded hash was computed while copying the simulator's stream.
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(first.sha256);
    rmSync(workdir, { recursive: true, force: true });
  }, 120_000);

  it('takes a job from upload to downloaded results, byte for byte, with its password', async () => {
    const started = Date.now();
    const { token, jobId } = await researcherWithJob('erin');
    const done = await waitForStatus(token, jobId, ['SUCCEEDED', 'FAILED']);
    timings.jobToSucceededMs = Date.now() - started;
    expect(done.status).toBe('SUCCEEDED');
    const results = await call(token, 'GET', `/jobs/${jobId}/results`);
    expect(results.body.files.length).toBeGreaterThanOrEqual(4);
    for (const file of results.body.files) {
      const bytes = Buffer.from(await (await fetch(file.url)).arrayBuffer());
      expect(bytes.length).toBe(file.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    }
    const password = await call(token, 'GET', `/jobs/${jobId}/password`);
    expect(password.body.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  }, 90_000);

  it('reports a failing job with the service message', async () => {
    await simulatorAdmin('PATCH', '/settings', { scenario: 'fail' });
    const { token, jobId } = await researcherWithJob('frank');
    const failed = await waitForStatus(token, jobId, ['FAILED', 'SUCCEEDED']);
    await simulatorAdmin('PATCH', '/settings', { scenario: 'success' });
    expect(failed.status).toBe('FAILED');
    expect(failed.error.code).toBe('SERVICE_JOB_FAILED');
  }, 90_000);

  it('cancels a job queued at the service', async () => {
    await simulatorAdmin('PATCH', '/settings', { scenario: 'manual' });
    const { token, jobId } = await researcherWithJob('gina');
    await waitForStatus(token, jobId, ['QUEUED_REMOTE']);
    await simulatorAdmin('PATCH', '/settings', { scenario: 'success' });
    expect((await call(token, 'POST', `/jobs/${jobId}/cancel`)).status).toBe(202);
    const canceled = await waitForStatus(token, jobId, ['CANCELED']);
    expect(canceled.events.map((e: { to: string }) => e.to)).toContain('CANCEL_REQUESTED');
  }, 90_000);

  it("keeps two users from seeing each other's jobs, uploads and tokens", async () => {
    const { token: hank, jobId, uploadId } = await researcherWithJob('hank');
    const ivy = await platformToken('ivy');
    expect((await call(ivy, 'GET', `/jobs/${jobId}`)).status).toBe(404);
    expect((await call(ivy, 'POST', `/jobs/${jobId}/cancel`)).status).toBe(404);
    expect((await call(ivy, 'GET', `/jobs/${jobId}/results`)).status).toBe(404);
    expect((await call(ivy, 'GET', `/jobs/${jobId}/password`)).status).toBe(404);
    expect((await call(ivy, 'DELETE', `/jobs/${jobId}`)).status).toBe(404);
    expect((await call(ivy, 'GET', `/uploads/${uploadId}`)).status).toBe(404);
    expect((await call(ivy, 'GET', '/jobs')).body.jobs).toEqual([]);
    expect((await call(ivy, 'GET', '/uploads')).body.uploads).toEqual([]);
    expect((await call(ivy, 'GET', '/me/credentials')).body.credentials).toEqual([]);
    expect((await call(ivy, 'DELETE', '/me/credentials/michigan')).status).toBe(404);
    expect((await call(hank, 'GET', '/me/credentials')).body.credentials).toHaveLength(1);
    await waitForStatus(hank, jobId, ['SUCCEEDED']);
  }, 90_000);

  it('answers 401 in the API error shape to a garbage or expired JWT and to no token', async () => {
    // Signed by the stack's own issuer key with every claim right, but expired a minute ago.
    const issuer = localIssuer(stack.dataDir);
    const now = Math.floor(Date.now() / 1000);
    const expired = issuer.sign({
      iss: issuer.issuer,
      aud: issuer.audience,
      sub: 'kim-sub',
      preferred_username: 'kim',
      iat: now - 3600,
      nbf: now - 3600,
      exp: now - 60,
    });
    for (const token of [null, 'garbage', `${(await platformToken('kim')).slice(0, -4)}AAAA`, expired]) {
      const result = await call(token, 'GET', '/jobs');
      expect(result.status).toBe(401);
      expect(result.body.error.code).toBe('UNAUTHORIZED');
    }
  });

  it('explains a busy port instead of printing a stack trace', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      env: { ...process.env, PORT: new URL(stack.api).port, LOCAL_DATA_DIR: join(stack.dataDir, 'second') },
      encoding: 'utf8',
    }).then(
      () => ({ status: 0, stderr: '' }),
      (error: { code?: number; stderr: string }) => ({ status: error.code, stderr: error.stderr }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^Port \d+ \(API\) is already in use: stop the other process, or set PORT/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('loses nothing across a restart in the middle of a job', async () => {
    await simulatorAdmin('PATCH', '/settings', { timing: { queueMs: 300, runMs: 6000, exportMs: 200 } });
    const { token, jobId, uploadId } = await researcherWithJob('lena', 'survives a restart');
    await waitForStatus(token, jobId, ['RUNNING', 'QUEUED_REMOTE']);
    const { dataDir, env } = stack;
    await stack.stop();
    stack = await startLocalProcess({ dataDir, port: Number(env.PORT), env: { SIMULATOR_RUN_MS: '1500' } });
    timings.restartToHealthyMs = stack.startupMs;
    expect((await call(token, 'GET', '/me/credentials')).body.credentials).toHaveLength(1);
    expect((await call(token, 'GET', `/uploads/${uploadId}`)).body.status).toBe('READY');
    const done = await waitForStatus(token, jobId, ['SUCCEEDED', 'FAILED', 'EXPIRED']);
    expect(done.status).toBe('SUCCEEDED');
    expect((await call(token, 'GET', `/jobs/${jobId}/results`)).body.files.length).toBeGreaterThan(0);
  }, 120_000);
});
