import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SecretsManagerEmulator,
  startSecretsManagerEmulator,
} from '#infra/local/emulators/secrets-manager';
import { encodeSubject, secretNameFor, TokenVault } from '#shared/credentials/token-vault';

describe('TokenVault (Secrets Manager)', () => {
  let emulator: SecretsManagerEmulator;
  let vault: TokenVault;

  beforeAll(async () => {
    emulator = await startSecretsManagerEmulator();
    const client = new SecretsManagerClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    vault = new TokenVault(client, { prefix: 'gw', kmsKeyId: 'alias/test' });
  });
  afterAll(() => emulator.close());

  it('names the secret from the subject only, encoded so any IdP subject is a valid name', () => {
    expect(secretNameFor('gw', 'user|with spaces/and:colons', 'michigan')).toBe(
      `gw/users/${encodeSubject('user|with spaces/and:colons')}/services/michigan`,
    );
    expect(encodeSubject('user|with spaces/and:colons')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('creates a secret on first put and replaces its value on the next', async () => {
    expect(await vault.put('alice', 'michigan', 'token-one-aaaaaaaaaaaa')).toEqual({ replaced: false });
    expect(await vault.put('alice', 'michigan', 'token-two-bbbbbbbbbbbb')).toEqual({ replaced: true });
    expect(await vault.get('alice', 'michigan')).toBe('token-two-bbbbbbbbbbbb');
    expect(emulator.secretNames()).toContain(secretNameFor('gw', 'alice', 'michigan'));
  });

  it('keeps users and services apart', async () => {
    await vault.put('bob', 'michigan', 'bob-token-cccccccccccc');
    expect(await vault.get('alice', 'michigan')).toBe('token-two-bbbbbbbbbbbb');
    expect(await vault.get('bob', 'michigan')).toBe('bob-token-cccccccccccc');
    expect(await vault.get('bob', 'topmed')).toBeUndefined();
  });

  it('deletes without a recovery window, so the same token can be stored again at once', async () => {
    expect(await vault.delete('bob', 'michigan')).toEqual({ existed: true });
    expect(await vault.delete('bob', 'michigan')).toEqual({ existed: false });
    expect(await vault.get('bob', 'michigan')).toBeUndefined();
    expect(await vault.put('bob', 'michigan', 'bob-token-dddddddddddd')).toEqual({ replaced: false });
  });
});
