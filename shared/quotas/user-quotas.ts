/**
 * Per-user quotas: active (not ended) jobs, pending (announced, not completed) uploads and stored upload
 * bytes, so one user cannot fill the account's Lambda concurrency or the inputs bucket for everyone.
 * All of them live on one item per user (`USER#<sub>`, `QUOTA`), changed only by conditional writes,
 * never counted by a Scan or a Query:
 *
 * - `activeJobs` and `pendingUploads` are maps keyed by job / upload id: a unit is taken with
 *   `SET map.<id>` under `size(map) < :limit` (or the id holds one already) and given back with
 *   `REMOVE map.<id>`, so taking or releasing twice for one id changes nothing.
 * - `storedBytes` is a number kept beside the map `storedUploads` (upload id → bytes) in the same write
 *   (`ADD storedBytes :n` only while the id is absent, `ADD storedBytes -n` only while it holds n), so the
 *   sum and the map never drift apart.
 *
 * A unit is released by whoever ends what it counts (a job's move to a terminal status in
 * job-repository.ts, an upload's move to READY or ABORTED in upload-store.ts) in a second write after the
 * first: DynamoDB Local and dynalite have no transactions. A crash between the two cannot leak a unit for
 * good: whenever a request would be refused, the counted ids are read back (GetItem/BatchGetItem by key)
 * and those whose job ended, or whose upload completed, was abandoned or expired, are released first —
 * the map holds the ids, so the truth is re-derived from the items themselves.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ItemKey, ItemStore, userItemKey } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { QuotaExceededError } from '#shared/errors';
import { type JobStatus, TERMINAL_STATUSES } from '#shared/jobs/job-status';
import { logger } from '#shared/logger';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

export type QuotaKind = 'ACTIVE_JOBS' | 'PENDING_UPLOADS' | 'STORED_BYTES';

export interface QuotaLimits {
  activeJobs: number;
  pendingUploads: number;
  storedBytes: number;
}

/** The deployment's limits (MAX_*_PER_USER). */
export function quotaLimits(): QuotaLimits {
  const env = settings.quotas();
  return {
    activeJobs: env.MAX_ACTIVE_JOBS_PER_USER,
    pendingUploads: env.MAX_PENDING_UPLOADS_PER_USER,
    storedBytes: env.MAX_STORED_BYTES_PER_USER,
  };
}

/** What the quota item holds for one user. */
export interface QuotaUsage {
  /** Job id → when its unit was taken. */
  activeJobs: Record<string, string>;
  /** Upload id → when its unit was taken. */
  pendingUploads: Record<string, string>;
  /** Upload id → its bytes. */
  storedUploads: Record<string, number>;
  storedBytes: number;
  /** When the counted ids were last checked against their jobs / uploads (at most once a minute each). */
  jobsReconciledAt?: string;
  uploadsReconciledAt?: string;
  /** The soonest expiry of a stored upload, as the last reconciliation found it. */
  soonestExpiryAt?: string;
}

/**
 * A user refused again and again (a loop) has the ids checked at most this often: a reconciliation
 * reads every counted item, a refusal in between reads one.
 */
export const RECONCILE_INTERVAL_MS = 60_000;

/**
 * An id counted whose job or upload record is missing is released only after this long: it may be the
 * request that took the unit and is about to write the record.
 */
export const QUOTA_RECORD_GRACE_MS = 5 * 60_000;
/** Retry-After when nothing tells when a unit frees (a job ends, an upload completes). */
export const QUOTA_RETRY_SECONDS = 60;

