/**
 * How long an input is kept. An upload expires INPUT_EXPIRY_DAYS (E) after it was announced: its record
 * through the table's TTL, its object through the inputs bucket's lifecycle. A job that uses it holds it
 * longer, so that a long wait (a service out for two weeks) followed by a resubmission still finds its
 * inputs: creating or resubmitting a job keeps each of its uploads at least `jobInputHoldDays` (2E) from
 * that moment.
 *
 * S3 lifecycle rules delete by age, counted from the object's creation, and when two expiration rules
 * match an object the shorter wins, so an object's expiry cannot be pushed back by a rule that matches
 * every object. Nor may objects be copied (inputs reach 100 GiB). Instead each object carries a tag,
 * `retention-days=<N>`, and the bucket has one rule per retention tier N (E, 2E, 4E, 8E) that expires
 * objects with that tag N days after creation, plus one rule without a filter at the longest tier (16E):
 * the bound for objects never tagged (uploaded but never confirmed, or from before the tags). Holding an
 * input is re-tagging it (PutObjectTagging: no bytes move) with the smallest tier that reaches the hold,
 * and moving its record's TTL alike. A confirmed upload is tagged with E at once.
 *
 * Tiers only grow: the record's `retentionDays` is the referee (a conditional write that only raises
 * it), and whoever tags reads the record again afterwards and re-tags if a larger tier was recorded
 * meanwhile, so concurrent holds end with the object tagged with the largest. Inputs are kept at most 16E
 * days after upload: a job whose uploads could no longer be held for E more days is refused
 * (UPLOAD_EXPIRED), and the file must be uploaded again.
 */
import { PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConflictError } from '#shared/errors';
import { logger } from '#shared/logger';
import { settings } from '#shared/settings';
import type { UploadRecord, UploadStore } from './upload-store';

export const RETENTION_TAG = 'retention-days';

const DAY_MS = 86_400_000;

/** The retention tiers, in days after upload: E, 2E, 4E, 8E, 16E. */
export function retentionTiers(inputExpiryDays: number): number[] {
  return [1, 2, 4, 8, 16].map((factor) => factor * inputExpiryDays);
}

/** Days a job keeps its inputs from its creation (or resubmission) on: its longest wait, then time to resubmit. */
export const jobInputHoldDays = (inputExpiryDays: number) => 2 * inputExpiryDays;

/**
 * When the lifecycle deletes an object created at `created` under a rule of `days`: S3 adds the days to
 * the creation time and rounds up to the next midnight UTC. `created` is the upload's announcement, which
 * comes before the object's creation, so the object is never deleted before this.
 */
export function lifecycleExpiry(created: number, days: number): Date {
  return new Date(Math.ceil((created + days * DAY_MS) / DAY_MS) * DAY_MS);
}

/** The smallest tier that keeps an upload announced at `createdAt` until `until`; the longest if none does. */
export function retentionFor(
  createdAt: string,
  until: Date,
  inputExpiryDays: number,
): { days: number; expiresAt: Date } {
  const created = Date.parse(createdAt);
  const tiers = retentionTiers(inputExpiryDays);
  const days =
    tiers.find((tier) => lifecycleExpiry(created, tier).getTime() >= until.getTime()) ?? tiers.at(-1)!;
  return { days, expiresAt: lifecycleExpiry(created, days) };
}

export interface RetentionDeps {
  store: UploadStore;
  s3: S3Client;
  now: () => Date;
}

const inputExpiryDays = () => settings.uploads().INPUT_EXPIRY_DAYS;

/**
 * Keeps each upload (object and record) for a job created now: at least `jobInputHoldDays` from now,
 * or as long as uploads are kept at all. Refuses (409 UPLOAD_EXPIRED) an upload that is gone or could not
 * be kept for E more days. Safe to repeat.
 */
export async function holdUploads(uploads: readonly UploadRecord[], deps: RetentionDeps): Promise<void> {
  const days = inputExpiryDays();
  const now = deps.now();
  const until = new Date(now.getTime() + jobInputHoldDays(days) * DAY_MS);
  await Promise.all(
    uploads.map(async (upload) => {
      const wanted = retentionFor(upload.createdAt, until, days);
      if (wanted.expiresAt.getTime() < now.getTime() + days * DAY_MS) {
        throw new ConflictError(
          `Upload ${upload.uploadId} (${upload.fileName}) was uploaded on ${upload.createdAt}: inputs are kept ` +
            `at most ${wanted.days} days after upload, too short for another job. Upload the file again.`,
          'UPLOAD_EXPIRED',
        );
      }
      let recorded = upload.retentionDays ?? days;
      if (wanted.days > recorded) {
        const expiresAt = Math.floor(wanted.expiresAt.getTime() / 1000);
        if (await deps.store.holdUntil(upload.owner, upload.uploadId, wanted.days, expiresAt)) {
          recorded = wanted.days;
        } else {
          // Raised by a concurrent hold (then its tier is at least ours), or the upload is gone.
          const current = await deps.store.get(upload.owner, upload.uploadId);
          if (current?.status !== 'READY') throw expired(upload);
          recorded = current.retentionDays ?? days;
        }
      }
      // Also when nothing was raised: a hold whose tagging failed is repaired by the next one.
      await tagRetention(upload, recorded, deps);
    }),
  );
}

/**
 * Tags the upload's object with its retention tier, then re-tags with the tier its record holds if a
 * concurrent hold raised it meanwhile (the record only ever grows, so the object ends with the largest).
 */
export async function tagRetention(upload: UploadRecord, days: number, deps: RetentionDeps): Promise<void> {
  let tier = days;
  for (let attempt = 0; attempt < 5; attempt++) {
    await deps.s3.send(
      new PutObjectTaggingCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        Tagging: { TagSet: [{ Key: RETENTION_TAG, Value: String(tier) }] },
      }),
    );
    const current = await deps.store.get(upload.owner, upload.uploadId);
    const recorded = current?.retentionDays ?? inputExpiryDays();
    if (recorded <= tier) return;
    tier = recorded;
  }
  logger.warn('retention tag still behind its record after several attempts', { uploadId: upload.uploadId });
}

/** Tags a just-confirmed upload with the first tier; best effort (untagged, it is kept up to 16E days). */
export async function tagConfirmedUpload(upload: UploadRecord, deps: RetentionDeps): Promise<void> {
  try {
    await tagRetention(upload, upload.retentionDays ?? inputExpiryDays(), deps);
  } catch (error) {
    logger.warn('could not tag a confirmed upload with its retention', {
      uploadId: upload.uploadId,
      error: String(error),
    });
  }
}

function expired(upload: UploadRecord) {
  return new ConflictError(
    `Upload ${upload.uploadId} (${upload.fileName}) is no longer kept: upload the file again.`,
    'UPLOAD_EXPIRED',
  );
}
