/**
 * The README promises that tokens and passwords never appear in logs, DynamoDB items or Step Functions
 * state. This test runs whole jobs the way a user does — over HTTP through the local API front with a
 * real platform JWT, the real authorizer and handlers, the real ASL — one that succeeds and one that
 * fails, with every log level on, and then searches every DynamoDB item, every log line and the full
 * execution history (each event's input and output) for the service token, the platform JWT and the
 * zip password.
 */

// First: every level on before any module builds its logger.
import '#test/support/log-everything';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApiGateway, startLocalApiGateway } from '#infra/local/api-gateway';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv } from '#shared/aws/table';
import { JobStatus } from '#shared/jobs/job-status';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
let front: LocalApiGateway;
const logLines: string[] = [];
const restore: (() => void)[] = [];

const issuer = createTokenIssuer({ issuer: 'https://idp.leak-test.example', audience: 'gateway-leak-test' });

beforeAll(async () => {
  h = await startWorkflowHarness({
    settings: {
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: issuer.issuer,
      OIDC_AUDIENCE: [issuer.audience],
      OIDC_JWKS_JSON: issuer.jwks,
    },
  });
  front = await startLocalApiGateway({ port: 0 });
  // Every line any handler or task logs.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write as typeof stream.write;
    });
  }
});
afterAll(async () => {
  for (const undo of restore) undo();
  await front?.close();
  await h?.close();
});

async function call(jwt: string, method: string, path: string, body?: unknown) {
  const response = await fetch(front.url + path, {
    method,
    headers: { Authorization: `Bearer ${jwt}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A user's whole journey over HTTP: store the token, upload, create the job, wait, read results and password. */
async function journey(username: string) {
  const jwt = issuer.tokenFor({ sub: `sub-${username}`, username });
  const serviceToken = h.sim.addUser({ username: `${username}-mis` });
  expect((await call(jwt, 'PUT', '/me/credentials/michigan', { token: serviceToken })).status).toBe(201);
  const file = makeVcfGz({ samples: 30, chromosome: '20' });
  const upload = await call(jwt, 'POST', '/uploads', { fileName: 'cohort.chr20.vcf.gz', size: file.length });
  expect(upload.status).toBe(201);
  const put = await fetch(upload.body.uploadUrl, { method: 'PUT', body: file, headers: upload.body.headers });
  expect(put.ok).toBe(true);
  await call(jwt, 'GET', `/uploads/${upload.body.upload.uploadId}`);
  const created = await call(
    jwt,
    'POST',
    '/jobs',
    createJobBody({ name: `${username} cohort`, uploadIds: [upload.body.upload.uploadId] }),
  );
  expect(created.status).toBe(202);
  const jobId = created.body.jobId as string;
  await h.sfn.waitForJob(jobId);
  const job = await call(jwt, 'GET', `/jobs/${jobId}`);
  const password = (await call(jwt, 'GET', `/jobs/${jobId}/password`)).body.password as string;
  await call(jwt, 'GET', `/jobs/${jobId}/results`);
  return { jwt, serviceToken, password, jobId, status: job.body.status as string };
}

describe('secrets never leak', () => {
  it('keeps the service token, the platform JWT and the zip password out of DynamoDB, logs and execution history', async () => {
    const succeeded = await journey('lena');
    expect(succeeded.status).toBe(JobStatus.SUCCEEDED);
    h.sim.scenario = 'fail';
    let failed: Awaited<ReturnType<typeof journey>>;
    try {
      failed = await journey('mats');
    } finally {
      h.sim.scenario = 'success';
    }
    expect(failed.status).toBe(JobStatus.FAILED);

    // The password reached the service (so the zip is protected) and the owner's response only.
    expect(h.sim.submissionsOf('lena-mis')[0]?.fields.password).toBe(succeeded.password);

    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDocumentClient().send(
        new ScanCommand({ TableName: tableEnv().TABLE_NAME, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const sfn = new SFNClient({});
    const history: unknown[] = [];
    for (const execution of h.sfn.executions.values()) {
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: execution.executionArn,
            nextToken,
            maxResults: 200,
          }),
        );
        history.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
    }

    const places = {
      dynamodb: JSON.stringify(items),
      logs: logLines.join(''),
      history: JSON.stringify(history),
    };
    // The search is only worth something if it searched real material.
    expect(items.length).toBeGreaterThan(4);
    expect(history.length).toBeGreaterThan(40);
    expect(places.history).toContain('"stateEnteredEventDetails"');
    // Both token stores and both job creations logged, at least (nothing logs below INFO today).
    expect(logLines.filter((line) => line.startsWith('{"level"')).length).toBeGreaterThanOrEqual(4);
    expect(places.logs).toContain(succeeded.jobId);

    const secrets = {
      'service token (lena)': succeeded.serviceToken,
      'service token (mats)': failed.serviceToken,
      'platform JWT (lena)': succeeded.jwt,
      'platform JWT (mats)': failed.jwt,
      'JWT signature (lena)': succeeded.jwt.split('.')[2]!,
      'zip password (lena)': succeeded.password,
      'zip password (mats)': failed.password,
    };
    const found = Object.entries(secrets).flatMap(([what, secret]) =>
      Object.entries(places)
        .filter(([, text]) => text.includes(secret))
        .map(([where]) => `${what} in ${where}`),
    );
    expect(found).toEqual([]);
    // Nor does the service's own text travel through the execution state: it is recorded on the job.
    for (const serviceText of ['No chunks passed the QC step', 'valid VCF file(s) found', 'Imputation (']) {
      expect(places.history).not.toContain(serviceText);
    }
  });
});
