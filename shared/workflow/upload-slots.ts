/**
 * Upload leases per owner and service. A service counts a job against the owner's limit only once the
 * whole multipart upload has arrived, so the service's own job list cannot tell two of our jobs that
 * upload at the same moment about each other: both see a free slot, both send gigabytes, one is refused.
 * A lease is taken (one conditional write) before an upload and released once the service lists the
 * job, so at most `free` uploads are under way per owner and service. A lease left by a task that died
 * expires after the longest an upload can take. The item also remembers the limit the service stated
 * ("Only N jobs per user…"), so one refusal teaches every job of the owner.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv, userPartition } from '#shared/aws/table';
import { perRuntime } from '#shared/runtime';

/** Longer than the submit task's timeout: a lease older than this belongs to no running upload. */
export const LEASE_STALE_MS = 16 * 60_000;

export class UploadSlots {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(owner: string, serviceId: string) {
    return { PK: userPartition(owner), SK: `SLOTS#${serviceId}` };
  }

  /**
   * Takes a lease for `jobId` if fewer than `free` are held (or it holds one already) and the service
   * has not meanwhile stated a limit below `assumedLimit`, the limit `free` was computed with.
   */
  async acquire(
    owner: string,
    serviceId: string,
    jobId: string,
    free: number,
    seen: { limit: number; submitted: number },
    now = new Date(),
  ): Promise<boolean> {
    if (free <= 0) return false;
    const key = this.key(owner, serviceId);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET #leases = if_not_exists(#leases, :empty), entity = :entity',
        ExpressionAttributeNames: { '#leases': 'leases' },
        ExpressionAttributeValues: { ':empty': {}, ':entity': 'UploadSlots' },
      }),
    );
    const take = () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #leases.#job = :now',
          ConditionExpression:
            '(size(#leases) < :free OR attribute_exists(#leases.#job)) AND ' +
            '(attribute_not_exists(serviceLimit) OR serviceLimit >= :assumed) AND ' +
            '(attribute_not_exists(submitted) OR submitted = :submitted)',
          ExpressionAttributeNames: { '#leases': 'leases', '#job': jobId },
          ExpressionAttributeValues: {
            ':now': now.toISOString(),
            ':free': free,
            ':assumed': seen.limit,
            ':submitted': seen.submitted,
          },
        }),
      );
    try {
      await take();
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    if (!(await this.dropStale(owner, serviceId, now))) return false;
    try {
      await take();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Read before listing the service's jobs: the limit the service last stated for this owner ("Only N
   * jobs…", if it ever did) and the count of submissions the service accepted so far. A lease is granted
   * only if that count is unchanged, i.e. no upload finished between this read and the lease — whose job
   * the listing might not have shown yet.
   */
  async read(owner: string, serviceId: string): Promise<{ serviceLimit?: number; submitted: number }> {
    const item = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(owner, serviceId), ConsistentRead: true }),
    );
    const limit = item.Item?.serviceLimit;
    return {
      serviceLimit: typeof limit === 'number' && limit > 0 ? limit : undefined,
      submitted: typeof item.Item?.submitted === 'number' ? item.Item.submitted : 0,
    };
  }

  /** Remembers the limit the service stated, for every job of this owner at this service. */
  async rememberLimit(owner: string, serviceId: string, limit: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(owner, serviceId),
        UpdateExpression: 'SET serviceLimit = :limit, entity = :entity',
        ExpressionAttributeValues: { ':limit': limit, ':entity': 'UploadSlots' },
      }),
    );
  }

  /** Gives the lease back; `accepted` when the service took the submission (counted, see `read`). */
  async release(owner: string, serviceId: string, jobId: string, accepted = false): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(owner, serviceId),
          UpdateExpression: accepted ? 'REMOVE #leases.#job ADD submitted :one' : 'REMOVE #leases.#job',
          ConditionExpression: 'attribute_exists(#leases)',
          ExpressionAttributeNames: { '#leases': 'leases', '#job': jobId },
          ...(accepted ? { ExpressionAttributeValues: { ':one': 1 } } : {}),
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /** Removes leases older than LEASE_STALE_MS (each only if unchanged); true when any was removed. */
  private async dropStale(owner: string, serviceId: string, now: Date): Promise<boolean> {
    const key = this.key(owner, serviceId);
    const item = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    const leases = (item.Item?.leases ?? {}) as Record<string, string>;
    const stale = Object.entries(leases).filter(([, at]) => now.getTime() - Date.parse(at) > LEASE_STALE_MS);
    let removed = false;
    for (const [jobId, at] of stale) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'REMOVE #leases.#job',
            ConditionExpression: '#leases.#job = :at',
            ExpressionAttributeNames: { '#leases': 'leases', '#job': jobId },
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        removed = true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return removed;
  }
}

export function uploadSlots(): UploadSlots {
  return perRuntime(uploadSlots, () => new UploadSlots(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
