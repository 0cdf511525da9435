/**
 * How a file of a given size travels to S3: one presigned PUT up to the multipart threshold, above it a
 * multipart upload whose parts are all `partSize` bytes but the last. The part size is the configured
 * one, grown (to whole MiB, so scripts can cut parts with `dd bs=1MiB`) when the file would otherwise
 * need more than S3's 10,000 parts. Pure functions: the plan is computed once at announcement and kept
 * in the upload record, so a later change of the settings cannot change an upload's parts.
 */
import { MIB, S3_MAX_PART_BYTES, S3_MAX_PARTS } from './s3-limits';

export type Transfer = 'single' | 'multipart';

export type TransferPlan =
  | { transfer: 'single' }
  | { transfer: 'multipart'; partSize: number; partCount: number };

export interface PlanSettings {
  UPLOAD_MULTIPART_THRESHOLD_BYTES: number;
  UPLOAD_PART_SIZE_BYTES: number;
}

export function planTransfer(size: number, settings: PlanSettings): TransferPlan {
  if (size <= settings.UPLOAD_MULTIPART_THRESHOLD_BYTES) return { transfer: 'single' };
  const partSize = Math.max(settings.UPLOAD_PART_SIZE_BYTES, Math.ceil(size / S3_MAX_PARTS / MIB) * MIB);
  if (partSize > S3_MAX_PART_BYTES) {
    // The settings keep uploads within 5 TiB, which fits 10,000 parts of 525 MiB: unreachable.
    throw new Error(`An upload of ${size} bytes needs parts over S3's 5 GiB limit`);
  }
  return { transfer: 'multipart', partSize, partCount: Math.ceil(size / partSize) };
}

/** Where part `partNumber` (1-based) lies in the file, and how long it is (the last one is shorter). */
export function partRange(
  plan: { partSize: number; partCount: number },
  size: number,
  partNumber: number,
): { offset: number; length: number } {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
    throw new RangeError(`Part ${partNumber} is not between 1 and ${plan.partCount}`);
  }
  const offset = (partNumber - 1) * plan.partSize;
  return { offset, length: Math.min(plan.partSize, size - offset) };
}
