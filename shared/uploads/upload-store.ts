/**
 * Upload records: the caller's promise of an input file at a key under their own prefix. The record
 * expires (TTL) together with the object (bucket lifecycle), so abandoned uploads disappear on their own.
 * A multipart upload's record also holds its plan and S3's id of the multipart upload, which never leaves
 * the server. Every change of state is a conditional write on PENDING, so confirming, abandoning and a
 * first parts request that races either of them cannot undo one another.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { ItemStore, userItemKey } from '#shared/aws/item-store';
import { tableEnv, userPartition } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import { releaseQuietly, UserQuotas } from '#shared/quotas/user-quotas';
import { perRuntime } from '#shared/runtime';
import type { VcfFacts } from '#shared/vcf/vcf-facts';
import type { VcfProblem } from '#shared/vcf/vcf-problems';
import type { FileCursor } from '#shared/vcf/vcf-validator';
import type { Transfer } from './upload-plan';

const UPLOAD_PREFIX = 'UPLOAD#';

/** PENDING until confirmed in S3 (READY) or abandoned by its owner (ABORTED); both are final. */
export type UploadStatus = 'PENDING' | 'READY' | 'ABORTED';

/** A paused check's position in the file, for the object of that ETag (upload-check.ts). */
export interface UploadCheckProgress {
  cursor: FileCursor;
  etag: string;
  invocations: number;
  /** Decompressed bytes read so far (the check's cap counts them across invocations). */
  decompressed?: number;
}

/**
 * The check of a READY upload's whole file (upload-check.ts): CHECKING from confirmation until its
 * outcome, VALID with the file's facts or INVALID with its first problem (both final for that ETag), or
 * UNCHECKED when the check itself could not run (a job then checks the file on its own).
 */
export type UploadCheck =
  | {
      status: 'CHECKING';
      startedAt: string;
      /** The job reading the file itself (the upload's own check could not settle it). */
      reader?: string;
      /**
       * Where the check has got to (written at each pause): a check started again after its execution was
       * lost (a restart of the local stack, a redrive) resumes here instead of reading the file anew.
       */
      progress?: UploadCheckProgress;
    }
  | {
      status: 'VALID';
      startedAt: string;
      checkedAt: string;
      /** The object's ETag as read: a file replaced since is not the one checked. */
      etag: string;
      facts: VcfFacts;
    }
  | { status: 'INVALID'; startedAt: string; checkedAt: string; etag: string; problem: VcfProblem }
  | { status: 'UNCHECKED'; startedAt: string; checkedAt: string; reason: string };

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
  /** How the bytes travel (upload-plan.ts); records written before multipart existed have none: single. */
  transfer?: Transfer;
  /** Multipart: every part is this long but the last. */
  partSize?: number;
  partCount?: number;
  /** Multipart: S3's id of the multipart upload, set by the first parts request. */
  s3UploadId?: string;
  /** Multipart: whether S3 checks a SHA-256 on every part (decided by the first parts request). */
  partChecksums?: boolean;
  createdAt: string;
  /** Until when the presigned URL(s) handed out last work. */
  uploadUrlExpiresAt: string;
  confirmedAt?: string;
  abortedAt?: string;
  /** Set with READY: the check of the whole file and, once known, its outcome. */
  check?: UploadCheck;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
  /**
   * Days after its announcement the upload is kept: its object's `retention-days` tag and its record's
   * TTL (input-retention.ts); absent: INPUT_EXPIRY_DAYS. Jobs using the upload raise it.
   */
  retentionDays?: number;
}

const uploadKey = (owner: string, uploadId: string) => userItemKey(owner, UPLOAD_PREFIX + uploadId);

export class UploadStore {
  private readonly items: ItemStore;
  private readonly quotas: UserQuotas;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
    this.quotas = new UserQuotas(client, tableName);
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

