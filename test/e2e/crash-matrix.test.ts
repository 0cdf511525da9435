/**
 * The crash matrix: `npm start` in a child process holds jobs in every state a job can be in before it is
 * over, is killed with SIGKILL (its whole process group, nothing flushed, no handler run), and is started
 * again on the same data. Every job must then reach the end it would have reached without the crash, with
 * exactly one submission per job at the service, at most one download per result file, nothing left
 * running at the service, and no upload lease left behind by a task that died.
 *
 * The states at the crash, and how each is held there (the simulator's fault switches are in memory, so
 * the restart clears them):
 * - VALIDATING: a 40 MB input whose last line is out of order, read in many small invocations
 *   (VALIDATION_BUDGET_MS) — it must end FAILED with that line named, as without the crash.
 * - SUBMITTING: the service holds the submission upload.
 * - WAITING_FOR_SLOT: the owner's jobs at the service started elsewhere fill their limit.
 * - QUEUED_REMOTE, RUNNING: the service keeps them queued / running until it is told otherwise.
 * - COPYING_RESULTS: the service holds the download of the result zip; the other files are copied.
 * - CANCEL_REQUESTED: the service answers 503 to the cancel.
 *
 * It prints, per state, the time from the restarted stack answering /health to the job's next state.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RESOURCES } from '#infra/local/local-environment';
import { localIssuer } from '#infra/local/local-stack';
import { localUser } from '#infra/local/local-users';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz, storedBgzf } from '#test/support/vcf-fixtures';
import { type LocalProcess, startLocalProcess } from './local-process';

let stack: LocalProcess;

// biome-ignore lint/suspicious/noExplicitAny: API answers and table items, read field by field in the assertions
type Json = Record<string, any>;

const BASE_ENV = { WATCH_INTERVAL_MS: '250', WORKFLOW_TIME_SCALE: '120' };

beforeAll(async () => {
  stack = await startLocalProcess({
    env: {
      ...BASE_ENV,
      VALIDATION_BUDGET_MS: '5',
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(200 * 1024 ** 2),
    },
  });
}, 90_000);
afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function platformToken(username: string): string {
  return localIssuer(stack.dataDir).tokenFor(localUser(username));
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.api}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.simulatorUrl()}/__admin${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator admin ${method} ${path}: ${response.status}`);
  return response.json();
}

interface Researcher {
  name: string;
  token: string;
  /** The user's name at the service. */
  serviceUser: string;
  jobId?: string;
}

async function researcher(name: string): Promise<Researcher> {
  const token = platformToken(name);
  const serviceUser = `${name}-mis`;
  const { token: serviceToken } = (await admin('POST', '/users', { username: serviceUser })) as {
    token: string;
  };
  expect((await call(token, 'PUT', '/me/credentials/michigan', { token: serviceToken })).status).toBe(201);
  return { name, token, serviceUser };
}

let refPanel: string;

async function createJob(who: Researcher, file: Buffer, waitForCheck = true): Promise<string> {
  refPanel ??= (await call(who.token, 'GET', '/services/michigan/options')).body.refPanels[0].id;
  const upload = await call(who.token, 'POST', '/uploads', {
    fileName: `${who.name}.chr20.vcf.gz`,
    size: file.length,
  });
  expect(upload.status).toBe(201);
  const put = await fetch(upload.body.uploadUrl, { method: 'PUT', body: file, headers: upload.body.headers });
  expect(put.status).toBe(200);
  const uploadId = upload.body.upload.uploadId as string;
  if (waitForCheck)
    await waitFor(who, `/uploads/${uploadId}`, ['READY'], (u) => u.check?.status !== 'CHECKING');
  const job = await call(
    who.token,
    'POST',
    '/jobs',
    createJobBody({ name: `crash ${who.name}`, refPanel, population: 'off', uploadIds: [uploadId] }),
  );
  expect(job.status, JSON.stringify(job.body)).toBe(202);
  who.jobId = job.body.jobId as string;
  return who.jobId;
}

async function waitFor(
  who: Researcher,
  path: string,
  statuses: string[],
  also: (body: Json) => boolean = () => true,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(who.token, 'GET', path);
    if (statuses.includes(body?.status) && also(body)) return body;
    if (Date.now() > deadline) throw new Error(`${who.name}: ${path} stayed ${body?.status}`);
    await sleep(everyMs);
  }
}

const jobStatus = (who: Researcher, statuses: string[], timeoutMs?: number, everyMs?: number) =>
  waitFor(who, `/jobs/${who.jobId}`, statuses, undefined, timeoutMs, everyMs);

