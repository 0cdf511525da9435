/**
 * Upload records: the caller's promise of an input file at a key under their own prefix. The record
 * expires (TTL) together with the object (bucket lifecycle), so abandoned uploads disappear on their own.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { ItemStore, userItemKey } from '#shared/aws/item-store';
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

const uploadKey = (owner: string, uploadId: string) => userItemKey(owner, UPLOAD_PREFIX + uploadId);

export class UploadStore {
  private readonly items: ItemStore;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
  }

  async create(upload: UploadRecord): Promise<void> {
    const created = await this.items.insert({
      ...uploadKey(upload.owner, upload.uploadId),
      entity: 'Upload',
      ...upload,
    });
    // Upload ids are fresh ULIDs: an existing record means a bug, never a retry to answer quietly.
    if (!created) throw new Error(`Upload ${upload.uploadId} exists already`);
  }

  async get(owner: string, uploadId: string): Promise<UploadRecord | undefined> {
    return this.items.get<UploadRecord>(uploadKey(owner, uploadId));
  }

  /** PENDING → READY once the object is confirmed; idempotent. */
  async markReady(owner: string, uploadId: string, at: Date): Promise<void> {
    await this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET #status = :ready, confirmedAt = :at',
      ConditionExpression: 'attribute_exists(PK) AND #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':ready': 'READY', ':pending': 'PENDING', ':at': at.toISOString() },
    });
  }

  async list(owner: string, options: { limit: number; cursor?: string }) {
    const page = await this.items.queryPage<UploadRecord>({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': userPartition(owner), ':prefix': UPLOAD_PREFIX },
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: options.cursor ? uploadKey(owner, options.cursor) : undefined,
    });
    const last = page.lastKey ? String(page.lastKey.SK).slice(UPLOAD_PREFIX.length) : null;
    return { uploads: page.items, nextCursor: last };
  }
}

export function uploadStore(): UploadStore {
  return perRuntime(uploadStore, () => new UploadStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
