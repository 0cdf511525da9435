/**
 * The S3 calls of a multipart upload, with what real S3 does that a first reading of the API misses:
 * ETags come quoted (`"9b2cf…"`; ours are bare, S3 gets its own back), a part list comes in pages of at
 * most 1,000, and a multipart upload that S3 completed (or discarded) answers NoSuchUpload from then on —
 * also to the retry of a completion whose answer was lost. S3's refusals to assemble the parts come back
 * as one typed error whose message is ours, never S3's text.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ConflictError } from '#shared/errors';

/** A part S3 stores. */
export interface StoredPart {
  partNumber: number;
  size: number;
  /** Without S3's quotes. */
  etag: string;
  /** Base64 SHA-256 S3 checked, in an upload created with SHA-256 checking. */
  checksumSha256: string | null;
}

export interface MultipartTarget {
  bucket: string;
  key: string;
  s3UploadId: string;
}

/** S3's ETags are quoted strings; clients may hand them back either way. */
export const bareEtag = (etag: string): string => etag.replaceAll('"', '');

const isNoSuchUpload = (error: unknown) => (error as { name?: string }).name === 'NoSuchUpload';

export async function createMultipartUpload(
  s3: S3Client,
  target: { bucket: string; key: string },
  partChecksums: boolean,
): Promise<string> {
  const created = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      ...(partChecksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
    }),
  );
  if (!created.UploadId) throw new Error('CreateMultipartUpload answered without an UploadId');
  return created.UploadId;
}

/** Every part S3 stores, in part-number order, across all pages; `gone` once S3 has no such upload. */
export async function listStoredParts(s3: S3Client, target: MultipartTarget): Promise<StoredPart[] | 'gone'> {
  const parts: StoredPart[] = [];
  let marker: string | undefined;
  for (;;) {
    let page: Awaited<ReturnType<typeof sendListParts>>;
    try {
      page = await sendListParts(s3, target, marker);
    } catch (error) {
      if (isNoSuchUpload(error)) return 'gone';
      throw error;
    }
    for (const part of page.Parts ?? []) {
      parts.push({
        partNumber: part.PartNumber ?? 0,
        size: part.Size ?? 0,
        etag: bareEtag(part.ETag ?? ''),
        checksumSha256: part.ChecksumSHA256 ?? null,
      });
    }
    if (!page.IsTruncated) return parts.sort((a, b) => a.partNumber - b.partNumber);
    const next = page.NextPartNumberMarker;
    // A truncated page must move the marker on; anything else would loop forever.
    if (!next || next === marker) throw new Error('ListParts answered a truncated page without a new marker');
    marker = next;
  }
}

const sendListParts = (s3: S3Client, target: MultipartTarget, marker: string | undefined) =>
  s3.send(
    new ListPartsCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: target.s3UploadId,
      PartNumberMarker: marker,
    }),
  );

/** S3's reasons to refuse assembling the parts, in our words. */
const REFUSALS: Record<string, string> = {
  InvalidPart:
    'S3 does not have one of the listed parts, or its ETag differs from the stored part: list the parts ' +
    '(GET /uploads/{uploadId}/parts), upload the missing ones again and complete with their ETags',
  InvalidPartOrder: 'S3 needs the parts in ascending order of their part numbers',
  EntityTooSmall: 'S3 refused the parts: each part but the last must be at least 5 MiB',
  BadDigest: "S3 refused the parts: a part's SHA-256 does not match its bytes",
  InvalidRequest: 'S3 refused to assemble the parts as listed (a checksum or a part is missing)',
};

/**
 * Assembles the object; `gone` when S3 has no such multipart upload (already completed, or discarded).
 * A refusal is a ConflictError UPLOAD_PARTS_INVALID naming S3's reason.
 */
export async function completeMultipartUpload(
  s3: S3Client,
  target: MultipartTarget,
  parts: readonly StoredPart[],
): Promise<'completed' | 'gone'> {
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: target.s3UploadId,
        MultipartUpload: {
          Parts: parts.map((part) => ({
            PartNumber: part.partNumber,
            ETag: `"${part.etag}"`,
            ...(part.checksumSha256 ? { ChecksumSHA256: part.checksumSha256 } : {}),
          })),
        },
      }),
    );
    return 'completed';
  } catch (error) {
    if (isNoSuchUpload(error)) return 'gone';
    const name = (error as { name?: string }).name ?? '';
    const reason = REFUSALS[name];
    if (reason) throw new ConflictError(reason, 'UPLOAD_PARTS_INVALID', [{ s3Error: name, reason }]);
    throw error;
  }
}

/** Discards the parts; an upload S3 no longer has (completed, discarded, aborted before) is fine. */
export async function abortMultipartUpload(s3: S3Client, target: MultipartTarget): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: target.s3UploadId,
      }),
    );
  } catch (error) {
    if (!isNoSuchUpload(error)) throw error;
  }
}