/** A valid chromosome-20 VCF of about `bytes` (stored BGZF: as large as its text), its last line out of order. */
function largeInputBrokenAtTheEnd(bytes: number): { file: Buffer; badLine: number } {
  const samples = 100;
  const header = [
    '##fileformat=VCFv4.2',
    '##contig=<ID=20>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
      .concat(Array.from({ length: samples }, (_, i) => `S${i + 1}`))
      .join('\t'),
  ];
  const genotypes = ['0|0', '0|1', '1|0', '1|1'];
  const lines = [...header];
  let size = header.join('\n').length;
  for (let record = 0; size < bytes; record++) {
    const calls = Array.from({ length: samples }, (_, s) => genotypes[(record * 7 + s * 13) % 4]).join('\t');
    const line = `20\t${100_000 + record * 50}\trs${record + 1}\tA\tG\t.\tPASS\t.\tGT\t${calls}`;
    lines.push(line);
    size += line.length + 1;
  }
  // Out of order: before the first record.
  lines.push(`20\t1000\trsLAST\tA\tG\t.\tPASS\t.\tGT\t${Array(samples).fill('0|1').join('\t')}`);
  return { file: storedBgzf(`${lines.join('\n')}\n`), badLine: lines.length };
}

async function dynamoItems(): Promise<Json[]> {
  const client = new DynamoDBClient({
    endpoint: stack.endpoints().dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const items: Json[] = [];
  let start: Json | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: LOCAL_RESOURCES.table, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items;
}

describe('a crash of the whole local stack (kill -9)', () => {
  it('loses no job: each reaches the end it would have reached, submitted once, each result file downloaded once', async () => {
    const small = () => makeVcfGz({ samples: 40, records: 400 });
    const [uma, yuri, zed, tess, xena, walt, vera] = await Promise.all(
      ['uma', 'yuri', 'zed', 'tess', 'xena', 'walt', 'vera'].map((name) => researcher(name)),
    );

    // COPYING_RESULTS: the zip's download is held; the job's other files are copied.
    await admin('POST', '/faults', {
      method: 'GET',
      pathRegex: '^/share/results/[^/]+/chr_[^/]+\\.zip$',
      delayMs: 600_000,
      times: 50,
    });
    await createJob(uma!, small());
    await jobStatus(uma!, ['COPYING_RESULTS']);

    // QUEUED_REMOTE, RUNNING and CANCEL_REQUESTED: jobs the service keeps queued for an hour.
    await admin('PATCH', '/settings', { timing: { queueMs: 3_600_000 } });
    await Promise.all([yuri!, zed!, tess!].map((who) => createJob(who, small())));
    const remote = new Map<string, string>();
    for (const who of [yuri!, zed!, tess!]) {
      remote.set(who.name, (await jobStatus(who, ['QUEUED_REMOTE'])).externalJobId);
    }
    for (const who of [zed!, tess!]) await admin('POST', `/jobs/${remote.get(who.name)}/state`, { state: 2 });
    await Promise.all([zed!, tess!].map((who) => jobStatus(who, ['RUNNING'])));
    await admin('POST', '/faults', { method: 'GET', pathRegex: '/cancel$', status: 503, times: 1000 });
    expect((await call(tess!.token, 'POST', `/jobs/${tess!.jobId}/cancel`)).body.status).toBe(
      'CANCEL_REQUESTED',
    );

    // WAITING_FOR_SLOT: two jobs started on the service's web page fill the owner's limit.
    await admin('POST', `/users/${xena!.serviceUser}/active-jobs`, { count: 2 });
    await createJob(xena!, small());
    await jobStatus(xena!, ['WAITING_FOR_SLOT']);

    // SUBMITTING: the service holds the upload.
    await admin('POST', '/faults', {
      method: 'POST',
      path: '/api/v2/jobs/submit/',
      delayMs: 600_000,
      times: 10,
    });
    await createJob(walt!, small());
    await jobStatus(walt!, ['SUBMITTING']);
    await sleep(500);

    // VALIDATING: created while its upload is still being checked; killed as soon as it validates.
    const large = largeInputBrokenAtTheEnd(40 * 1024 ** 2);
    await createJob(vera!, large.file, false);
    await jobStatus(vera!, ['VALIDATING'], 60_000, 20);

    const everyone = [uma!, yuri!, zed!, tess!, xena!, walt!, vera!];
    const atCrash = new Map<string, string>([['vera', 'VALIDATING']]);
    for (const who of everyone.slice(0, -1)) {
      atCrash.set(who.name, (await call(who.token, 'GET', `/jobs/${who.jobId}`)).body.status);
    }
    await stack.crash();
    expect(Object.fromEntries(atCrash)).toEqual({
      uma: 'COPYING_RESULTS',
      yuri: 'QUEUED_REMOTE',
      zed: 'RUNNING',
      tess: 'CANCEL_REQUESTED',
      xena: 'WAITING_FOR_SLOT',
      walt: 'SUBMITTING',
      vera: 'VALIDATING',
    });

    const { dataDir, env } = stack;
    const restartAt = Date.now();
    stack = await startLocalProcess({
      dataDir,
      port: Number(env.PORT),
      env: { ...BASE_ENV, IDP_PORT: env.IDP_PORT!, CONSOLE_PORT: env.CONSOLE_PORT! },
    });
    const healthyAt = Date.now();
    // The service moves on by itself: the queued and running jobs finish, the slots free up.
    await admin('POST', `/users/${xena!.serviceUser}/active-jobs`, { count: 0 });
    for (const who of [yuri!, zed!]) await admin('POST', `/jobs/${remote.get(who.name)}/state`, { state: 4 });

    const movedAfter = new Map<string, number>();
    const ends = new Map<string, Json>();
    await Promise.all(
      everyone.map(async (who) => {
        const from = atCrash.get(who.name)!;
        const deadline = Date.now() + 120_000;
        for (;;) {
          const { body } = await call(who.token, 'GET', `/jobs/${who.jobId}`);
          if (body.status !== from && !movedAfter.has(who.name))
            movedAfter.set(who.name, Date.now() - healthyAt);
          if (['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'].includes(body.status)) {
            ends.set(who.name, body);
            return;
          }
          if (Date.now() > deadline) throw new Error(`${who.name} stayed ${body.status}`);
          await sleep(50);
        }
      }),
    );
    console.log(
      `crash matrix: restart to /health ${healthyAt - restartAt} ms; from /health to the next state: ${everyone
        .map((who) => `${atCrash.get(who.name)} ${movedAfter.get(who.name)} ms`)
        .join(', ')}`,
    );

    const statuses = Object.fromEntries([...ends].map(([name, job]) => [name, job.status]));
    expect(statuses).toEqual({
      uma: 'SUCCEEDED',
      yuri: 'SUCCEEDED',
      zed: 'SUCCEEDED',
      tess: 'CANCELED',
      xena: 'SUCCEEDED',
      walt: 'SUCCEEDED',
      vera: 'FAILED',
    });
    // The large input fails as it would have: its last line named, read to its end across the crash.
    expect(ends.get('vera')!.error.message).toContain(`line ${large.badLine}`);

    // Exactly one submission per job (none for the invalid input), nothing left running at the service.
    const serviceJobs = (await admin('GET', '/jobs')) as {
      id: string;
      user: string;
      state: number;
      results: { name: string; downloads: number; param?: string }[];
    }[];
    const submissions = Object.fromEntries(
      everyone.map((who) => [who.name, serviceJobs.filter((job) => job.user === who.serviceUser).length]),
    );
    expect(submissions).toEqual({ uma: 1, yuri: 1, zed: 1, tess: 1, xena: 1, walt: 1, vera: 0 });
    expect(serviceJobs.find((job) => job.user === tess!.serviceUser)!.state).toBe(6);

    // Each result file downloaded once, and every one copied.
    for (const who of [uma!, yuri!, zed!, xena!, walt!]) {
      const serviceJob = serviceJobs.find((job) => job.user === who.serviceUser)!;
      const copied = (await call(who.token, 'GET', `/jobs/${who.jobId}/results`)).body.files as {
        name: string;
      }[];
      const downloaded = serviceJob.results.filter((file) => file.downloads > 0);
      expect(downloaded.map((file) => [file.name, file.downloads])).toEqual(
        downloaded.map((file) => [file.name, 1]),
      );
      expect(copied.map((file) => file.name).sort()).toEqual(downloaded.map((file) => file.name).sort());
    }

    // The jobs an execution was driving say on their timeline that they were driven again.
    for (const who of [uma!, walt!, vera!]) {
      const { body } = await call(who.token, 'GET', `/jobs/${who.jobId}`);
      expect(JSON.stringify(body.events), who.name).toMatch(
        /resumed: its (collect|submission|validation) execution had ended/,
      );
    }

    // No upload lease held by a task that died.
    const slots = (await dynamoItems()).filter((item) => item.entity === 'UploadSlots');
    for (const item of slots) expect(item.leases ?? {}, JSON.stringify(item)).toEqual({});
  }, 300_000);
});