const QUOTA_SORT_KEY = 'QUOTA';
const quotaKey = (owner: string) => userItemKey(owner, QUOTA_SORT_KEY);
const MAPS = { activeJobs: '#jobs', pendingUploads: '#pending', storedUploads: '#stored' } as const;
const MAP_NAMES = { '#jobs': 'activeJobs', '#pending': 'pendingUploads', '#stored': 'storedUploads' };

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(value < 10 ? 1 : 0))} ${units[unit]}`;
}

export class UserQuotas {
  private readonly items: ItemStore;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.items = new ItemStore(client, tableName);
  }

  async usage(owner: string): Promise<QuotaUsage> {
    const item = await this.items.get<Partial<QuotaUsage>>(quotaKey(owner));
    return {
      activeJobs: item?.activeJobs ?? {},
      pendingUploads: item?.pendingUploads ?? {},
      storedUploads: item?.storedUploads ?? {},
      storedBytes: item?.storedBytes ?? 0,
      ...(item?.jobsReconciledAt ? { jobsReconciledAt: item.jobsReconciledAt } : {}),
      ...(item?.uploadsReconciledAt ? { uploadsReconciledAt: item.uploadsReconciledAt } : {}),
      ...(item?.soonestExpiryAt ? { soonestExpiryAt: item.soonestExpiryAt } : {}),
    };
  }

  /**
   * Whether the ids of `what` are due for a reconciliation (none within RECONCILE_INTERVAL_MS), noting
   * that it runs now. Two requests racing may both run it: harmless, each release is conditional.
   */
  private async reconcileDue(owner: string, what: 'jobsReconciledAt' | 'uploadsReconciledAt', last?: string) {
    const now = this.now();
    if (last && now.getTime() - Date.parse(last) < RECONCILE_INTERVAL_MS) return false;
    await this.items.update(quotaKey(owner), {
      UpdateExpression: 'SET #at = :now',
      ExpressionAttributeNames: { '#at': what },
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
    return true;
  }

  /**
   * Refuses early, before a job request costs anything (service calls, S3 tags), when `count` more jobs
   * would not fit; the unit itself is taken by `acquireJob` when the job is written.
   */
  async assertJobRoom(owner: string, count: number, limit: number): Promise<void> {
    const active = Object.keys((await this.usage(owner)).activeJobs).length;
    if (active + count <= limit) return;
    await this.reconcileJobs(owner);
    const now = Object.keys((await this.usage(owner)).activeJobs).length;
    if (now + count > limit) throw jobsRefusal(now, limit, count);
  }

  /** Counts job `jobId` as active (again: nothing changes), or throws QuotaExceededError at the limit. */
  async acquireJob(owner: string, jobId: string, limit: number): Promise<void> {
    const take = () =>
      this.items.update(quotaKey(owner), {
        UpdateExpression: 'SET #jobs.#id = if_not_exists(#jobs.#id, :now)',
        ConditionExpression:
          'attribute_exists(#jobs) AND (size(#jobs) < :limit OR attribute_exists(#jobs.#id))',
        ExpressionAttributeNames: { '#jobs': 'activeJobs', '#id': jobId },
        ExpressionAttributeValues: { ':now': this.now().toISOString(), ':limit': limit },
      });
    if (await take()) return;
    // A first request creates the maps; a request racing it finds them made: either way, try again.
    await this.ensureItem(owner);
    if (await take()) return;
    if ((await this.reconcileJobs(owner)) > 0 && (await take())) return;
    throw jobsRefusal(Object.keys((await this.usage(owner)).activeJobs).length, limit, 1);
  }

  /** Gives job `jobId`'s unit back; false when it held none (released before). */
  async releaseJob(owner: string, jobId: string): Promise<boolean> {
    return this.removeEntry(owner, 'activeJobs', jobId);
  }

  /**
   * Counts a new upload as pending and its bytes as stored, or throws QuotaExceededError naming the
   * quota that is reached.
   */
  async acquireUpload(owner: string, uploadId: string, bytes: number, limits: QuotaLimits): Promise<void> {
    if (bytes > limits.storedBytes) {
      throw new QuotaExceededError(
        `This file (${formatBytes(bytes)}) is larger than your storage quota of ${formatBytes(limits.storedBytes)}: it can never be uploaded here; ask the operators for a larger quota`,
        QUOTA_RETRY_SECONDS,
        { quota: 'STORED_BYTES', limit: limits.storedBytes, used: 0, retryAfterSeconds: QUOTA_RETRY_SECONDS },
      );
    }
    const take = () =>
      this.items.update(quotaKey(owner), {
        UpdateExpression: 'SET #pending.#id = :now, #stored.#id = :bytes ADD storedBytes :bytes',
        ConditionExpression:
          'attribute_exists(#pending) AND attribute_exists(#stored) AND attribute_not_exists(#stored.#id) AND ' +
          'size(#pending) < :maxPending AND storedBytes <= :room',
        ExpressionAttributeNames: {
          '#pending': 'pendingUploads',
          '#stored': 'storedUploads',
          '#id': uploadId,
        },
        ExpressionAttributeValues: {
          ':now': this.now().toISOString(),
          ':bytes': bytes,
          ':maxPending': limits.pendingUploads,
          ':room': limits.storedBytes - bytes,
        },
      });
    if (await take()) return;
    // A first request creates the maps; a request racing it finds them made: either way, try again.
    await this.ensureItem(owner);
    if (await take()) return;
    const reconciled = await this.reconcileUploads(owner);
    if (reconciled.released > 0 && (await take())) return;
    const usage = await this.usage(owner);
    const pending = Object.keys(usage.pendingUploads).length;
    if (pending >= limits.pendingUploads) {
      throw new QuotaExceededError(
        `You have ${plural(pending, 'upload', 'uploads')} announced and not completed, the limit of ${limits.pendingUploads}; one frees when one of them completes, is abandoned (DELETE /uploads/{uploadId}) or its upload link expires`,
        QUOTA_RETRY_SECONDS,
        {
          quota: 'PENDING_UPLOADS',
          limit: limits.pendingUploads,
          used: pending,
          retryAfterSeconds: QUOTA_RETRY_SECONDS,
        },
      );
    }
    const freesAt = reconciled.soonestExpiry;
    const retryAfterSeconds = freesAt
      ? Math.max(QUOTA_RETRY_SECONDS, Math.ceil((freesAt.getTime() - this.now().getTime()) / 1000))
      : QUOTA_RETRY_SECONDS;
    const when = freesAt
      ? `space frees when your upload expiring first expires, at ${freesAt.toISOString()}`
      : 'space frees when one of your uploads expires or is abandoned';
    throw new QuotaExceededError(
      `Your uploads hold ${formatBytes(usage.storedBytes)} and this file needs ${formatBytes(bytes)} more: the limit is ${formatBytes(limits.storedBytes)} per user; ${when}`,
      retryAfterSeconds,
      {
        quota: 'STORED_BYTES',
        limit: limits.storedBytes,
        used: usage.storedBytes,
        retryAfterSeconds,
        ...(freesAt ? { freesAt: freesAt.toISOString() } : {}),
      },
    );
  }

  /** An upload completed (READY): it is no longer pending; its bytes stay stored. */
  async releasePendingUpload(owner: string, uploadId: string): Promise<boolean> {
    return this.removeEntry(owner, 'pendingUploads', uploadId);
  }

  /** An upload was abandoned or expired: neither pending nor stored any more. */
  async releaseUpload(owner: string, uploadId: string): Promise<void> {
    await this.releasePendingUpload(owner, uploadId);
    const bytes = (await this.usage(owner)).storedUploads[uploadId];
    if (bytes === undefined) return;
    await this.items.update(quotaKey(owner), {
      UpdateExpression: 'REMOVE #stored.#id ADD storedBytes :minus',
      ConditionExpression: '#stored.#id = :bytes',
      ExpressionAttributeNames: { '#stored': 'storedUploads', '#id': uploadId },
      ExpressionAttributeValues: { ':bytes': bytes, ':minus': -bytes },
    });
  }

  /**
   * Releases the units of jobs that ended (or whose item is gone) without their release being written
   * (a crash between the two writes). Answers how many were released.
   */
  async reconcileJobs(owner: string): Promise<number> {
    const usage = await this.usage(owner);
    const entries = Object.entries(usage.activeJobs);
    if (entries.length === 0) return 0;
    if (!(await this.reconcileDue(owner, 'jobsReconciledAt', usage.jobsReconciledAt))) return 0;
    const jobs = await this.batchGet(
      entries.map(([jobId]) => userItemKey(owner, `JOB#${jobId}`)),
      '#status',
      { '#status': 'status' },
    );
    let released = 0;
    for (const [jobId, takenAt] of entries) {
      const job = jobs.get(`JOB#${jobId}`);
      const stale = job
        ? TERMINAL_STATUSES.has(job.status as JobStatus)
        : this.now().getTime() - Date.parse(takenAt) > QUOTA_RECORD_GRACE_MS;
      if (stale && (await this.removeEntry(owner, 'activeJobs', jobId, takenAt))) {
        released += 1;
        logger.warn('active-job unit released late', { jobId, status: job?.status ?? 'gone' });
      }
    }
    return released;
  }

  /**
   * Releases the units of uploads that completed, were abandoned or expired without their release being
   * written. Also answers the soonest expiry of an upload still stored (when stored bytes will free).
   */
  async reconcileUploads(owner: string): Promise<{ released: number; soonestExpiry?: Date }> {
    const usage = await this.usage(owner);
    const ids = [...new Set([...Object.keys(usage.pendingUploads), ...Object.keys(usage.storedUploads)])];
    if (ids.length === 0) return { released: 0 };
    if (!(await this.reconcileDue(owner, 'uploadsReconciledAt', usage.uploadsReconciledAt))) {
      return {
        released: 0,
        ...(usage.soonestExpiryAt ? { soonestExpiry: new Date(usage.soonestExpiryAt) } : {}),
      };
    }
    const uploads = await this.batchGet(
      ids.map((id) => userItemKey(owner, `UPLOAD#${id}`)),
      '#status, expiresAt',
      { '#status': 'status' },
    );
    const now = this.now().getTime();
    let released = 0;
    let soonest: number | undefined;
    for (const id of ids) {
      const upload = uploads.get(`UPLOAD#${id}`);
      const pendingSince = usage.pendingUploads[id];
      const expiresAt = typeof upload?.expiresAt === 'number' ? upload.expiresAt * 1000 : undefined;
      const young = pendingSince !== undefined && now - Date.parse(pendingSince) <= QUOTA_RECORD_GRACE_MS;
      // TTL deletes within days of the expiry (and the emulators never): an expired record is gone.
      const gone = upload ? upload.status === 'ABORTED' || (expiresAt ?? now + 1) <= now : !young;
      if (gone) {
        await this.releaseUpload(owner, id);
        released += 1;
        logger.warn('upload units released late', { uploadId: id, status: upload?.status ?? 'gone' });
        continue;
      }
      if (upload?.status === 'READY' && pendingSince !== undefined) {
        if (await this.releasePendingUpload(owner, id)) released += 1;
      }
      if (expiresAt !== undefined && id in usage.storedUploads) {
        soonest = soonest === undefined ? expiresAt : Math.min(soonest, expiresAt);
      }
    }
    const soonestExpiry = soonest !== undefined ? new Date(soonest) : undefined;
    await this.items.update(quotaKey(owner), {
      UpdateExpression: soonestExpiry ? 'SET soonestExpiryAt = :at' : 'REMOVE soonestExpiryAt',
      ...(soonestExpiry ? { ExpressionAttributeValues: { ':at': soonestExpiry.toISOString() } } : {}),
    });
    return { released, ...(soonestExpiry ? { soonestExpiry } : {}) };
  }

  /** Creates the item's maps if missing; true when it wrote anything. */
  private async ensureItem(owner: string): Promise<boolean> {
    return this.items.update(quotaKey(owner), {
      UpdateExpression:
        'SET #jobs = if_not_exists(#jobs, :empty), #pending = if_not_exists(#pending, :empty), ' +
        '#stored = if_not_exists(#stored, :empty), storedBytes = if_not_exists(storedBytes, :zero), entity = :entity',
      ConditionExpression:
        'attribute_not_exists(#jobs) OR attribute_not_exists(#pending) OR attribute_not_exists(#stored) OR attribute_not_exists(storedBytes)',
      ExpressionAttributeNames: MAP_NAMES,
      ExpressionAttributeValues: { ':empty': {}, ':zero': 0, ':entity': 'UserQuota' },
    });
  }

  /** Removes one id from a map; with `value`, only while it still holds that value (a retaken unit stays). */
  private removeEntry(owner: string, map: keyof typeof MAPS, id: string, value?: string): Promise<boolean> {
    return this.items.update(quotaKey(owner), {
      UpdateExpression: 'REMOVE #map.#id',
      ConditionExpression: value === undefined ? 'attribute_exists(#map.#id)' : '#map.#id = :value',
      ExpressionAttributeNames: { '#map': map, '#id': id },
      ...(value === undefined ? {} : { ExpressionAttributeValues: { ':value': value } }),
    });
  }

  /** Items by key (BatchGetItem, 100 at a time), keyed by sort key; only the projected attributes. */
  private async batchGet(
    keys: ItemKey[],
    projection: string,
    names: Record<string, string>,
  ): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < keys.length; start += 100) {
      let request: ItemKey[] = keys.slice(start, start + 100);
      for (let attempt = 0; request.length > 0 && attempt < 5; attempt += 1) {
        const answer = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: request,
                ProjectionExpression: `SK, ${projection}`,
                ExpressionAttributeNames: names,
                ConsistentRead: true,
              },
            },
          }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) found.set(String(item.SK), item);
        request = (answer.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as ItemKey[];
      }
      if (request.length > 0) throw new Error('DynamoDB left keys unprocessed; try again');
    }
    return found;
  }
}

function jobsRefusal(active: number, limit: number, asked: number): QuotaExceededError {
  const want = asked > 1 ? ` (this request needs ${asked})` : '';
  return new QuotaExceededError(
    `You have ${plural(active, 'active job', 'active jobs')}, the limit of ${limit} per user${want}; one frees when one of your jobs ends (succeeds, fails or is canceled)`,
    QUOTA_RETRY_SECONDS,
    { quota: 'ACTIVE_JOBS', limit, used: active, retryAfterSeconds: QUOTA_RETRY_SECONDS },
  );
}

/** Releases a unit without failing the write it follows: reconciliation catches a lost release. */
export async function releaseQuietly(what: string, release: () => Promise<unknown>): Promise<void> {
  try {
    await release();
  } catch (error) {
    logger.warn('quota release deferred to reconciliation', { what, error: String(error) });
  }
}

export function userQuotas(): UserQuotas {
  return perRuntime(userQuotas, () => new UserQuotas(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
