/**
 * The client's answer to a refused token that may only be stale (read from a cache): one fresh read,
 * the call sent again when the token changed, and `onTokenRejected` only when the fresh token is refused
 * too. Against the simulator, whose users get a new token that revokes the old one (403).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { CloudgeneClient } from '#shared/cloudgene/client';
import { ServiceTokenInvalidError, ServiceUnavailableError } from '#shared/cloudgene/errors';
import { submitRequest } from '#test/support/job-fixtures';

let sim: CloudgeneSimulator;
let users = 0;

beforeAll(async () => {
  sim = await startCloudgeneSimulator({ timing: { queueMs: 60_000, runMs: 60_000, exportMs: 60_000 } });
});
afterAll(() => sim.close());

const job = submitRequest({ jobName: 'refresh' });

/** A user whose token is then replaced at the service (the old one answers 403), and a client holding the old one. */
function replacedToken(refresh: () => Promise<string | undefined>) {
  const username = `refresh-${++users}`;
  const old = sim.addUser({ username });
  const onTokenRejected = vi.fn();
  const refreshToken = vi.fn(refresh);
  const client = new CloudgeneClient({
    baseUrl: sim.url,
    appId: 'imputationserver2',
    token: old,
    refreshToken,
    onTokenRejected,
    timeoutMs: 5000,
  });
  return { username, old, client, onTokenRejected, refreshToken };
}

const refusals = (since: number) =>
  sim.requests.slice(since).filter((r) => r.status === 401 || r.status === 403);

describe('a token replaced since the client read it', () => {
  it('is read again after one refusal and the call goes on with it, nothing reported', async () => {
    let current = '';
    const { username, client, onTokenRejected, refreshToken } = replacedToken(async () => current);
    current = sim.addUser({ username });
    const before = sim.requests.length;
    await expect(client.listRecentJobs(1)).resolves.toEqual([]);
    expect(refusals(before)).toHaveLength(1);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(onTokenRejected).not.toHaveBeenCalled();
    // The client keeps the new token: no second refusal, no second read.
    await client.listRecentJobs(1);
    expect(refusals(before)).toHaveLength(1);
    expect(refreshToken).toHaveBeenCalledTimes(1);
  });

  it('re-sends a refused submission with the new token, opening its files again', async () => {
    let current = '';
    const { username, client, onTokenRejected } = replacedToken(async () => current);
    current = sim.addUser({ username });
    const opened = vi.fn(() => Readable.from([Buffer.from('vcf bytes')]));
    const { id } = await client.submitJob({
      ...job,
      files: [{ name: 'chr20.vcf.gz', size: 9, stream: opened }],
    });
    expect(sim.job(id).user).toBe(username);
    expect(sim.submissionsOf(username)).toHaveLength(1);
    expect(opened).toHaveBeenCalledTimes(2);
    expect(onTokenRejected).not.toHaveBeenCalled();
  });

  it('is reported once, and thrown, when the fresh read finds the same refused token', async () => {
    const holder: { token?: string } = {};
    const { username, old, client, onTokenRejected, refreshToken } = replacedToken(async () => holder.token);
    holder.token = old;
    sim.revokeToken(username);
    const before = sim.requests.length;
    await expect(client.getJob('job-1')).rejects.toBeInstanceOf(ServiceTokenInvalidError);
    expect(refusals(before)).toHaveLength(1);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(onTokenRejected).toHaveBeenCalledTimes(1);
  });

  it('is reported when the new token is refused as well, after exactly one retry', async () => {
    const { username, client, onTokenRejected } = replacedToken(async () => 'not-a-token-of-this-service');
    sim.revokeToken(username);
    const before = sim.requests.length;
    await expect(client.getAppOptions()).rejects.toBeInstanceOf(ServiceTokenInvalidError);
    expect(refusals(before)).toHaveLength(2);
    expect(onTokenRejected).toHaveBeenCalledTimes(1);
  });

  it('still reports the refusal when the fresh read fails (the caller marks conditionally)', async () => {
    const { username, client, onTokenRejected } = replacedToken(() => Promise.reject(new Error('AWS down')));
    sim.revokeToken(username);
    await expect(client.getJob('job-1')).rejects.toBeInstanceOf(ServiceTokenInvalidError);
    expect(onTokenRejected).toHaveBeenCalledTimes(1);
  });

  it('reads a token for a client that had none, and reports nothing when there is none', async () => {
    const username = `refresh-${++users}`;
    const token = sim.addUser({ username });
    const onTokenRejected = vi.fn();
    const options = { baseUrl: sim.url, appId: 'imputationserver2', onTokenRejected };
    const late = new CloudgeneClient({ ...options, refreshToken: async () => token });
    await expect(late.listRecentJobs(1)).resolves.toEqual([]);
    const before = sim.requests.length;
    const none = new CloudgeneClient({ ...options, refreshToken: async () => undefined });
    await expect(none.getJob('job-1')).rejects.toBeInstanceOf(ServiceTokenInvalidError);
    expect(sim.requests.length).toBe(before);
    expect(onTokenRejected).not.toHaveBeenCalled();
  });

  it('leaves other failures alone: no fresh read for an unavailable service', async () => {
    const { client, refreshToken } = replacedToken(async () => undefined);
    sim.failNext({ path: '/api/v2/jobs/', status: 503 });
    await expect(client.getJob('job-1')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(refreshToken).not.toHaveBeenCalled();
  });
});
