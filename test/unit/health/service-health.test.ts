/**
 * Service health from probes: the status follows observations with hysteresis (one bad answer does not
 * flap it), maintenance is believed at once, availability is counted per hour, and a probe reads a
 * proxy's HTML page, a redirect or a timeout as the service being down — against a real HTTP server.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  availability,
  type HealthObservation,
  type HealthRecord,
  observe,
  probeService,
  toHealthView,
} from '#shared/health/service-health';

const minute = (n: number) => new Date(Date.UTC(2026, 11, 6, 10, 0) + n * 60_000).toISOString();
const seen = (n: number, outcome: HealthObservation['outcome'], detail?: string): HealthObservation => ({
  at: minute(n),
  outcome,
  latencyMs: outcome === 'SLOW' ? 7000 : 120,
  ...(detail ? { detail } : {}),
});

function run(outcomes: HealthObservation['outcome'][]): HealthRecord[] {
  const records: HealthRecord[] = [];
  let record: HealthRecord | undefined;
  outcomes.forEach((outcome, n) => {
    record = observe(record, 'michigan', seen(n, outcome, outcome === 'DOWN' ? '502' : undefined));
    records.push(record);
  });
  return records;
}

describe('the status follows probes with hysteresis', () => {
  it('rides out one failed or slow answer, and changes after two in a row', () => {
    const statuses = run(['UP', 'DOWN', 'UP', 'SLOW', 'UP', 'DOWN', 'DOWN', 'UP', 'UP']).map((r) => r.status);
    expect(statuses).toEqual(['UP', 'UP', 'UP', 'UP', 'UP', 'UP', 'DOWN', 'DOWN', 'UP']);
  });

  it('believes maintenance at once (the service says it), and says since when each status holds', () => {
    const records = run(['UP', 'MAINTENANCE', 'MAINTENANCE', 'UP', 'UP']);
    expect(records.map((r) => r.status)).toEqual(['UP', 'MAINTENANCE', 'MAINTENANCE', 'MAINTENANCE', 'UP']);
    expect(records[2]!.since).toBe(minute(1));
    expect(records[4]!.since).toBe(minute(4));
  });

  it('keeps the last error after recovery, and the availability of the last 24 h and 7 d', () => {
    const records = run(['UP', 'DOWN', 'DOWN', 'UP', 'UP']);
    const last = records.at(-1)!;
    expect(last.lastError).toEqual({ at: minute(2), detail: '502' });
    expect(availability(last, 24, new Date(minute(5)))).toBeCloseTo(3 / 5);
    const view = toHealthView(last, new Date(minute(5)));
    expect(view).toMatchObject({ status: 'UP', availability24h: 0.6, availability7d: 0.6 });
    // A week later, nothing of that hour counts.
    expect(availability(last, 7 * 24, new Date(Date.parse(minute(0)) + 8 * 86_400_000))).toBeNull();
  });
});

describe('a probe of the service’s anonymous calls', () => {
  let server: Server;
  let url: string;
  let answer: (path: string, response: ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    server = createServer((request, response) => answer(request.url ?? '', response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const json = (response: ServerResponse, body: unknown, status = 200) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  it('is UP with the queue size when the server info and counters answer', async () => {
    answer = (path, response) =>
      path === '/api/v2/server'
        ? json(response, { name: 'Michigan', maintenace: false })
        : json(response, { complete: {}, queue: { size: 7 }, users: 3 });
    expect(await probeService(url)).toMatchObject({ outcome: 'UP', queueSize: 7 });
  });

  it('is MAINTENANCE with the service’s message when `maintenace` (sic) is set', async () => {
    answer = (_, response) => json(response, { maintenace: true, maintenaceMessage: 'Back on Monday.' });
    expect(await probeService(url)).toMatchObject({ outcome: 'MAINTENANCE', detail: 'Back on Monday.' });
    // Newer Cloudgene releases spell it right.
    answer = (_, response) => json(response, { maintenance: true, maintenanceMessage: 'Upgrading.' });
    expect(await probeService(url)).toMatchObject({ outcome: 'MAINTENANCE', detail: 'Upgrading.' });
  });

  it('is DOWN for a proxy’s 502 HTML page, a 200 HTML page, a redirect and a refused connection', async () => {
    answer = (_, response) =>
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
    expect(await probeService(url)).toMatchObject({
      outcome: 'DOWN',
      detail: 'server info: an HTML page with status 502',
    });
    answer = (_, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Maintenance</html>');
    expect((await probeService(url)).outcome).toBe('DOWN');
    answer = (_, response) => response.writeHead(302, { location: 'https://elsewhere.example' }).end();
    expect(await probeService(url)).toMatchObject({
      outcome: 'DOWN',
      detail: 'server info: a redirect (302)',
    });
    expect((await probeService('http://127.0.0.1:9')).outcome).toBe('DOWN');
  });

  it('is UP when only the counters fail (older servers lack them), SLOW past 5 s', async () => {
    answer = (path, response) =>
      path === '/api/v2/server' ? json(response, { maintenace: false }) : json(response, {}, 404);
    expect(await probeService(url)).toMatchObject({ outcome: 'UP' });
    let now = 0;
    const clock = () => {
      now += 6_000;
      return now;
    };
    expect(await probeService(url, fetch, clock)).toMatchObject({ outcome: 'SLOW', latencyMs: 6_000 });
  });
});
