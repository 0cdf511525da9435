/**
 * The credential metadata store against dynalite: a replacement keeps when the credential was first
 * stored and clears the rejection of the token it replaces, a rejection marks only the token that was
 * refused, and the item carries the hint, never the token.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialStore } from '#shared/credentials/credential-store';
import { credentialStore } from '#shared/credentials/credential-store';
import { startAwsEmulators } from '#test/support/aws-emulators';

let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
let store: CredentialStore;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  store = credentialStore();
});
afterAll(() => emulators.close());

const verified = (token: string, verifiedAt: string) => ({
  serviceId: 'michigan',
  serviceUsername: 'alice-mis',
  expiresAt: null,
  tokenHint: `…${token.slice(-4)}`,
  verifiedAt,
});

describe('credential store', () => {
  it('keeps createdAt across a replacement and clears the rejection of the replaced token', async () => {
    const first = await store.put(
      'sub-a',
      verified('token-one-AAAA', '2026-11-01T00:00:00.000Z'),
      new Date('2026-11-01T00:00:00.000Z'),
    );
    expect(first).toMatchObject({
      createdAt: '2026-11-01T00:00:00.000Z',
      rejectedAt: null,
      tokenHint: '…AAAA',
    });
    // A refusal of a token that is no longer stored marks nothing; of the stored one, once.
    expect(await store.markRejected('sub-a', 'michigan', '2026-10-01T00:00:00.000Z')).toBe(false);
    expect(await store.markRejected('sub-a', 'michigan', first.verifiedAt)).toBe(true);
    expect(await store.markRejected('sub-a', 'michigan', first.verifiedAt)).toBe(false);
    expect((await store.get('sub-a', 'michigan'))?.rejectedAt).toEqual(expect.any(String));

    const replaced = await store.put(
      'sub-a',
      verified('token-two-BBBB', '2026-11-05T00:00:00.000Z'),
      new Date('2026-11-05T00:00:00.000Z'),
    );
    expect(replaced).toEqual({
      ...verified('token-two-BBBB', '2026-11-05T00:00:00.000Z'),
      rejectedAt: null,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-05T00:00:00.000Z',
    });
    expect(await store.get('sub-a', 'michigan')).toEqual(replaced);
    expect(await store.list('sub-a')).toEqual([replaced]);
  });

  it('stores the expiry apart from the TTL attribute, and the hint only', async () => {
    await store.put('sub-b', {
      ...verified('token-three-CCCC', 'now'),
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    const raw = await DynamoDBDocumentClient.from(new DynamoDBClient({})).send(
      new GetCommand({
        TableName: emulators.tableName,
        Key: { PK: 'USER#sub-b', SK: 'CREDENTIAL#michigan' },
      }),
    );
    expect(raw.Item).toMatchObject({ tokenExpiresAt: '2027-01-01T00:00:00.000Z', entity: 'Credential' });
    expect(raw.Item?.expiresAt).toBeUndefined();
    expect(JSON.stringify(raw.Item)).not.toContain('token-three');
  });

  it('deletes once, then reports nothing to delete', async () => {
    expect(await store.delete('sub-b', 'michigan')).toEqual({ existed: true });
    expect(await store.delete('sub-b', 'michigan')).toEqual({ existed: false });
    expect(await store.list('sub-b')).toEqual([]);
  });
});
