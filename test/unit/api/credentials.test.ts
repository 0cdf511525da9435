// First: every level on before any module builds its logger.
import '#test/support/log-everything';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as remove } from '#functions/api/credentials/delete-credential';
import { handler as list } from '#functions/api/credentials/list-credentials';
import { handler as putCredential } from '#functions/api/credentials/put-credential';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { secretNameFor } from '#shared/credentials/token-vault';
import { invoke } from '#test/support/api-event';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { useSettings } from '#test/support/settings';

const alice = { sub: 'sub-alice', username: 'alice', groups: [] };
const bob = { sub: 'sub-bob', username: 'bob', groups: [] };

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let sim: CloudgeneSimulator;
let aliceToken: string;
let bobToken: string;
const handlers = { put: putCredential, list, remove };
const logLines: string[] = [];

beforeAll(async () => {
  aws = await startAwsEmulators();
  sim = await startCloudgeneSimulator();
  aliceToken = sim.addUser({ username: 'alice-mis' });
  bobToken = sim.addUser({ username: 'bob-mis' });
  useSettings({
    SERVICE_CATALOG: [
      {
        id: 'michigan',
        name: 'Michigan (simulated)',
        baseUrl: sim.url,
        appId: 'imputationserver2',
        location: 'here',
        notes: '',
        maxConcurrentJobs: 2,
        enabled: true,
      },
      {
        id: 'offline',
        name: 'Offline service',
        baseUrl: 'http://127.0.0.1:9',
        appId: 'imputationserver2',
        location: 'nowhere',
        notes: '',
        maxConcurrentJobs: 2,
        enabled: true,
      },
    ],
  });
  // Every line the handlers log (JSON lines on stdout).
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await sim.close();
  await aws.close();
});

const put = (caller: typeof alice, serviceId: string, body: unknown) =>
  invoke(handlers.put, { method: 'PUT', caller, pathParameters: { serviceId }, body });

async function tableDump(): Promise<string> {
  const client = new DynamoDBClient({});
  const items = await client.send(new ScanCommand({ TableName: aws.tableName }));
  return JSON.stringify(items.Items);
}

describe('PUT /me/credentials/{serviceId}', () => {
  it('verifies the token at the service, stores it, and answers metadata only (201)', async () => {
    const result = await put(alice, 'michigan', { token: aliceToken });
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({
      serviceId: 'michigan',
      serviceUsername: 'alice-mis',
      tokenHint: `…${aliceToken.slice(-4)}`,
      expired: false,
    });
    expect(result.body.daysToExpiry).toBeGreaterThanOrEqual(29);
    expect(result.raw).not.toContain(aliceToken);
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', alice.sub, 'michigan'))).toBe(aliceToken);
    expect(await tableDump()).not.toContain(aliceToken);
  });

  it('replaces a stored token (200)', async () => {
    const newer = sim.addUser({ username: 'alice-mis-2' });
    const result = await put(alice, 'michigan', { token: newer });
    expect(result.status).toBe(200);
    expect(result.body.serviceUsername).toBe('alice-mis-2');
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', alice.sub, 'michigan'))).toBe(newer);
    await put(alice, 'michigan', { token: aliceToken });
  });

  it("rejects a token the service does not accept with 422 and the service's message, storing nothing", async () => {
    const result = await put(bob, 'michigan', { token: 'eyJhbGciOiJIUzI1NiJ9.not-a-real-token.signature' });
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('SERVICE_TOKEN_INVALID');
    expect(result.body.error.message).toMatch(/Invalid API Token/);
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', bob.sub, 'michigan'))).toBeUndefined();
    expect((await invoke(handlers.list, { caller: bob })).body.credentials).toEqual([]);
  });

  it('answers 502 when the service cannot be reached, storing nothing', async () => {
    const result = await put(bob, 'offline', { token: bobToken });
    expect(result.status).toBe(502);
    expect(result.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', bob.sub, 'offline'))).toBeUndefined();
  });

  it.each([
    ['no token', {}],
    ['a number', { token: 12345 }],
    ['a short token', { token: 'abc' }],
    ['spaces in the token', { token: 'abc def ghi jkl mno pqr' }],
    ['an extra field', { token: 'x'.repeat(40), owner: 'sub-alice' }],
  ])('rejects %s with 400', async (_, body) => {
    const result = await put(bob, 'michigan', body);
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('answers 404 for a service that is not in the catalog', async () => {
    const result = await put(bob, 'nowhere', { token: bobToken });
    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('SERVICE_NOT_FOUND');
  });
});

describe('GET /me/credentials and DELETE /me/credentials/{serviceId}', () => {
  it("lists only the caller's own tokens, with days to expiry", async () => {
    await put(bob, 'michigan', { token: bobToken });
    const aliceList = await invoke(handlers.list, { caller: alice });
    expect(aliceList.body.credentials.map((c: { serviceUsername: string }) => c.serviceUsername)).toEqual([
      'alice-mis',
    ]);
    const bobList = await invoke(handlers.list, { caller: bob });
    expect(bobList.body.credentials.map((c: { serviceUsername: string }) => c.serviceUsername)).toEqual([
      'bob-mis',
    ]);
    expect(JSON.stringify(bobList.body)).not.toContain(bobToken);
  });

  it("cannot delete another user's token: 404, and the token stays", async () => {
    const carol = { sub: 'sub-carol', username: 'carol', groups: [] };
    const result = await invoke(handlers.remove, {
      method: 'DELETE',
      caller: carol,
      pathParameters: { serviceId: 'michigan' },
    });
    expect(result.status).toBe(404);
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', alice.sub, 'michigan'))).toBe(aliceToken);
  });

  it('deletes secret and metadata (204), then answers 404', async () => {
    const first = await invoke(handlers.remove, {
      method: 'DELETE',
      caller: bob,
      pathParameters: { serviceId: 'michigan' },
    });
    expect(first.status).toBe(204);
    expect(aws.secretsManager.peek(secretNameFor('gateway-test', bob.sub, 'michigan'))).toBeUndefined();
    expect((await invoke(handlers.list, { caller: bob })).body.credentials).toEqual([]);
    const again = await invoke(handlers.remove, {
      method: 'DELETE',
      caller: bob,
      pathParameters: { serviceId: 'michigan' },
    });
    expect(again.status).toBe(404);
  });

  it('never wrote a token to the logs', () => {
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const token of [aliceToken, bobToken]) expect(logs).not.toContain(token);
  });
});
