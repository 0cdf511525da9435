/**
 * Metadata of the stored service tokens (never the token): which services a user has a token for, the
 * service username it belongs to, when it expires, and a last-four hint so the user can tell tokens apart.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv, userPartition } from '#shared/aws/table';
import { perRuntime } from '#shared/runtime';

const SORT_PREFIX = 'CREDENTIAL#';

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

export class CredentialStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(
    sub: string,
    metadata: Omit<CredentialMetadata, 'createdAt' | 'updatedAt' | 'rejectedAt'>,
    now = new Date(),
  ) {
    const existing = await this.get(sub, metadata.serviceId);
    const item: CredentialMetadata = {
      ...metadata,
      rejectedAt: null,
      createdAt: existing?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        // `tokenExpiresAt`, not `expiresAt`: the latter is the table's TTL attribute.
        Item: {
          PK: userPartition(sub),
          SK: SORT_PREFIX + metadata.serviceId,
          entity: 'Credential',
          serviceId: item.serviceId,
          serviceUsername: item.serviceUsername,
          tokenExpiresAt: item.expiresAt,
          tokenHint: item.tokenHint,
          verifiedAt: item.verifiedAt,
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
        },
      }),
    );
    return item;
  }

  /**
   * Marks the credential rejected, but only the token that was refused: the condition on `verifiedAt`
   * keeps a token stored meanwhile (a replacement) from being marked. Returns whether it was marked now.
   */
  async markRejected(sub: string, serviceId: string, verifiedAt: string, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(sub), SK: SORT_PREFIX + serviceId },
          UpdateExpression: 'SET tokenRejectedAt = :at, updatedAt = :at',
          ConditionExpression:
            'attribute_exists(PK) AND verifiedAt = :verifiedAt AND attribute_not_exists(tokenRejectedAt)',
          ExpressionAttributeValues: { ':at': now.toISOString(), ':verifiedAt': verifiedAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(sub: string, serviceId: string): Promise<CredentialMetadata | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: userPartition(sub), SK: SORT_PREFIX + serviceId },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toMetadata(result.Item) : undefined;
  }

  async list(sub: string): Promise<CredentialMetadata[]> {
    const items: CredentialMetadata[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': userPartition(sub), ':prefix': SORT_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []).map(toMetadata));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async delete(sub: string, serviceId: string): Promise<{ existed: boolean }> {
    const result = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { PK: userPartition(sub), SK: SORT_PREFIX + serviceId },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return { existed: result.Attributes !== undefined };
  }
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
