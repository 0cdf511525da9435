/**
 * The result password key is versioned (shared/jobs/result-password.ts): a job's password is derived
 * with the key version recorded on it, new submissions use the current version, and a rotation (a new
 * version made current in the secret) changes no password already sent.
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  currentPasswordKeyVersion,
  deriveResultPassword,
  KEY_SET_MAX_AGE_MS,
  ORIGINAL_KEY_VERSION,
  PasswordKeyVersionUnknownError,
  parsePasswordKeys,
  passwordKeyVersionOf,
  resultPassword,
} from '#shared/jobs/result-password';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { useSettings } from '#test/support/settings';

const ORIGINAL = 'o'.repeat(64);
const SECOND = 's'.repeat(64);
const SECRET = 'gateway-test/result-password-key';

describe('the key set in the secret', () => {
  it('is one key, version 1, when the secret is a plain string (as the stack generates it)', () => {
    const set = parsePasswordKeys(ORIGINAL);
    expect(set.current).toBe(ORIGINAL_KEY_VERSION);
    expect([...set.keys.keys()]).toEqual(['1']);
    expect(set.keys.get('1')?.toString()).toBe(ORIGINAL);
  });

  it('is every version, and the current one, when the secret is JSON', () => {
    const set = parsePasswordKeys(JSON.stringify({ current: '2', keys: { '1': ORIGINAL, '2': SECOND } }));
    expect(set.current).toBe('2');
    expect(set.keys.get('1')?.toString()).toBe(ORIGINAL);
    expect(set.keys.get('2')?.toString()).toBe(SECOND);
  });

  it.each([
    ['', /empty/],
    ['short', /shorter than 32/],
    ['{not json', /not JSON/],
    [JSON.stringify({ current: '3', keys: { '1': ORIGINAL } }), /"current" must name one of the versions/],
    [JSON.stringify({ current: '1', keys: { '1': 'short' } }), /version 1 must be a string of at least 32/],
    [JSON.stringify({ current: '1' }), /"keys" must be an object/],
    [JSON.stringify({ current: 'a b', keys: { 'a b': ORIGINAL } }), /letters, digits/],
  ])('refuses %j', (value, message) => {
    expect(() => parsePasswordKeys(value)).toThrow(message);
  });
});

describe('passwords across a rotation', () => {
  let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    emulators = await startAwsEmulators();
    client = new SecretsManagerClient({
      endpoint: emulators.secretsManager.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(new CreateSecretCommand({ Name: SECRET, SecretString: ORIGINAL }));
    useSettings({ RESULT_PASSWORD_KEY_SECRET_ID: SECRET });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await emulators.close();
  });

  it('derives a job’s password with its recorded version; new jobs use the current one; old ones keep theirs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await currentPasswordKeyVersion()).toBe('1');
    const before = await resultPassword('alice', 'job-1', '1');
    expect(before).toBe(deriveResultPassword(Buffer.from(ORIGINAL), 'alice', 'job-1'));

    // The operator adds version 2 and makes it current.
    await client.send(
      new PutSecretValueCommand({
        SecretId: SECRET,
        SecretString: JSON.stringify({ current: '2', keys: { '1': ORIGINAL, '2': SECOND } }),
      }),
    );
    // A job recorded with version 2 by another function: this warm one reads the secret again for it.
    const second = await resultPassword('alice', 'job-2', '2');
    expect(second).toBe(deriveResultPassword(Buffer.from(SECOND), 'alice', 'job-2'));
    expect(second).not.toBe(deriveResultPassword(Buffer.from(ORIGINAL), 'alice', 'job-2'));
    // Past the cache's age every function submits with version 2.
    vi.setSystemTime(Date.now() + KEY_SET_MAX_AGE_MS + 1000);
    expect(await currentPasswordKeyVersion()).toBe('2');
    // A job sent with version 1 keeps its password.
    expect(await resultPassword('alice', 'job-1', '1')).toBe(before);
  });

  it('refuses a version that is not in the secret (removed too early), naming it', async () => {
    await expect(resultPassword('alice', 'job-1', '7')).rejects.toThrow(PasswordKeyVersionUnknownError);
    await expect(resultPassword('alice', 'job-1', '7')).rejects.toThrow(/no version "7"/);
  });

  it('finds a job’s version: recorded, the original for a job sent before versions, else the current', async () => {
    expect(await passwordKeyVersionOf({ passwordKeyVersion: '1', externalJobId: 'x' })).toBe('1');
    expect(await passwordKeyVersionOf({ externalJobId: 'job-20260101-1' })).toBe(ORIGINAL_KEY_VERSION);
    expect(await passwordKeyVersionOf({ submissionAttemptAt: '2026-01-01T00:00:00Z' })).toBe(
      ORIGINAL_KEY_VERSION,
    );
    expect(await passwordKeyVersionOf({})).toBe('2');
  });
});
