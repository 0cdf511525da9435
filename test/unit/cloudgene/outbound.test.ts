/**
 * Calls to a Cloudgene service cross no trust boundary: a redirect of an authenticated call is not
 * followed (the token would go along to wherever it points), it is a bad answer like any other.
 */

import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { CloudgeneClient } from '#shared/cloudgene/client';
import {
  CloudgeneBadRequestError,
  CloudgeneProtocolError,
  RedirectRefusedError,
} from '#shared/cloudgene/errors';
import { addressRefusal, type OutboundPolicy } from '#shared/cloudgene/outbound';
import { MAX_JSON_BYTES } from '#shared/cloudgene/transport';
import { type CaptureServer, startCaptureServer } from '#test/support/capture-server';
import { simulatorsOfThisFile } from './simulator-support';

const simulator = simulatorsOfThisFile();
let sim: CloudgeneSimulator;
let capture: CaptureServer;

beforeAll(async () => {
  sim = await simulator();
  capture = await startCaptureServer();
});
afterAll(async () => {
  await capture.close();
});

function client(token: string, outbound: OutboundPolicy = { allowLoopback: true }) {
  return new CloudgeneClient({
    baseUrl: sim.url,
    appId: 'imputationserver2',
    token,
    timeoutMs: 5000,
    outbound,
  });
}

/** A DNS that answers `names` from the table and nothing else. */
function fakeDns(names: Record<string, string>): OutboundPolicy['resolve'] {
  return ((hostname: string, _options: unknown, callback: (...args: unknown[]) => void) => {
    const address = names[hostname];
    if (!address) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const found: LookupAddress[] = [{ address, family: address.includes(':') ? 6 : 4 }];
    callback(null, found);
  }) as unknown as OutboundPolicy['resolve'];
}

const file = { hash: 'f'.repeat(64), name: 'chr_20.zip' };

describe('a redirect of an authenticated call', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`${status} on a status call: a protocol error, and the token goes nowhere else`, async () => {
      const token = sim.addUser({ username: `redirected-${status}` });
      sim.failNext({ path: '/api/v2/jobs/', redirectTo: `${capture.url}/steal`, status });
      const before = capture.requests.length;
      const error = await client(token)
        .getJob('job-1')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudgeneProtocolError);
      expect((error as Error).message).toMatch(new RegExp(`answered ${status}.*redirect`));
      expect((error as Error).message).not.toContain(token);
      expect(capture.requests.length).toBe(before);
    });
  }

  it('a 307 of a token verification does not send the token (in its body) on', async () => {
    const token = sim.addUser({ username: 'verify-redirected' });
    sim.failNext({ path: '/api/v2/tokens/verify', redirectTo: `${capture.url}/verify`, status: 307 });
    const before = capture.requests.length;
    await expect(client(token).verifyToken(token)).rejects.toBeInstanceOf(CloudgeneProtocolError);
    expect(capture.requests.length).toBe(before);
  });

  it('on the app definition and the job list alike', async () => {
    const token = sim.addUser({ username: 'redirected-lists' });
    sim.failNext({ path: '/api/v2/server/apps/', redirectTo: `${capture.url}/app` });
    sim.failNext({ path: '/api/v2/jobs', redirectTo: `${capture.url}/list` });
    await expect(client(token).getAppOptions()).rejects.toBeInstanceOf(CloudgeneProtocolError);
    await expect(client(token).listRecentJobs(1)).rejects.toBeInstanceOf(CloudgeneProtocolError);
    expect(capture.requests.filter((r) => r.headers['x-auth-token'] !== undefined)).toEqual([]);
    expect(capture.requests.map((r) => r.url)).not.toContain('/app');
  });
});

