/**
 * Upload records: the caller's promise of an input file at a key under their own prefix. The record
 * expires (TTL) together with the object (bucket lifecycle), so abandoned uploads disappear on their own.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv, userPartition } from '#shared/aws/table';
import { perRuntime } from '#shared/runtime';

const UPLOAD_PREFIX = 'UPLOAD#';

export type UploadStatus = 'PENDING' | 'READY';

export interface UploadRecord {
  uploadId: string;
  owner: string;
  fileName: string;
  size: number;
  /** Base64 SHA-256 the object must match, when the client gave one. */
  sha256?: string;
  bucket: string;
  key: string;
  status: UploadStatus;
  createdAt: string;
  /** Until when the presigned PUT URL works. */
  uploadUrlExpiresAt: string;
  confirmedAt?: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
}

export class UploadStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(upload: UploadRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: userPartition(upload.owner),
          SK: UPLOAD_PREFIX + upload.uploadId,
          entity: 'Upload',
          ...upload,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async get(owner: string, uploadId: string): Promise<UploadRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: userPartition(owner), SK: UPLOAD_PREFIX + uploadId },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toUpload(result.Item) : undefined;
  }

  /** PENDING → READY once the object is confirmed; idempotent. */
  async markReady(owner: string, uploadId: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(owner), SK: UPLOAD_PREFIX + uploadId },
          UpdateExpression: 'SET #status = :ready, confirmedAt = :at',
          ConditionExpression: 'attribute_exists(PK) AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':ready': 'READY', ':pending': 'PENDING', ':at': at.toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(owner: string, options: { limit: number; cursor?: string }) {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': userPartition(owner), ':prefix': UPLOAD_PREFIX },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor
          ? { PK: userPartition(owner), SK: UPLOAD_PREFIX + options.cursor }
          : undefined,
      }),
    );
    const uploads = (result.Items ?? []).map(toUpload);
    const last = result.LastEvaluatedKey
      ? String(result.LastEvaluatedKey.SK).slice(UPLOAD_PREFIX.length)
      : null;
    return { uploads, nextCursor: last };
  }
}

function toUpload(item: Record<string, unknown>): UploadRecord {
  const { PK: _pk, SK: _sk, entity: _entity, ...upload } = item;
  return upload as unknown as UploadRecord;
}

export function uploadStore(): UploadStore {
  return perRuntime(uploadStore, () => new UploadStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
