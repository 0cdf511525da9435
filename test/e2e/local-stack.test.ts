/**
 * `npm start` in a child process, driven over HTTP only, every answer checked against the OpenAPI
 * document: the README's scripts, jobs end to end, isolation between users, restarts. (A little over 300
 * lines: the suite shares one started stack, which a split would start twice.)
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localIssuer } from '#infra/local/local-stack';
import { routes } from '#shared/api/routes';
import { createJobBody } from '#test/support/job-fixtures';
import { signIn } from '#test/support/oidc-browser';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { type LocalProcess, startLocalProcess } from './local-process';
import { startValidatingProxy, type ValidatingProxy } from './validating-proxy';

let stack: LocalProcess;
/** Every API call of this suite goes through it: each answer is checked against the OpenAPI document. */
let api: ValidatingProxy;
const timings: Record<string, number> = {};

const MIB = 1024 ** 2;

beforeAll(async () => {
  // Multipart from 5 MiB, so the README's multipart script runs on a file of a few parts.
  stack = await startLocalProcess({
    env: {
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * MIB),
      UPLOAD_PART_SIZE_BYTES: String(5 * MIB),
      WATCH_INTERVAL_MS: '300',
    },
  });
  timings.startToHealthyMs = stack.startupMs;
  api = await startValidatingProxy(() => stack.api);
}, 90_000);
afterEach(() => {
  expect(api?.takeViolations() ?? []).toEqual([]);
});
afterAll(async () => {
  timings.validatedResponses = api?.checked ?? 0;
  await api?.close();
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

/** An API call through the validating proxy; an answer that does not match the document fails here. */
async function call(token: string | null, method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(api.takeViolations()).toEqual([]);
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The bash block of the README between `<!-- name:start -->` and `<!-- name:end -->`. */
function readmeBlock(name: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const pattern = new RegExp(
    `<!-- ${name}:start -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`,
  );
  const block = pattern.exec(readme)?.[1];
  expect(block, name).toBeDefined();
  return block!;
}

/** Runs a script with `bash -e`, its stderr shown, and resolves with its stdout (rejects on failure). */
function runBash(script: string, cwd: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`bash exited ${code}:\n${output}`)),
    );
  });
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
  const job = await call(
    token,
    'POST',
    '/jobs',
    createJobBody({
      name: jobName,
      refPanel: options.body.refPanels[0].id,
      population: 'off',
      uploadIds: [upload.body.upload.uploadId],
    }),
  );
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
    const block = readmeBlock('walkthrough');
    // Inside the repository, as a newcomer would run it (npm finds the package from there); gitignored.
    const workdir = join('.local-e2e', `walkthrough-${Date.now()}`);
    mkdirSync(workdir, { recursive: true });
    const started = Date.now();
    const checkedBefore = api.checked;
    // Asynchronously: its curl calls go through the validating proxy, which runs in this process.
    const output = await runBash(block!, workdir, { API: api.url, LOCAL_DATA_DIR: stack.dataDir });
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
    // Its curl calls were validated too: 7 calls plus at least one poll of the job.
    expect(api.checked - checkedBefore).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it("uploads a large file in parts with the README's multipart script", async () => {
    // In the shell the walkthrough's first step leaves: API, AUTH and json set.
    const setup = readmeBlock('walkthrough').split('\n# 2.')[0]!;
    const workdir = join('.local-e2e', `multipart-${Date.now()}`);
    mkdirSync(workdir, { recursive: true });
    const file = randomBytes(11 * MIB + 7);
    writeFileSync(join(workdir, 'large.chr20.vcf.gz'), file);
    const checkedBefore = api.checked;
    const output = await runBash(`${setup}\n${readmeBlock('multipart')}`, workdir, {
      API: api.url,
      LOCAL_DATA_DIR: stack.dataDir,
      FILE: 'large.chr20.vcf.gz',
    });
    rmSync(workdir, { recursive: true, force: true });
    expect(output.trim().split('\n').slice(-2)).toEqual(['multipart', 'READY']);
    // Announce, list, sign each of the 3 parts, list, complete: all answers validated.
    expect(api.checked - checkedBefore).toBeGreaterThanOrEqual(7);
    const token = await platformToken('alice');
    const uploads = (await call(token, 'GET', '/uploads')).body.uploads as { fileName: string }[];
    expect(uploads.find((u) => u.fileName === 'large.chr20.vcf.gz')).toMatchObject({
      transfer: 'multipart',
      status: 'READY',
      size: file.length,
    });
  }, 60_000);

  it("watches every service: GET /services shows each one's health, an outage and maintenance, and the recovery", async () => {
    const token = await platformToken('hedda');
    const statuses = async () =>
      (
        (await call(token, 'GET', '/services')).body.services as {
          id: string;
          health: { status: string } | null;
        }[]
      ).map((service) => [service.id, service.health?.status ?? null]);
    const allUp = [
      ['michigan', 'UP'],
      ['topmed', 'UP'],
      ['h3africa', 'UP'],
    ];
    const reach = async (wanted: string[][]) => {
      for (let tries = 0; tries < 100; tries++) {
        const now = await statuses();
        if (JSON.stringify(now) === JSON.stringify(wanted)) return now;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return statuses();
    };
    expect(await reach(allUp)).toEqual(allUp);
    const service = (await call(token, 'GET', '/services/michigan')).body;
    expect(service.health).toMatchObject({ status: 'UP', availability24h: 1, lastError: null });
    expect(service.health.latencyMs).toBeGreaterThanOrEqual(0);

    // A proxy's 502 page in front of TOPMed, then maintenance at H3Africa, each held until cleared.
    const admin = (serviceId: string, body: unknown) =>
      fetch(`${stack.endpoints().simulators[serviceId as 'topmed']}/__admin/settings`, {
        method: 'PATCH',
        body: JSON.stringify(body),
      });
    await admin('topmed', { down: { mode: 'html-502' } });
    await admin('h3africa', { maintenance: { message: 'Upgrading the panel.' } });
    try {
      expect(
        await reach([
          ['michigan', 'UP'],
          ['topmed', 'DOWN'],
          ['h3africa', 'MAINTENANCE'],
        ]),
      ).toEqual([
        ['michigan', 'UP'],
        ['topmed', 'DOWN'],
        ['h3africa', 'MAINTENANCE'],
      ]);
      const topmed = (await call(token, 'GET', '/services/topmed')).body.health;
      expect(topmed.lastError.detail).toBe('server info: an HTML page with status 502');
      expect(topmed.availability24h).toBeLessThan(1);
    } finally {
      await admin('topmed', { down: null });
      await admin('h3africa', { maintenance: null });
    }
    expect(await reach(allUp)).toEqual(allUp);
  });

  it('serves its OpenAPI document without a token, with itself as the server', async () => {
    const response = await fetch(`${stack.api}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: stack.api, description: 'This local stack' }]);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path} ${r.id}`).sort());
  });

  it('refuses invalid requests with the documented 400s', async () => {
    const token = await platformToken('olga');
    const badId = await call(token, 'GET', '/jobs/not-a-job-id');
    expect(badId).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(badId.body.error.details).toEqual([{ in: 'path', path: 'jobId', message: 'not a job id' }]);
    const badBody = await call(token, 'POST', '/uploads', { fileName: '../x.vcf.gz', size: -1 });
    expect(badBody.status).toBe(400);
    const fields = new Set(badBody.body.error.details.map((d: { path: string }) => d.path));
    expect([...fields].sort()).toEqual(['fileName', 'size']);
    const badQuery = await call(token, 'GET', '/jobs?limit=1000&status=DONE');
    expect(badQuery.body.error.details).toHaveLength(2);
    expect((await call(token, 'GET', '/services/nowhere')).body.error.code).toBe('SERVICE_NOT_FOUND');
    expect((await call(token, 'GET', '/services/michigan/options')).body.error.code).toBe(
      'SERVICE_TOKEN_MISSING',
    );
  });

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

  it('signs in at its identity provider as the console does; the API takes that ID token as the same user as npm run token', async () => {
    const { console: consoleUrl, identityProvider } = stack.endpoints();
    const config = (await (await fetch(`${consoleUrl}/config.json`)).json()) as {
      oidc: { authority: string; clientId: string };
    };
    expect(config).toEqual({
      apiUrl: stack.api,
      oidc: { authority: identityProvider, clientId: 'imputation-gateway-local', scope: 'openid profile' },
      environment: 'local',
    });
    const { tokens } = await signIn(
      {
        issuer: config.oidc.authority,
        clientId: config.oidc.clientId,
        redirectUri: `${consoleUrl}/callback`,
        origin: consoleUrl,
      },
      'nina',
    );
    const serviceToken = ((await simulatorAdmin('POST', '/users', { username: 'nina' })) as { token: string })
      .token;
    const fromCommandLine = await platformToken('nina');
    expect(
      (await call(fromCommandLine, 'PUT', '/me/credentials/michigan', { token: serviceToken })).status,
    ).toBe(201);
    const listed = await call(tokens.id_token, 'GET', '/me/credentials');
    expect(listed.status).toBe(200);
    expect(listed.body.credentials).toHaveLength(1);
  });

  it('answers CORS for the console origin only, on the API and on the buckets, as deployed', async () => {
    const { console: origin, s3 } = stack.endpoints();
    const elsewhere = 'http://127.0.0.1:1';
    const preflight = (from: string) =>
      fetch(`${stack.api}/jobs`, {
        method: 'OPTIONS',
        headers: {
          Origin: from,
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
    const allowed = await preflight(origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect((await preflight(elsewhere)).headers.get('access-control-allow-origin')).toBeNull();
    const token = await platformToken('nina');
    const answer = await fetch(`${stack.api}/jobs`, {
      headers: { Authorization: `Bearer ${token}`, Origin: origin },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    const bucketPreflight = (from: string) =>
      fetch(`${s3}/imputation-inputs/uploads/x.vcf.gz`, {
        method: 'OPTIONS',
        headers: { Origin: from, 'Access-Control-Request-Method': 'PUT' },
      });
    // s3rver answers an allowed preflight with '*' (S3 itself echoes the origin); the rule is what counts.
    expect((await bucketPreflight(origin)).status).toBe(200);
    const refused = await bucketPreflight(elsewhere);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

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
    stack = await startLocalProcess({
      dataDir,
      port: Number(env.PORT),
      env: { IDP_PORT: env.IDP_PORT!, CONSOLE_PORT: env.CONSOLE_PORT!, SIMULATOR_RUN_MS: '1500' },
    });
    timings.restartToHealthyMs = stack.startupMs;
    expect((await call(token, 'GET', '/me/credentials')).body.credentials).toHaveLength(1);
    expect((await call(token, 'GET', `/uploads/${uploadId}`)).body.status).toBe('READY');
    const done = await waitForStatus(token, jobId, ['SUCCEEDED', 'FAILED', 'EXPIRED']);
    expect(done.status).toBe('SUCCEEDED');
    expect((await call(token, 'GET', `/jobs/${jobId}/results`)).body.files.length).toBeGreaterThan(0);
  }, 120_000);
});
