/**
 * The result copy's side of our bucket: a multipart upload that survives the task. Its parts stay in S3
 * when the copy fails (never aborted on an S3 failure), and a small resume record next to the results —
 * `results/<owner>/<jobId>/.copy-state/<index>.json`, removed once the copy completes, and with the job's
 * results when the job is deleted — names the upload, its part size, the file's length and entity tag, and
 * the URL the share route redirected to (TOPMed's presigned S3 GET, a bearer link valid for an hour:
 * never logged). S3's own ListParts says which parts are stored (with their sizes and ETags), so the
 * record is written when the upload begins (again only if a retry is redirected elsewhere), never per
 * part. A copy the workflow gives up on leaves its record until the job is deleted and its parts until
 * the bucket's lifecycle rule aborts the upload (a day).
 *
 * Parts are cut from the body in order, `queueSize` uploading at once, so memory stays at a few parts
 * whatever the file's size; a part already stored is read past, not sent again. A body that ends within
 * its first part is one PutObject, as before (no upload, nothing to resume).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { resultPrefix } from '#shared/jobs/result-store';
import { logger } from '#shared/logger';
import type { ByteSpan } from './copy-source';

const copyStateSchema = z.object({
  /** The object the upload completes into. */
  key: z.string(),
  uploadId: z.string(),
  partSize: z.int().check(z.positive()),
  /** The file's length as the service announced it (null: it did not). */
  total: z.nullable(z.int().check(z.nonnegative())),
  contentType: z.string(),
  etag: z.nullable(z.string()),
  /** Where the share route redirected (a presigned GET), to resume there without spending a download. */
  presigned: z.nullable(z.object({ url: z.string(), expiresAt: z.nullable(z.string()) })),
});
export type CopyState = z.infer<typeof copyStateSchema>;

export interface StoredPart {
  PartNumber: number;
  ETag: string;
  Size: number;
}

export interface Target {
  s3: S3Client;
  bucket: string;
  key: string;
}

export function copyStateKey(owner: string, jobId: string, index: number): string {
  return `${resultPrefix(owner, jobId)}.copy-state/${index}.json`;
}

const isNamed = (error: unknown, ...names: string[]) =>
  names.includes((error as { name?: string } | undefined)?.name ?? '');

/** The resume record, or undefined when there is none (or one that does not parse). */
export async function readCopyState(target: Target, stateKey: string): Promise<CopyState | undefined> {
  let text: string;
  try {
    const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: stateKey }));
    text = (await object.Body?.transformToString()) ?? '';
  } catch (error) {
    if (isNamed(error, 'NoSuchKey', 'NotFound')) return undefined;
    throw error;
  }
  try {
    const parsed = z.safeParse(copyStateSchema, JSON.parse(text));
    if (parsed.success && parsed.data.key === target.key) return parsed.data;
  } catch {
    // not JSON: as if there were none
  }
  logger.warn('unreadable copy resume record ignored');
  return undefined;
}

export async function writeCopyState(target: Target, stateKey: string, state: CopyState): Promise<void> {
  await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: stateKey,
      Body: JSON.stringify(state),
      ContentType: 'application/json',
    }),
  );
}

/** Removes the record; its loss is harmless (a stale record is checked against S3 before use). */
export async function deleteCopyState(target: Target, stateKey: string): Promise<void> {
  await target.s3
    .send(new DeleteObjectCommand({ Bucket: target.bucket, Key: stateKey }))
    .catch((error: unknown) =>
      logger.warn('could not remove the copy resume record', { error: (error as Error).name }),
    );
}

/** The upload's stored parts, every page; undefined when S3 no longer has the upload. */
export async function listStoredParts(target: Target, uploadId: string): Promise<StoredPart[] | undefined> {
  const parts: StoredPart[] = [];
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await target.s3.send(
        new ListPartsCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumberMarker: marker,
        }),
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber && part.ETag && part.Size !== undefined) {
          parts.push({ PartNumber: part.PartNumber, ETag: part.ETag, Size: part.Size });
        }
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (error) {
    if (isNamed(error, 'NoSuchUpload', 'NotFound')) return undefined;
    throw error;
  }
}

/** Gives the upload up (its parts go); one S3 no longer has is fine. */
export async function abortUpload(target: Target, uploadId: string): Promise<void> {
  await target.s3
    .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }))
    .catch((error: unknown) => {
      // The bucket's lifecycle rule removes what an abort left behind.
      if (!isNamed(error, 'NoSuchUpload')) {
        logger.warn('could not abort the multipart upload', { error: (error as Error).name });
      }
    });
}

export async function createUpload(
  target: Target,
  contentType: string,
  metadata: Record<string, string> | undefined,
): Promise<string> {
  const created = await target.s3.send(
    new CreateMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      ContentType: contentType,
      ...(metadata ? { Metadata: metadata } : {}),
    }),
  );
  if (!created.UploadId) throw new Error('S3 created a multipart upload without an id');
  return created.UploadId;
}

export async function completeUpload(target: Target, uploadId: string, parts: StoredPart[]): Promise<void> {
  await target.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: uploadId,
      MultipartUpload: {
        Parts: [...parts]
          .sort((a, b) => a.PartNumber - b.PartNumber)
          .map(({ PartNumber, ETag }) => ({ PartNumber, ETag })),
      },
    }),
  );
}

