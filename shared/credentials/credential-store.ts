/**
 * Metadata of the stored service tokens (never the token): which services a user has a token for, the
 * service username it belongs to, when it expires, and a last-four hint so the user can tell tokens apart.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { assignments, ItemStore, userItemKey } from '#shared/aws/item-store';
import { tableEnv, userPartition } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import { outboxEntry, type TokenStateEntry, withOutbox } from '#shared/events/outbox';
import { perRuntime } from '#shared/runtime';

const SORT_PREFIX = 'CREDENTIAL#';
/** The watcher asks the service about every stored token once a day (shared/health/verify-tokens.ts). */
export const VERIFY_EVERY_MS = 24 * 3_600_000;
/** A credential's place in the watch index (`GSI2`): due for its daily verification at `nextAt`. */
const verifyFields = (sub: string, serviceId: string, nextAt: Date) => ({
  [tableKeys.gsi2.partitionKey]: `VERIFY#${serviceId}`,
  [tableKeys.gsi2.sortKey]: `${nextAt.toISOString()}#${sub}`,
});

export interface CredentialMetadata {
  serviceId: string;
  serviceUsername: string;
  /** ISO timestamp, or null when the service did not say. */
  expiresAt: string | null;
  /** The last four characters of the token, e.g. `…x9Qa`. */
  tokenHint: string;
  verifiedAt: string;
  /**
   * When the service refused this token on a call (401/403: revoked, replaced or expired early); null
   * while none did. Storing a new token clears it.
   */
  rejectedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function tokenHint(token: string): string {
  return `…${token.slice(-4)}`;
}

const credentialKey = (sub: string, serviceId: string) => userItemKey(sub, SORT_PREFIX + serviceId);

export class CredentialStore {
  private readonly items: ItemStore;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
  }

