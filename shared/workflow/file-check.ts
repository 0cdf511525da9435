/**
 * Checks one stored input file, streamed from S3, for as long as the invocation may: to its end (its
 * facts, or its first problem) or to a pause with a small cursor, from which the next invocation resumes
 * with a range GET that must still match the ETag first read (a file replaced meanwhile is not resumed).
 * Used by the check of an upload when it completes and by a job whose files were not checked then.
 */
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { s3Client } from '#shared/aws/clients';
import { logger } from '#shared/logger';
import { formatBytes } from '#shared/quotas/user-quotas';
import { settings } from '#shared/settings';
import type { VcfFacts } from '#shared/vcf/vcf-facts';
import type { VcfProblem } from '#shared/vcf/vcf-problems';
import { type FileCursor, type ValidationStats, validateVcf } from '#shared/vcf/vcf-validator';
import { TransientError } from './task-errors';

export interface StoredFile {
  bucket: string;
  key: string;
  fileName: string;
}

export type FileCheckStep =
  | { kind: 'valid'; etag: string; facts: VcfFacts }
  | { kind: 'invalid'; etag: string; problem: VcfProblem }
  /** The object is gone or was replaced mid-check: nothing to say about the file's contents. */
  | { kind: 'unreadable'; reason: string }
  /** `decompressedBytes`: what this invocation inflated (the caps on one file's check count them). */
  | { kind: 'paused'; etag: string; cursor: FileCursor; decompressedBytes: number };

export async function checkStoredFile(
  file: StoredFile,
  from: { cursor?: FileCursor; etag?: string },
  shouldPause: (stats: Readonly<ValidationStats>) => boolean,
): Promise<FileCheckStep> {
  const { cursor, etag } = from;
  let object: GetObjectCommandOutput;
  try {
    object = await s3Client().send(
      new GetObjectCommand({
        Bucket: file.bucket,
        Key: file.key,
        // Resume at the block where the next line starts, and only if the file is the one begun.
        ...(cursor ? { Range: `bytes=${cursor.block}-` } : {}),
        ...(cursor && etag ? { IfMatch: etag } : {}),
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'NoSuchKey' || status === 404) {
      return { kind: 'unreadable', reason: 'the uploaded file is gone (uploads expire): upload it again' };
    }
    if (name === 'PreconditionFailed' || status === 412 || status === 416) {
      return {
        kind: 'unreadable',
        reason: 'the file was replaced while it was being checked: upload it again and create a new job',
      };
    }
    // Throttling, 5xx after the SDK's own retries: the state machine retries this invocation.
    throw new TransientError(`reading ${file.fileName} failed: ${(error as Error).message}`);
  }
  if (!object.Body) {
    return { kind: 'unreadable', reason: 'the uploaded file is gone (uploads expire): upload it again' };
  }
  const objectEtag = etag ?? object.ETag ?? '';

  const verdict = await validateVcf(object.Body as AsyncIterable<Uint8Array>, {
    resume: cursor,
    shouldPause,
  }).catch((error: unknown) => {
    // The stream broke before a whole block was read: retry the invocation (from the same checkpoint).
    if ((error as Error).name === 'SourceInterrupted') {
      throw new TransientError(`reading ${file.fileName} failed: ${(error as Error).message}`);
    }
    throw error;
  });
  if (verdict.status === 'paused') {
    // A stream that broke later is resumed from the last line start read, by the next invocation.
    if (verdict.interrupted) {
      logger.warn('input stream interrupted', { file: file.fileName, error: verdict.interrupted });
    }
    return {
      kind: 'paused',
      etag: objectEtag,
      cursor: verdict.cursor,
      decompressedBytes: verdict.stats.decompressedBytes,
    };
  }
  if (
    verdict.status === 'invalid' &&
    verdict.problem.code === 'TRUNCATED' &&
    object.ContentLength !== undefined &&
    verdict.stats.compressedBytes < object.ContentLength
  ) {
    // The stream ended before the object did without saying so: our read was cut, not the file. Never a
    // verdict (it would be final for this ETag): the state machine reads again.
    throw new TransientError(
      `reading ${file.fileName} ended after ${verdict.stats.compressedBytes} of ${object.ContentLength} bytes`,
    );
  }
  if (verdict.status === 'invalid') return { kind: 'invalid', etag: objectEtag, problem: verdict.problem };
  return { kind: 'valid', etag: objectEtag, facts: verdict.facts };
}

/** The caps on the check of one file, whoever checks it (VALIDATION_MAX_*; read per invocation). */
export interface CheckLimits {
  invocations: number;
  decompressedBytes: number;
}

export function checkLimits(): CheckLimits {
  const env = settings.validation();
  return {
    invocations: env.VALIDATION_MAX_INVOCATIONS,
    decompressedBytes: env.VALIDATION_MAX_DECOMPRESSED_BYTES,
  };
}

/**
 * Pauses when the file's decompressed bytes so far reach the cap, or when `pause` says so: an invocation
 * never inflates past the cap, whatever the time left.
 */
export function pauseAtLimit(
  decompressedBefore: number,
  limits: CheckLimits,
  pause: () => boolean,
): (stats: Readonly<ValidationStats>) => boolean {
  return (stats) => decompressedBefore + stats.decompressedBytes >= limits.decompressedBytes || pause();
}

/**
 * The problem a file is refused with when its check paused at the end of invocation `invocations` (the
 * last one allowed) or with `decompressedBytes` inflated in all; undefined while it may go on. A file
 * refused so is recorded INVALID for its ETag, so no job reads it again.
 */
export function checkLimitProblem(
  invocations: number,
  decompressedBytes: number,
  limits: CheckLimits,
): VcfProblem | undefined {
  if (invocations < limits.invocations && decompressedBytes < limits.decompressedBytes) return undefined;
  const reached =
    decompressedBytes >= limits.decompressedBytes
      ? `${formatBytes(decompressedBytes)} decompressed, the limit of ${formatBytes(limits.decompressedBytes)} per file`
      : `${invocations} invocations, the limit of ${limits.invocations} per file (about 14 minutes each)`;
  return {
    code: 'CHECK_LIMIT',
    message: `The check of this file stopped before its end after ${reached}: a file this large cannot be checked here. Split it (e.g. by region with \`bcftools view -r\`) and upload the parts.`,
  };
}
