/**
 * What a health watcher reads and what an outage looks like, on the wire: the server description and
 * counters (anonymous, agreeing with the jobs), Cloudgene's maintenance mode, and a service down behind its
 * proxy (HTML pages or no answer at all) that holds until cleared — across the clock and across restarts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CloudgeneSimulator, DownMode } from '#infra/local/simulator/cloudgene-simulator';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, submitRaw } from './simulator-support';

const VCF = makeVcfGz({ samples: 20, records: 30, chromosome: '20' });
const MAINTENANCE = { success: false, message: 'This functionality is currently under maintenance.' };
// Seeded results: no zips to make, so many jobs stay cheap.
const simulator = simulatorsOfThisFile({ resultFiles: [{ name: 'qc_report.txt', size: 100 }] });
const submit = (sim: CloudgeneSimulator, token: string) => submitRaw(sim, token, VCF);

const get = (sim: CloudgeneSimulator, path: string, token?: string) =>
  fetch(sim.url + path, { headers: token ? { 'X-Auth-Token': token } : {} });
const json = async (response: Response) => [response.status, await response.json()] as const;
const idOf = async (response: Response) => ((await response.json()) as { id: string }).id;
const patchSettings = (sim: CloudgeneSimulator, body: unknown) =>
  fetch(`${sim.url}/__admin/settings`, { method: 'PATCH', body: JSON.stringify(body) }).then(json);

describe('GET /api/v2/server', () => {
  it('answers anonymously, lists the app only for a valid token, and says whether it is in maintenance', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    const anonymous = { name: 'Imputation Server Simulator', loggedIn: false, user: null, apps: [] };
    expect(await json(await get(sim, '/api/v2/server'))).toEqual([200, { ...anonymous, maintenace: false }]);
    expect(await (await get(sim, '/api/v2/server', 'garbage')).json()).toEqual({
      ...anonymous,
      maintenace: false,
    });
    const app = { id: 'imputationserver2', name: 'Genotype Imputation (Minimac4)', version: '2.0.0' };
    expect(await (await get(sim, '/api/v2/server', token)).json()).toEqual({
      ...anonymous,
      loggedIn: true,
      user: 'ann',
      apps: [app],
      maintenace: false,
    });

    sim.maintenance = { message: 'Back on <b>Monday</b>.' };
    expect(await (await get(sim, '/api/v2/server')).json()).toEqual({
      ...anonymous,
      maintenace: true,
      maintenaceMessage: 'Back on <b>Monday</b>.',
    });
    sim.maintenance = null;
    expect(await (await get(sim, '/api/v2/server')).json()).not.toHaveProperty('maintenaceMessage');
  });
});

describe('GET /api/v2/server/counters', () => {
  it('is empty on a new server, and anonymous', async () => {
    const sim = await simulator();
    expect(await json(await get(sim, '/api/v2/server/counters'))).toEqual([
      200,
      { complete: {}, queue: { size: 0 }, users: 0 },
    ]);
  });

  it('agrees with the jobs in each state: the queue holds state 1, complete adds up the successes', async () => {
    const sim = await simulator({ concurrencyLimit: 20 });
    const token = sim.addUser({ username: 'ann' });
    sim.addUser({ username: 'bob' });
    const states = [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (const state of states) sim.setJobState(await idOf(await submit(sim, token)), state);
    const listed = ((await (await get(sim, '/api/v2/jobs', token)).json()) as { data: { state: number }[] })
      .data;
    const succeeded = listed.filter((j) => [4, 7, 8].includes(j.state)).length;
    expect(succeeded).toBe(3);

    expect(await (await get(sim, '/api/v2/server/counters')).json()).toEqual({
      complete: {
        runs: succeeded,
        samples: 20 * succeeded,
        genotypes: 20 * 30 * succeeded,
        chromosomes: 20 * succeeded,
        'refpanel_hapmap-2': succeeded,
        phasing_eagle: succeeded,
      },
      queue: { size: listed.filter((j) => j.state === 1).length },
      users: 2,
    });
  });

  it('counts the jobs a busy service has ahead in the queue, and a job as complete once the clock ends it', async () => {
    const sim = await simulator({ scenario: 'slow-queue' });
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    const status = (await (await get(sim, `/api/v2/jobs/${id}`, token)).json()) as {
      positionInQueue: number;
    };
    const counters = async () =>
      (await (await get(sim, '/api/v2/server/counters')).json()) as {
        complete: Record<string, number>;
        queue: { size: number };
      };
    expect((await counters()).queue.size).toBe(status.positionInQueue + 1);
    sim.advance(2 * 60 * 60_000);
    expect(await counters()).toMatchObject({ complete: { runs: 1 }, queue: { size: 0 } });
  });
});

describe('maintenance', () => {
  it('refuses submissions with 503 once the upload is in, while status and list calls keep working', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    const root = sim.addUser({ username: 'root', admin: true });
    const id = await idOf(await submit(sim, token));
    sim.maintenance = { message: 'Upgrading the cluster.' };

    expect(await json(await submit(sim, token))).toEqual([503, MAINTENANCE]);
    expect(sim.jobs).toHaveLength(1);
    expect((await get(sim, `/api/v2/jobs/${id}`, token)).status).toBe(200);
    expect((await get(sim, `/api/v2/jobs/${id}/status`, token)).status).toBe(200);
    expect((await get(sim, '/api/v2/jobs', token)).status).toBe(200);
    expect((await submit(sim, root)).status).toBe(200);

    sim.maintenance = null;
    expect((await submit(sim, token)).status).toBe(200);
  });

  it('with the scope jobs, refuses every job call as Cloudgene 3 does (admins excepted)', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    const root = sim.addUser({ username: 'root', admin: true });
    const id = await idOf(await submit(sim, token));
    const mine = await idOf(await submit(sim, root));
    sim.maintenance = { message: 'Upgrading the cluster.', scope: 'jobs' };
    for (const path of [`/api/v2/jobs/${id}`, `/api/v2/jobs/${id}/status`, '/api/v2/jobs'])
      expect(await json(await get(sim, path, token))).toEqual([503, MAINTENANCE]);
    expect((await get(sim, `/api/v2/jobs/${mine}`, root)).status).toBe(200);
    expect((await get(sim, '/api/v2/server/apps/imputationserver2', token)).status).toBe(200);
  });
});

describe('down', () => {
  const pages: [DownMode, number][] = [
    ['html-502', 502],
    ['html-200', 200],
  ];
  it.each(pages)(
    '%s: every call gets an HTML page with status %i; the admin API still answers',
    async (mode, status) => {
      const sim = await simulator();
      const token = sim.addUser({ username: 'ann' });
      const id = await idOf(await submit(sim, token));
      sim.down = { mode };
      for (const answer of [
        await get(sim, '/api/v2/server'),
        await get(sim, `/api/v2/jobs/${id}`, token),
        await submit(sim, token),
        await get(sim, '/share/results/0123/qc_report.txt'),
      ]) {
        expect(answer.status).toBe(status);
        expect(answer.headers.get('content-type')).toBe('text/html');
        expect(await answer.text()).toMatch(/^<html>/);
      }
      expect(sim.jobs).toHaveLength(1);
      expect(await json(await fetch(`${sim.url}/__admin/settings`))).toMatchObject([200, { down: { mode } }]);
      expect(sim.requests.at(-1)).toMatchObject({ path: '/share/results/0123/qc_report.txt', status });
    },
  );

  it('refuse: the connection goes without an answer, and the requests log says reset', async () => {
    const sim = await simulator();
    sim.down = { mode: 'refuse' };
    await expect(get(sim, '/api/v2/server')).rejects.toThrow();
    expect(sim.requests.at(-1)).toMatchObject({ path: '/api/v2/server', status: 0, outcome: 'reset' });
    expect((await fetch(`${sim.url}/__admin/settings`)).status).toBe(200);
  });

  it('holds across the clock until cleared; a job that finished meanwhile is then reported finished', async () => {
    const sim = await simulator();
    const token = sim.addUser({ username: 'ann' });
    const id = await idOf(await submit(sim, token));
    sim.down = { mode: 'html-502' };
    sim.advance(7 * 86_400_000);
    expect((await get(sim, `/api/v2/jobs/${id}`, token)).status).toBe(502);
    sim.advance(60_000);
    expect((await get(sim, '/api/v2/server/counters')).status).toBe(502);
    sim.down = null;
    expect(await (await get(sim, `/api/v2/jobs/${id}`, token)).json()).toMatchObject({ id, state: 4 });
  });
});

describe('the switches through the admin API and the state file', () => {
  it('are set and cleared by PATCH /__admin/settings, which refuses a mode it does not know', async () => {
    const sim = await simulator();
    expect(await patchSettings(sim, { down: { mode: 'html-503' } })).toEqual([
      400,
      { message: 'down is { mode } with mode html-502, refuse, html-200, or null' },
    ]);
    expect(sim.down).toBeNull();
    expect(
      await patchSettings(sim, { maintenance: { message: 'Soon back.' }, down: { mode: 'refuse' } }),
    ).toEqual([
      200,
      expect.objectContaining({ maintenance: { message: 'Soon back.' }, down: { mode: 'refuse' } }),
    ]);
    expect(await patchSettings(sim, { down: null })).toEqual([
      200,
      expect.objectContaining({ maintenance: { message: 'Soon back.' }, down: null }),
    ]);
  });

  it('survive a restart on the same state file, until cleared', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'sim-outage-')), 'simulator.json');
    const first = await simulator({ stateFile });
    await patchSettings(first, {
      maintenance: { message: 'Migrating storage.' },
      down: { mode: 'html-502' },
    });
    await first.close();

    const second = await simulator({ stateFile });
    expect((await get(second, '/api/v2/server')).status).toBe(502);
    await patchSettings(second, { down: null });
    expect(await (await get(second, '/api/v2/server')).json()).toMatchObject({
      maintenace: true,
      maintenaceMessage: 'Migrating storage.',
    });
    second.maintenance = null;
    await second.close();

    const third = await simulator({ stateFile });
    expect([third.maintenance, third.down]).toEqual([null, null]);
    const given = await simulator({ stateFile, down: { mode: 'refuse' } });
    expect(given.down).toEqual({ mode: 'refuse' });
  });
});