  /**
   * PENDING → READY once the object is confirmed, its check CHECKING from then on; false when the upload
   * is no longer PENDING.
   */
  async markReady(owner: string, uploadId: string, at: Date): Promise<boolean> {
    const check: UploadCheck = { status: 'CHECKING', startedAt: at.toISOString() };
    const ready = await this.whilePending(
      owner,
      uploadId,
      'SET #status = :ready, confirmedAt = :at, #check = :check',
      { ':ready': 'READY', ':at': at.toISOString(), ':check': check },
    );
    // No longer pending (user-quotas.ts; a lost release is found by the next refusal's reconciliation).
    if (ready) await releaseQuietly(uploadId, () => this.quotas.releasePendingUpload(owner, uploadId));
    return ready;
  }

  /**
   * Keeps a paused check's position on the upload, while its check is still CHECKING: for a job reading
   * the file itself, while that job is still its `reader`; for the upload's own check, while no job is.
   */
  async recordCheckProgress(
    owner: string,
    uploadId: string,
    progress: UploadCheckProgress,
    reader?: string,
  ): Promise<boolean> {
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET #check.#progress = :progress',
      ConditionExpression: `attribute_exists(PK) AND #status = :ready AND #check.#checkStatus = :checking${
        reader ? ' AND #check.reader = :reader' : ' AND attribute_not_exists(#check.reader)'
      }`,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#check': 'check',
        '#checkStatus': 'status',
        '#progress': 'progress',
      },
      ExpressionAttributeValues: {
        ':ready': 'READY',
        ':checking': 'CHECKING',
        ':progress': progress,
        ...(reader ? { ':reader': reader } : {}),
      },
    });
  }

  /**
   * Records the outcome of a READY upload's check. An outcome replaces CHECKING, UNCHECKED or one of
   * another ETag, never an outcome already recorded for the same object (a retried check changes nothing).
   */
  async recordCheck(
    owner: string,
    uploadId: string,
    check: Exclude<UploadCheck, { status: 'CHECKING' }>,
  ): Promise<boolean> {
    const open = 'attribute_not_exists(#check) OR #check.#checkStatus IN (:checking, :unchecked)';
    const hasEtag = check.status !== 'UNCHECKED';
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET #check = :check',
      ConditionExpression: `attribute_exists(PK) AND #status = :ready AND (${open}${hasEtag ? ' OR #check.etag <> :etag' : ''})`,
      ExpressionAttributeNames: { '#status': 'status', '#check': 'check', '#checkStatus': 'status' },
      ExpressionAttributeValues: {
        ':ready': 'READY',
        ':check': check,
        ':checking': 'CHECKING',
        ':unchecked': 'UNCHECKED',
        ...(hasEtag ? { ':etag': check.etag } : {}),
      },
    });
  }

  /**
   * Claims the reading of a READY upload's file for job `reader`, while its check is still `seen` (never
   * checked, UNCHECKED, a CHECKING that overran, or an outcome for another ETag): other jobs on the same
   * upload then wait for this one's outcome instead of reading the file too. False when another claimed
   * it first, or the upload is not READY.
   */
  async claimCheck(
    owner: string,
    uploadId: string,
    reader: string,
    seen: UploadCheck | undefined,
    at: Date,
  ): Promise<boolean> {
    const check: UploadCheck = { status: 'CHECKING', startedAt: at.toISOString(), reader };
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET #check = :check',
      ConditionExpression: `attribute_exists(PK) AND #status = :ready AND ${
        seen
          ? '#check.#checkStatus = :seenStatus AND #check.startedAt = :seenStarted'
          : 'attribute_not_exists(#check)'
      }`,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#check': 'check',
        ...(seen ? { '#checkStatus': 'status' } : {}),
      },
      ExpressionAttributeValues: {
        ':ready': 'READY',
        ':check': check,
        ...(seen ? { ':seenStatus': seen.status, ':seenStarted': seen.startedAt } : {}),
      },
    });
  }

  /**
   * PENDING → ABORTED (abandoned by its owner, or discarded by S3); the record as it is now, with the S3
   * multipart upload a racing first parts request may just have attached, or undefined when the upload
   * is no longer PENDING.
   */
  async markAborted(owner: string, uploadId: string, at: Date): Promise<UploadRecord | undefined> {
    const aborted = await this.items.updateAndGet<UploadRecord>(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET #status = :aborted, abortedAt = :at',
      ConditionExpression: 'attribute_exists(PK) AND #status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'PENDING', ':aborted': 'ABORTED', ':at': at.toISOString() },
    });
    // Neither pending nor stored any more (user-quotas.ts).
    if (aborted) await releaseQuietly(uploadId, () => this.quotas.releaseUpload(owner, uploadId));
    return aborted;
  }

  /**
   * Records the S3 multipart upload of a PENDING upload that has none yet; false when another request
   * recorded one first or the upload is no longer PENDING (the caller then discards its own).
   */
  async attachMultipart(
    owner: string,
    uploadId: string,
    multipart: { s3UploadId: string; partChecksums: boolean },
  ): Promise<boolean> {
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET s3UploadId = :s3UploadId, partChecksums = :checksums',
      ConditionExpression: 'attribute_exists(PK) AND #status = :pending AND attribute_not_exists(s3UploadId)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'PENDING',
        ':s3UploadId': multipart.s3UploadId,
        ':checksums': multipart.partChecksums,
      },
    });
  }

  /**
   * Keeps a READY upload's record for `retentionDays` after its announcement (TTL at `expiresAt`), only
   * ever longer: false when a tier at least as long is recorded already, or the upload is not READY.
   */
  async holdUntil(
    owner: string,
    uploadId: string,
    retentionDays: number,
    expiresAt: number,
  ): Promise<boolean> {
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: 'SET retentionDays = :days, #ttl = :expiresAt',
      ConditionExpression:
        'attribute_exists(PK) AND #status = :ready AND (attribute_not_exists(retentionDays) OR retentionDays < :days)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': tableKeys.ttlAttribute },
      ExpressionAttributeValues: { ':ready': 'READY', ':days': retentionDays, ':expiresAt': expiresAt },
    });
  }

  /** Notes until when the part URLs handed out last work; false when the upload is no longer PENDING. */
  async extendUrls(owner: string, uploadId: string, until: Date): Promise<boolean> {
    return this.whilePending(owner, uploadId, 'SET uploadUrlExpiresAt = :until', {
      ':until': until.toISOString(),
    });
  }

  private whilePending(
    owner: string,
    uploadId: string,
    update: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return this.items.update(uploadKey(owner, uploadId), {
      UpdateExpression: update,
      ConditionExpression: 'attribute_exists(PK) AND #status = :pending',
      ExpressionAttributeNames: {
        '#status': 'status',
        ...(update.includes('#check') ? { '#check': 'check' } : {}),
      },
      ExpressionAttributeValues: { ':pending': 'PENDING', ...values },
    });
  }

  /**
   * A page of the owner's uploads, newest first, without abandoned ones. DynamoDB filters after it
   * limits, so pages are read until this one is full or the uploads end.
   */
  async list(owner: string, options: { limit: number; cursor?: string }) {
    const uploads: UploadRecord[] = [];
    let start = options.cursor;
    let more = true;
    while (more && uploads.length < options.limit) {
      const page = await this.items.queryPage<UploadRecord>({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        FilterExpression: '#status <> :aborted',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': userPartition(owner),
          ':prefix': UPLOAD_PREFIX,
          ':aborted': 'ABORTED',
        },
        ScanIndexForward: false,
        Limit: options.limit - uploads.length,
        ExclusiveStartKey: start ? uploadKey(owner, start) : undefined,
      });
      uploads.push(...page.items);
      more = page.lastKey !== undefined;
      if (page.lastKey) start = String(page.lastKey.SK).slice(UPLOAD_PREFIX.length);
    }
    return { uploads, nextCursor: more ? (start ?? null) : null };
  }
}

export function uploadStore(): UploadStore {
  return perRuntime(uploadStore, () => new UploadStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
