/**
 * Upload leases per owner and service. A service counts a job against the owner's limit only once the
 * whole multipart upload has arrived, so the service's own job list cannot tell two of our jobs that
 * upload at the same moment about each other: both see a free slot, both send gigabytes, one is refused.
 * A lease is taken (one conditional write) before an upload and released once the service lists the
 * job, so at most `free` uploads are under way per owner and service. A lease left by a task that died
 * expires after the longest an upload can take. The item also remembers the limit the service stated
 * ("Only N jobs per user…"), so one refusal teaches every job of the owner.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ItemKey, ItemStore, userItemKey } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { perRuntime } from '#shared/runtime';

/** Longer than the submit task's timeout: a lease older than this belongs to no running upload. */
export const LEASE_STALE_MS = 16 * 60_000;

const slotsKey = (owner: string, serviceId: string) => userItemKey(owner, `SLOTS#${serviceId}`);

export class UploadSlots {
  private readonly items: ItemStore;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
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
    const key = slotsKey(owner, serviceId);
    await this.items.update(key, {
      UpdateExpression: 'SET #leases = if_not_exists(#leases, :empty), entity = :entity',
      ExpressionAttributeNames: { '#leases': 'leases' },
      ExpressionAttributeValues: { ':empty': {}, ':entity': 'UploadSlots' },
    });
    const take = () =>
      this.items.update(key, {
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
      });
    if (await take()) return true;
    return (await this.dropStale(key, now)) && take();
  }

  /**
   * Read before listing the service's jobs: the limit the service last stated for this owner ("Only N
   * jobs…", if it ever did) and the count of submissions the service accepted so far. A lease is granted
   * only if that count is unchanged, i.e. no upload finished between this read and the lease — whose job
   * the listing might not have shown yet.
   */
  async read(owner: string, serviceId: string): Promise<{ serviceLimit?: number; submitted: number }> {
    const item = await this.items.get(slotsKey(owner, serviceId));
    const limit = item?.serviceLimit;
    return {
      serviceLimit: typeof limit === 'number' && limit > 0 ? limit : undefined,
      submitted: typeof item?.submitted === 'number' ? item.submitted : 0,
    };
  }

  /** Remembers the limit the service stated, for every job of this owner at this service. */
  async rememberLimit(owner: string, serviceId: string, limit: number): Promise<void> {
    await this.items.update(slotsKey(owner, serviceId), {
      UpdateExpression: 'SET serviceLimit = :limit, entity = :entity',
      ExpressionAttributeValues: { ':limit': limit, ':entity': 'UploadSlots' },
    });
  }

  /** Gives the lease back; `accepted` when the service took the submission (counted, see `read`). */
  async release(owner: string, serviceId: string, jobId: string, accepted = false): Promise<void> {
    await this.items.update(slotsKey(owner, serviceId), {
      UpdateExpression: accepted ? 'REMOVE #leases.#job ADD submitted :one' : 'REMOVE #leases.#job',
      ConditionExpression: 'attribute_exists(#leases)',
      ExpressionAttributeNames: { '#leases': 'leases', '#job': jobId },
      ...(accepted ? { ExpressionAttributeValues: { ':one': 1 } } : {}),
    });
  }

  /** Removes leases older than LEASE_STALE_MS (each only if unchanged); true when any was removed. */
  private async dropStale(key: ItemKey, now: Date): Promise<boolean> {
    const leases = ((await this.items.get(key))?.leases ?? {}) as Record<string, string>;
    const stale = Object.entries(leases).filter(([, at]) => now.getTime() - Date.parse(at) > LEASE_STALE_MS);
    let removed = false;
    for (const [jobId, at] of stale) {
      const dropped = await this.items.update(key, {
        UpdateExpression: 'REMOVE #leases.#job',
        ConditionExpression: '#leases.#job = :at',
        ExpressionAttributeNames: { '#leases': 'leases', '#job': jobId },
        ExpressionAttributeValues: { ':at': at },
      });
      removed ||= dropped;
    }
    return removed;
  }
}

export function uploadSlots(): UploadSlots {
  return perRuntime(uploadSlots, () => new UploadSlots(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