  /**
   * Stores the metadata of a newly verified token in one UpdateItem: `createdAt` survives a replacement
   * (`if_not_exists`), a rejection mark of the token it replaces goes. No read first, so two concurrent
   * stores cannot lose the first `createdAt`.
   */
  async put(
    sub: string,
    metadata: Omit<CredentialMetadata, 'createdAt' | 'updatedAt' | 'rejectedAt'>,
    now = new Date(),
  ): Promise<CredentialMetadata> {
    // `tokenExpiresAt`, not `expiresAt`: the latter is the table's TTL attribute.
    const fields: Record<string, unknown> = {
      entity: 'Credential',
      serviceId: metadata.serviceId,
      serviceUsername: metadata.serviceUsername,
      tokenExpiresAt: metadata.expiresAt,
      tokenHint: metadata.tokenHint,
      verifiedAt: metadata.verifiedAt,
      updatedAt: now.toISOString(),
      ...verifyFields(sub, metadata.serviceId, new Date(now.getTime() + VERIFY_EVERY_MS)),
    };
    const names: Record<string, string> = { '#created': 'createdAt', '#rejected': 'tokenRejectedAt' };
    const values: Record<string, unknown> = { ':now': now.toISOString() };
    const key = credentialKey(sub, metadata.serviceId);
    const stored = await this.items.updateAndGet(
      key,
      withOutbox(
        {
          UpdateExpression: `SET ${assignments(fields, names, values).join(', ')}, #created = if_not_exists(#created, :now) REMOVE #rejected`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
        storedTokenEntries(metadata, now),
        key,
      ),
    );
    return toMetadata(stored ?? {});
  }

  /**
   * Marks the credential rejected, but only the token that was refused: the condition on `verifiedAt`
   * keeps a token stored meanwhile (a replacement) from being marked. Returns whether it was marked now.
   */
  async markRejected(sub: string, serviceId: string, verifiedAt: string, now = new Date()): Promise<boolean> {
    const key = credentialKey(sub, serviceId);
    const at = now.toISOString();
    // `from` is `active`; the publisher says `expired` when the token's expiry had passed by then.
    const entry = outboxEntry({ kind: 'TOKEN_STATE', at, from: 'active', to: 'rejected', verifiedAt });
    return this.items.update(
      key,
      withOutbox(
        {
          // A refused token is not asked about again: it leaves the daily verification.
          UpdateExpression: `SET tokenRejectedAt = :at, updatedAt = :at REMOVE ${tableKeys.gsi2.partitionKey}, ${tableKeys.gsi2.sortKey}`,
          ConditionExpression:
            'attribute_exists(PK) AND verifiedAt = :verifiedAt AND attribute_not_exists(tokenRejectedAt)',
          ExpressionAttributeValues: { ':at': at, ':verifiedAt': verifiedAt },
        },
        [entry],
        key,
      ),
    );
  }

  /** The owners whose token for the service is due for its daily verification, soonest first. */
  async dueForVerification(serviceId: string, now: Date, limit: number): Promise<string[]> {
    const page = await this.items.queryKeys({
      IndexName: tableKeys.gsi2.indexName,
      KeyConditionExpression: '#pk = :pk AND #sk <= :due',
      ExpressionAttributeNames: { '#pk': tableKeys.gsi2.partitionKey, '#sk': tableKeys.gsi2.sortKey },
      ExpressionAttributeValues: { ':pk': `VERIFY#${serviceId}`, ':due': `${now.toISOString()}~` },
      Limit: limit,
    });
    return page.items.map((item) => String(item[tableKeys.partitionKey]).slice('USER#'.length));
  }

  /**
   * Records that the service still accepts the token verified at `verifiedAt` (not one stored since) and
   * schedules the next verification.
   */
  async recordVerified(sub: string, serviceId: string, verifiedAt: string, now: Date): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':verifiedAt': verifiedAt };
    const set = assignments(
      {
        lastCheckedAt: now.toISOString(),
        ...verifyFields(sub, serviceId, new Date(now.getTime() + VERIFY_EVERY_MS)),
      },
      names,
      values,
    );
    return this.items.update(credentialKey(sub, serviceId), {
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: 'attribute_exists(PK) AND verifiedAt = :verifiedAt',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async get(sub: string, serviceId: string): Promise<CredentialMetadata | undefined> {
    const item = await this.items.get(credentialKey(sub, serviceId));
    return item ? toMetadata(item) : undefined;
  }

  async list(sub: string): Promise<CredentialMetadata[]> {
    const credentials: CredentialMetadata[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.items.queryPage({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPartition(sub), ':prefix': SORT_PREFIX },
        ExclusiveStartKey: startKey,
      });
      credentials.push(...page.items.map(toMetadata));
      startKey = page.lastKey;
    } while (startKey);
    return credentials;
  }

  async delete(sub: string, serviceId: string): Promise<{ existed: boolean }> {
    return { existed: await this.items.delete(credentialKey(sub, serviceId)) };
  }
}

/**
 * The events of a newly stored token: `active` now and, when the service gave an expiry, `expired` then
 * (published only if that token is still the one stored and was not rejected meanwhile).
 */
function storedTokenEntries(
  metadata: { expiresAt: string | null; verifiedAt: string },
  now: Date,
): TokenStateEntry[] {
  const at = now.toISOString();
  const stored = outboxEntry({
    kind: 'TOKEN_STATE',
    at,
    from: null,
    to: 'active',
    verifiedAt: metadata.verifiedAt,
    expiresAt: metadata.expiresAt,
  });
  const expiry = metadata.expiresAt;
  if (!expiry || Date.parse(expiry) <= now.getTime()) return [stored];
  const expires = outboxEntry({
    kind: 'TOKEN_STATE',
    at: expiry,
    due: expiry,
    from: 'active',
    to: 'expired',
    verifiedAt: metadata.verifiedAt,
    expiresAt: expiry,
  });
  return [stored, expires];
}

function toMetadata(item: Record<string, unknown>): CredentialMetadata {
  return {
    serviceId: String(item.serviceId),
    serviceUsername: String(item.serviceUsername),
    expiresAt: typeof item.tokenExpiresAt === 'string' ? item.tokenExpiresAt : null,
    tokenHint: String(item.tokenHint),
    verifiedAt: String(item.verifiedAt),
    rejectedAt: typeof item.tokenRejectedAt === 'string' ? item.tokenRejectedAt : null,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

export function credentialStore(): CredentialStore {
  return perRuntime(
    credentialStore,
    () => new CredentialStore(dynamoDocumentClient(), tableEnv().TABLE_NAME),
  );
}
