import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as putCredential } from '#functions/api/credentials/put-credential';
import { handler as getService } from '#functions/api/services/get-service';
import { handler as getServiceOptions } from '#functions/api/services/get-service-options';
import { handler as listServices } from '#functions/api/services/list-services';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { invoke } from '#test/support/api-event';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { useSettings } from '#test/support/settings';

const alice = { sub: 'sub-alice', username: 'alice', groups: [] };
const bob = { sub: 'sub-bob', username: 'bob', groups: [] };

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let sim: CloudgeneSimulator;
let aliceToken: string;
const h = { list: listServices, get: getService, options: getServiceOptions, put: putCredential };

beforeAll(async () => {
  aws = await startAwsEmulators();
  sim = await startCloudgeneSimulator();
  aliceToken = sim.addUser({ username: 'alice-mis' });
  useSettings({
    SERVICE_CATALOG: [
      {
        id: 'michigan',
        name: 'Michigan (simulated)',
        baseUrl: sim.url,
        appId: 'imputationserver2',
        location: 'here',
        notes: 'n',
        maxConcurrentJobs: 2,
        enabled: true,
      },
      {
        id: 'topmed',
        name: 'TOPMed (simulated)',
        baseUrl: sim.url,
        appId: 'imputationserver2',
        location: 'there',
        notes: 'n',
        maxConcurrentJobs: 3,
        enabled: true,
      },
    ],
  });
  const stored = await invoke(h.put, {
    method: 'PUT',
    caller: alice,
    pathParameters: { serviceId: 'michigan' },
    body: { token: aliceToken },
  });
  expect(stored.status).toBe(201);
});
afterAll(async () => {
  await sim.close();
  await aws.close();
});

const options = (caller: typeof alice, serviceId = 'michigan') =>
  invoke(h.options, { caller, pathParameters: { serviceId } });

describe('GET /services and /services/{id}', () => {
  it("lists the catalog with the caller's token status per service", async () => {
    const result = await invoke(h.list, { caller: alice });
    expect(result.status).toBe(200);
    expect(result.body.services.map((s: { id: string }) => s.id)).toEqual(['michigan', 'topmed']);
    expect(result.body.services[0].credential.status).toBe('active');
    expect(result.body.services[1].credential.status).toBe('missing');
    // Every service says where to get a token: without one in the catalog, its Cloudgene profile page.
    expect(result.body.services[0].tokenHelpUrl).toBe(`${sim.url}/#!pages/profile`);
    const forBob = await invoke(h.list, { caller: bob });
    expect(forBob.body.services[0].credential.status).toBe('missing');
  });

  it('shows one service, 404 for an unknown id', async () => {
    expect(
      (await invoke(h.get, { caller: alice, pathParameters: { serviceId: 'topmed' } })).body,
    ).toMatchObject({
      id: 'topmed',
      maxConcurrentJobs: 3,
    });
    const unknown = await invoke(h.get, { caller: alice, pathParameters: { serviceId: 'nope' } });
    expect(unknown.status).toBe(404);
  });
});

describe('GET /services/{id}/options', () => {
  it("lists panels with their populations, builds, phasing and modes, read with the caller's token", async () => {
    const result = await options(alice);
    expect(result.status).toBe(200);
    expect(result.headers['X-Cache']).toBe('miss');
    expect(result.body.refPanels.length).toBeGreaterThan(0);
    const panel = result.body.refPanels[0];
    expect(panel).toMatchObject({ id: expect.stringMatching(/^apps@/), label: expect.any(String) });
    expect(panel.populations.length).toBeGreaterThan(0);
    expect(result.body.builds.map((b: { id: string }) => b.id)).toEqual(
      expect.arrayContaining(['hg19', 'hg38']),
    );
    expect(result.body.phasing.map((b: { id: string }) => b.id)).toContain('eagle');
    expect(result.body.modes.map((b: { id: string }) => b.id)).toContain('imputation');
  });

  it('serves a repeated request from the cache', async () => {
    const result = await options(alice);
    expect(result.headers['X-Cache']).toBe('hit');
  });

  it('asks for a token first when the caller has none (409)', async () => {
    const result = await options(bob);
    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('SERVICE_TOKEN_MISSING');
    expect(result.body.error.message).toMatch(/PUT \/me\/credentials\/michigan/);
  });

  it('says so when the service rejects the stored token (422), after the cache is bypassed by a new token', async () => {
    const carol = { sub: 'sub-carol', username: 'carol', groups: [] };
    const token = sim.addUser({ username: 'carol-mis' });
    await invoke(h.put, {
      method: 'PUT',
      caller: carol,
      pathParameters: { serviceId: 'topmed' },
      body: { token },
    });
    sim.revokeToken('carol-mis');
    const result = await options(carol, 'topmed');
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('SERVICE_TOKEN_INVALID');
  });
});
