/**
 * The vault's token reads go through the Powertools cache: counted GetSecretValue calls (the SDK client
 * mocked with aws-sdk-client-mock) show a read within maxAge costs none, a fresh read costs one, and a
 * save or delete in this process is never served stale.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { secretNameFor, TOKEN_CACHE_MAX_AGE_SECONDS, TokenVault } from '#shared/credentials/token-vault';

const name = secretNameFor('gw', 'alice', 'michigan');
const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: {},
  });

describe('TokenVault reads through a cache', () => {
  let client: SecretsManagerClient;
  let sm: ReturnType<typeof mockClient>;
  let vault: TokenVault;
  const reads = () => sm.commandCalls(GetSecretValueCommand).length;

  beforeEach(() => {
    client = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    sm = mockClient(client);
    sm.on(GetSecretValueCommand, { SecretId: name }).resolves({ SecretString: 'token-one' });
    vault = new TokenVault(client, { prefix: 'gw' });
  });
  afterEach(() => {
    sm.restore();
    vi.useRealTimers();
  });

  it('calls GetSecretValue once for any number of reads within maxAge, again once it passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let poll = 0; poll < 5; poll++) expect(await vault.get('alice', 'michigan')).toBe('token-one');
    expect(reads()).toBe(1);
    vi.setSystemTime(Date.now() + (TOKEN_CACHE_MAX_AGE_SECONDS - 1) * 1000);
    await vault.get('alice', 'michigan');
    expect(reads()).toBe(1);
    vi.setSystemTime(Date.now() + 2000);
    await vault.get('alice', 'michigan');
    expect(reads()).toBe(2);
  });

  it('reads Secrets Manager on a fresh read, and serves that value from then on', async () => {
    await vault.get('alice', 'michigan');
    sm.on(GetSecretValueCommand, { SecretId: name }).resolves({ SecretString: 'token-two' });
    expect(await vault.get('alice', 'michigan')).toBe('token-one');
    expect(await vault.get('alice', 'michigan', { fresh: true })).toBe('token-two');
    expect(await vault.get('alice', 'michigan')).toBe('token-two');
    expect(reads()).toBe(2);
  });

  it('never serves a token replaced or deleted in this process', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    expect(await vault.get('alice', 'michigan')).toBe('token-one');
    await vault.put('alice', 'michigan', 'token-two');
    sm.on(GetSecretValueCommand, { SecretId: name }).resolves({ SecretString: 'token-two' });
    expect(await vault.get('alice', 'michigan')).toBe('token-two');
    sm.on(DeleteSecretCommand).resolves({});
    await vault.delete('alice', 'michigan');
    sm.on(GetSecretValueCommand, { SecretId: name }).rejects(notFound());
    expect(await vault.get('alice', 'michigan')).toBeUndefined();
    expect(reads()).toBe(3);
  });

  it('forgets the token even when the write fails, and only that user’s token', async () => {
    const bob = secretNameFor('gw', 'bob', 'michigan');
    sm.on(GetSecretValueCommand, { SecretId: bob }).resolves({ SecretString: 'bob-token' });
    await vault.get('alice', 'michigan');
    await vault.get('bob', 'michigan');
    sm.on(PutSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).rejects(new Error('throttled'));
    await expect(vault.put('alice', 'michigan', 'token-two')).rejects.toThrow('throttled');
    await vault.get('alice', 'michigan');
    await vault.get('bob', 'michigan');
    expect(sm.commandCalls(GetSecretValueCommand, { SecretId: name })).toHaveLength(2);
    expect(sm.commandCalls(GetSecretValueCommand, { SecretId: bob })).toHaveLength(1);
  });

  it('answers undefined for a missing secret without caching the absence, and rethrows the SDK’s own errors', async () => {
    sm.on(GetSecretValueCommand, { SecretId: name }).rejects(notFound());
    expect(await vault.get('alice', 'michigan')).toBeUndefined();
    expect(await vault.get('alice', 'michigan')).toBeUndefined();
    expect(reads()).toBe(2);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(GetSecretValueCommand, { SecretId: name }).rejects(throttled);
    await expect(vault.get('alice', 'michigan')).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