/** How many parts a file of `total` bytes has (at least one). */
export function partCount(total: number, partSize: number): number {
  return Math.max(1, Math.ceil(total / partSize));
}

/**
 * The stored parts that hold what they must: part n is bytes (n−1)·partSize onwards, full size but for
 * the last part of a file of known length. Others (the last part of a file of unknown length, a part of
 * another size) are sent again.
 */
export function usableParts(
  parts: StoredPart[],
  partSize: number,
  total: number | null,
): Map<number, StoredPart> {
  const usable = new Map<number, StoredPart>();
  for (const part of parts) {
    const n = part.PartNumber;
    let size = partSize;
    if (total !== null) {
      const count = partCount(total, partSize);
      if (n > count) continue;
      if (n === count) size = total - (n - 1) * partSize;
    }
    if (part.Size === size) usable.set(n, part);
  }
  return usable;
}

/**
 * The bytes still missing, as one span: from the first part not stored to the end of the last one not
 * stored (to the end of the file when its length is unknown); null when every part is stored. Parts stored
 * in between are read again but not sent (one request: each at the share route costs a download).
 */
export function missingSpan(
  usable: ReadonlyMap<number, StoredPart>,
  partSize: number,
  total: number | null,
): ByteSpan | null {
  let first = 1;
  while (usable.has(first)) first++;
  if (total === null) return { start: (first - 1) * partSize, end: null };
  const count = partCount(total, partSize);
  if (first > count) return null;
  let last = count;
  while (usable.has(last)) last--;
  return { start: (first - 1) * partSize, end: Math.min(last * partSize, total) - 1 };
}

export interface PartPlan {
  partSize: number;
  /** The body's first byte: the first byte of a part. */
  start: number;
  /** Parts in the upload already; the body's bytes for them are read past, not sent. */
  stored: ReadonlyMap<number, StoredPart>;
  queueSize: number;
  /** The upload, created on demand (once a whole part is there) when there is none yet. */
  upload: () => Promise<string>;
  /** True when an upload exists already: a short body is its last part then, not a PutObject. */
  uploadExists: boolean;
}

export type PartsResult =
  | { kind: 'parts'; parts: Map<number, StoredPart> }
  /** The whole body, shorter than one part, with no upload begun: the caller PUTs it. */
  | { kind: 'small'; body: Buffer };

/**
 * Cuts the body into parts and uploads those not stored. On any failure (a part S3 refuses past the
 * SDK's retries, the body breaking off) it reads no further, lets the parts under way finish, so that
 * they are listed for the next attempt, and throws the first failure; nothing is aborted.
 */
export async function uploadParts(
  target: Target,
  body: AsyncIterable<Uint8Array>,
  plan: PartPlan,
): Promise<PartsResult> {
  const uploaded = new Map<number, StoredPart>();
  const inFlight = new Set<Promise<void>>();
  /** The first part S3 refused (past the SDK's retries), set by the part under way that saw it. */
  const failed: { error?: unknown; set: boolean } = { set: false };
  let uploadId: string | undefined;

  const send = async (partNumber: number, part: Buffer) => {
    if (failed.set) throw failed.error;
    uploadId ??= await plan.upload();
    while (inFlight.size >= plan.queueSize) {
      await Promise.race(inFlight);
      if (failed.set) throw failed.error;
    }
    const id = uploadId;
    const sending: Promise<void> = target.s3
      .send(
        new UploadPartCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: id,
          PartNumber: partNumber,
          Body: part,
          ContentLength: part.length,
        }),
      )
      .then((answer) => {
        if (!answer?.ETag) throw new Error(`S3 answered part ${partNumber} without an ETag`);
        uploaded.set(partNumber, { PartNumber: partNumber, ETag: answer.ETag, Size: part.length });
      })
      .catch((error: unknown) => {
        if (!failed.set) Object.assign(failed, { error, set: true });
      })
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };

  const { partSize } = plan;
  let partNumber = plan.start / partSize + 1;
  let buffer: Buffer | undefined;
  let filled = 0;
  try {
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(partSize - filled, chunk.length - offset);
        // A stored part's bytes are only counted on their way past.
        if (!plan.stored.has(partNumber)) {
          buffer ??= Buffer.allocUnsafe(partSize);
          buffer.set(chunk.subarray(offset, offset + take), filled);
        }
        filled += take;
        offset += take;
        if (filled === partSize) {
          if (buffer) await send(partNumber, buffer);
          buffer = undefined;
          filled = 0;
          partNumber++;
        }
      }
    }
    if (!uploadId && !plan.uploadExists && plan.start === 0) {
      return { kind: 'small', body: buffer ? buffer.subarray(0, filled) : Buffer.alloc(0) };
    }
    if (filled > 0 && buffer) await send(partNumber, buffer.subarray(0, filled));
    await Promise.all(inFlight);
    if (failed.set) throw failed.error;
  } catch (error) {
    // Parts under way finish (or fail) before the task ends: the next attempt lists what they stored.
    await Promise.all(inFlight);
    throw error;
  }
  return { kind: 'parts', parts: uploaded };
}
