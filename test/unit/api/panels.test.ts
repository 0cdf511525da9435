/**
 * GET /panels: the caller's panels across several services (one simulator each), equivalent panels
 * grouped by panel key, per user, and every service whose panels cannot be read reported with why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as putCredential } from '#functions/api/credentials/put-credential';
import { handler as listPanels } from '#functions/api/services/list-panels';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { H3AFRICA_PANELS, MICHIGAN_PANELS } from '#infra/local/simulator/fixtures';
import type { Caller } from '#shared/auth/caller';
import { groupPanels, panelKeyOf } from '#shared/catalog/panels';
import { clearServiceOptionsCache } from '#shared/catalog/service-options';
import { invoke } from '#test/support/api-event';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { catalogEntry, SECOND_1000G, setHealth } from '#test/support/federation';
import { useSettings } from '#test/support/settings';
import { simulatorsOfThisFile } from '../cloudgene/simulator-support';

const alice: Caller = { sub: 'sub-alice', username: 'alice', groups: [] };
const bob: Caller = { sub: 'sub-bob', username: 'bob', groups: [] };
const startSimulator = simulatorsOfThisFile();
let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let michigan: CloudgeneSimulator;
let second: CloudgeneSimulator;
let topmed: CloudgeneSimulator;

async function storeToken(caller: Caller, serviceId: string, sim: CloudgeneSimulator) {
  const token = sim.addUser({ username: `${caller.username}-${serviceId}` });
  const stored = await invoke(putCredential, {
    method: 'PUT',
    caller,
    pathParameters: { serviceId },
    body: { token },
  });
  expect(stored.status).toBe(201);
}

beforeAll(async () => {
  aws = await startAwsEmulators();
  michigan = await startSimulator({ preset: 'michigan' });
  second = await startSimulator({ panels: [SECOND_1000G, ...H3AFRICA_PANELS] });
  topmed = await startSimulator({ preset: 'topmed' });
  useSettings({
    SERVICE_CATALOG: [
      catalogEntry('michigan', 'Michigan (simulated)', michigan),
      catalogEntry('second', 'Second (simulated)', second),
      catalogEntry('topmed', 'TOPMed (simulated)', topmed),
    ],
  });
  clearServiceOptionsCache();
  await storeToken(alice, 'michigan', michigan);
  await storeToken(alice, 'second', second);
  await storeToken(bob, 'michigan', michigan);
});
afterAll(() => aws?.close());

const panelsOf = async (caller: Caller) => {
  const answer = await invoke(listPanels, { caller });
  expect(answer.status).toBe(200);
  return answer.body as {
    panels: {
      panelKey: string;
      label: string;
      builds: string[];
      populations: { id: string }[];
      services: { serviceId: string; refPanel: string; label: string; health: string | null }[];
    }[];
    unavailable: { serviceId: string; reason: string; message: string }[];
  };
};

describe('panel keys', () => {
  it.each([
    ['apps@1000g-phase-3-v5@2.0.0', '1000g-phase-3-v5'],
    ['apps@1000g-phase-3-v5@1.0.0', '1000g-phase-3-v5'],
    ['apps@1000g-phase-3-v5', '1000g-phase-3-v5'],
    ['APPS@HRC-r1.1@2.0.0', 'hrc-r1.1'],
    ['1000g-phase-3-v5', '1000g-phase-3-v5'],
    ['apps@topmed r3@1.0.0', 'topmed-r3'],
  ])('%s is %s', (id, key) => {
    expect(panelKeyOf(id)).toBe(key);
  });

  it('keeps releases apart and never joins by label', () => {
    expect(panelKeyOf('apps@hrc-r1@1.0.0')).not.toBe(panelKeyOf('apps@hrc-r1.1@1.0.0'));
    const service = (id: string) => ({ id, name: id }) as never;
    const options = (panels: { id: string; label: string }[]) =>
      ({ refPanels: panels.map((p) => ({ ...p, populations: [] })), builds: [{ id: 'hg19' }] }) as never;
    const groups = groupPanels([
      { service: service('a'), health: undefined, options: options([{ id: 'apps@x-v1@1', label: 'Same' }]) },
      { service: service('b'), health: undefined, options: options([{ id: 'apps@x-v2@1', label: 'Same' }]) },
    ]);
    expect(groups.map((g) => g.panelKey)).toEqual(['x-v1', 'x-v2']);
  });
});

describe('GET /panels', () => {
  it("groups equivalent panels across the caller's services, each with that service's own id", async () => {
    await setHealth('michigan', 'UP', 4);
    const { panels } = await panelsOf(alice);
    expect(panels.map((p) => p.panelKey)).toEqual([
      '1000g-phase-3-v5',
      'h3africa-v6hc-s',
      'hapmap-2',
      'hrc-r1.1',
    ]);
    const thousandGenomes = panels[0]!;
    expect(thousandGenomes).toMatchObject({
      label: MICHIGAN_PANELS[0]!.label,
      builds: ['hg19', 'hg38'],
      services: [
        {
          serviceId: 'michigan',
          refPanel: 'apps@1000g-phase-3-v5@2.0.0',
          label: '1000G Phase 3 (GRCh37/hg19)',
          health: 'UP',
        },
        {
          serviceId: 'second',
          refPanel: 'apps@1000g-phase-3-v5@1.0.0',
          label: '1000 Genomes Phase 3 (Version 5)',
          health: null,
        },
      ],
    });
    // The union of the offers' populations, each offer keeping its own.
    expect(thousandGenomes.populations.map((p) => p.id)).toEqual([
      'afr',
      'amr',
      'eur',
      'eas',
      'sas',
      'mixed',
      'off',
    ]);
    expect(panels.find((p) => p.panelKey === 'hapmap-2')!.services.map((s) => s.serviceId)).toEqual([
      'michigan',
    ]);
  });

  it('reports a service the caller has no token for, instead of leaving it out', async () => {
    const { unavailable } = await panelsOf(alice);
    expect(unavailable).toEqual([
      {
        serviceId: 'topmed',
        serviceName: 'TOPMed (simulated)',
        reason: 'SERVICE_TOKEN_MISSING',
        message: expect.stringContaining('PUT /me/credentials/topmed'),
      },
    ]);
  });

  it('is per user: what each caller holds a token for', async () => {
    const forBob = await panelsOf(bob);
    expect(forBob.panels.flatMap((p) => p.services.map((s) => s.serviceId))).toEqual(
      Array(MICHIGAN_PANELS.length).fill('michigan'),
    );
    expect(forBob.unavailable.map((u) => [u.serviceId, u.reason])).toEqual([
      ['second', 'SERVICE_TOKEN_MISSING'],
      ['topmed', 'SERVICE_TOKEN_MISSING'],
    ]);
    const carol = { sub: 'sub-carol', username: 'carol', groups: [] };
    const none = await panelsOf(carol);
    expect(none.panels).toEqual([]);
    expect(none.unavailable).toHaveLength(3);
  });

  it('reports a service whose options cannot be read now, and one that is down with nothing cached', async () => {
    clearServiceOptionsCache();
    second.down = { mode: 'html-502' };
    try {
      const { panels, unavailable } = await panelsOf(alice);
      expect(unavailable.map((u) => [u.serviceId, u.reason])).toEqual([
        ['second', 'SERVICE_UNAVAILABLE'],
        ['topmed', 'SERVICE_TOKEN_MISSING'],
      ]);
      expect(panels.find((p) => p.panelKey === 'h3africa-v6hc-s')).toBeUndefined();
      // Once the watcher finds it down, it is not called (its answer would only be a timeout).
      await setHealth('second', 'DOWN');
      const before = second.requests.length;
      const down = await panelsOf(alice);
      expect(down.unavailable.find((u) => u.serviceId === 'second')).toMatchObject({
        reason: 'SERVICE_DOWN',
      });
      expect(second.requests.length).toBe(before);
    } finally {
      second.down = null;
    }
  });

  it("lists a down service's panels from the cache, with its health", async () => {
    await setHealth('second', 'UP');
    clearServiceOptionsCache();
    await panelsOf(alice);
    await setHealth('second', 'DOWN');
    const { panels, unavailable } = await panelsOf(alice);
    expect(unavailable.map((u) => u.serviceId)).toEqual(['topmed']);
    expect(panels.find((p) => p.panelKey === 'h3africa-v6hc-s')!.services).toEqual([
      expect.objectContaining({ serviceId: 'second', health: 'DOWN' }),
    ]);
    await setHealth('second', 'UP');
  });
});