describe('a redirect of a download', () => {
  it('is followed by hand to another origin, without the token', async () => {
    const token = sim.addUser({ username: 'download-redirected' });
    const elsewhere = await startCaptureServer({ body: 'the bytes' });
    try {
      sim.failNext({
        path: '/share/results/',
        redirectTo: `${elsewhere.url}/bucket/chr_20.zip?X-Amz-Signature=x`,
      });
      const download = await client(token).downloadResult(file);
      expect(Buffer.from(await new Response(download.body).arrayBuffer()).toString()).toBe('the bytes');
      expect(elsewhere.requests).toHaveLength(1);
      expect(elsewhere.requests[0]!.url).toBe('/bucket/chr_20.zip?X-Amz-Signature=x');
      expect(elsewhere.requests[0]!.headers['x-auth-token']).toBeUndefined();
      expect(JSON.stringify(elsewhere.requests)).not.toContain(token);
    } finally {
      await elsewhere.close();
    }
  });

  for (const target of [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://10.1.2.3/file',
    'http://[::ffff:169.254.169.254]/file',
    'http://[fd00::1]/file',
    'http://100.64.0.1/file',
    'http://224.0.0.1/file',
  ]) {
    it(`is refused to ${target}, saying where and why`, async () => {
      const token = sim.addUser({ username: `download-forbidden-${target.length}` });
      sim.failNext({ path: '/share/results/', redirectTo: target });
      const error = await client(token)
        .downloadResult(file)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedirectRefusedError);
      expect((error as Error).message).toMatch(
        /The download of chr_20\.zip was redirected to .*not a public address/,
      );
    });
  }

  it('is refused to plain http when loopback is not allowed (AWS): https only', async () => {
    const token = sim.addUser({ username: 'download-http' });
    sim.failNext({ path: '/share/results/', redirectTo: 'http://example.org/file' });
    const error = await client(token, { allowLoopback: false })
      .downloadResult(file)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as Error).message).toContain(
      'http://example.org/file, not followed: http is not allowed (https only)',
    );
  });

  it('checks the address a host name resolves to when it connects', async () => {
    const token = sim.addUser({ username: 'download-dns' });
    const port = new URL(capture.url).port;
    const resolve = fakeDns({ 'metadata.test': '169.254.169.254', 'capture.test': '127.0.0.1' });
    sim.failNext({ path: '/share/results/', redirectTo: `http://metadata.test:${port}/file` });
    const error = await client(token, { allowLoopback: true, resolve })
      .downloadResult(file)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as Error).message).toContain(
      'metadata.test resolves to a forbidden address (169.254.169.254',
    );

    // The same lookup is what the connection uses: a name it allows reaches the address it gave.
    const before = capture.requests.length;
    sim.failNext({ path: '/share/results/', redirectTo: `http://capture.test:${port}/file` });
    const download = await client(token, { allowLoopback: true, resolve }).downloadResult(file);
    await download.body.cancel();
    expect(capture.requests.length).toBe(before + 1);

    // And loopback is refused there too when the policy does not allow it (AWS).
    sim.failNext({ path: '/share/results/', redirectTo: `https://capture.test:${port}/file` });
    await expect(client(token, { allowLoopback: false, resolve }).downloadResult(file)).rejects.toThrow(
      'capture.test resolves to a forbidden address (127.0.0.1 is not a public address)',
    );
  });

  it('gives up after 5 hops', async () => {
    const token = sim.addUser({ username: 'download-loop' });
    const loop = await startCaptureServer({ status: 302, headers: { Location: '/again' } });
    try {
      sim.failNext({ path: '/share/results/', redirectTo: `${loop.url}/start` });
      const error = await client(token)
        .downloadResult(file)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedirectRefusedError);
      expect((error as Error).message).toContain('was redirected more than 5 times');
      expect(loop.requests).toHaveLength(5);
    } finally {
      await loop.close();
    }
  });
});

describe('which addresses are public', () => {
  const refused = [
    '0.0.0.0',
    '10.0.0.1',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.251',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fec0::1',
    'ff02::1',
    '2001:db8::1',
    '2001::1',
    '2002:c000:0204::1',
  ];
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '141.211.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ];
  it.each(refused)('%s is refused', (address) => {
    expect(addressRefusal(address, false)).toBe(`${address} is not a public address`);
  });
  it.each(allowed)('%s is allowed', (address) => {
    expect(addressRefusal(address, false)).toBeUndefined();
  });
  it('loopback only when allowed (the local stack, tests), and nothing else private then', () => {
    for (const address of ['127.0.0.1', '127.5.5.5', '::1', '::ffff:127.0.0.1']) {
      expect(addressRefusal(address, true), address).toBeUndefined();
    }
    for (const address of ['10.0.0.1', '169.254.169.254', 'fd00::1', '::ffff:192.168.0.1']) {
      expect(addressRefusal(address, true), address).toBeDefined();
    }
  });
});

describe('answers are read with a cap', () => {
  it(`a JSON answer above ${MAX_JSON_BYTES} bytes is a protocol error, not read into memory`, async () => {
    const token = sim.addUser({ username: 'huge-answer' });
    sim.failNext({ path: '/api/v2/jobs/', status: 200, body: `{"id":"${'x'.repeat(MAX_JSON_BYTES)}"}` });
    const error = await client(token)
      .getJob('job-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudgeneProtocolError);
    expect((error as Error).message).toBe(
      `The job status answer is larger than ${MAX_JSON_BYTES} bytes; not read`,
    );
  });

  it("the service's message is kept to about 1 KB, cut with an ellipsis", async () => {
    const token = sim.addUser({ username: 'long-message' });
    sim.failNext({
      path: '/api/v2/jobs/',
      status: 400,
      body: JSON.stringify({ message: 'y'.repeat(10_000) }),
    });
    const error = (await client(token)
      .getJob('job-1')
      .catch((e: unknown) => e)) as CloudgeneBadRequestError;
    expect(error).toBeInstanceOf(CloudgeneBadRequestError);
    expect(error.serviceMessage).toHaveLength(1024);
    expect(error.serviceMessage?.endsWith('y…')).toBe(true);
  });
});
