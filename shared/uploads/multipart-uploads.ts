/**
 * Multipart uploads of large inputs (above UPLOAD_MULTIPART_THRESHOLD_BYTES): presigned UploadPart URLs,
 * each bound to its part's exact length and, when the client gives one, its SHA-256; the parts S3 holds,
 * so a client resumes after a reload and sends only what is missing; completion (multipart-complete.ts),
 * confirmed by a HEAD like a single PUT; and abandonment. S3's id of the multipart upload stays in the
 * record.
 *
 * Checksums: S3 checks a part's SHA-256 only in an upload created with ChecksumAlgorithm SHA256, and such
 * an upload refuses every part without one (as one created without refuses a part with one). So the S3
 * upload is created by the first parts request — with SHA-256 checking when that request gives checksums
 * — and every later request must do as the first did: a client computes them for all parts or for none.
 * S3 keeps only a composite checksum of a multipart object, never its whole-file SHA-256: an announced
 * `sha256` is recorded; the parts' are what S3 checks.
 */
import { DeleteObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { Caller } from '#shared/auth/caller';
import { ConflictError, ValidationError } from '#shared/errors';
import type { ValidationIssue } from '#shared/http/validate';
import {
  abortMultipartUpload,
  createMultipartUpload,
  listStoredParts,
  type MultipartTarget,
} from './multipart-s3';
import { partRange } from './upload-plan';
import type { UploadRecord } from './upload-store';
import {
  type CheckedUpload,
  confirmUpload,
  defaultDeps,
  ownUpload,
  presignBoundPut,
  transferOf,
  type UploadDeps,
  uploadsEnv,
} from './uploads';

export interface Plan {
  partSize: number;
  partCount: number;
}

/** The plan of a PENDING multipart upload; a 409 naming the reason for any other. */
export function pendingMultipart(upload: UploadRecord): Plan {
  const { uploadId } = upload;
  if (upload.status === 'READY') {
    throw new ConflictError(
      `Upload ${uploadId} is complete (READY): it has no parts any more`,
      'UPLOAD_COMPLETED',
    );
  }
  if (upload.status === 'ABORTED') {
    throw new ConflictError(`Upload ${uploadId} was abandoned: announce the file again`, 'UPLOAD_ABORTED');
  }
  if (transferOf(upload) !== 'multipart' || !upload.partSize || !upload.partCount) {
    throw new ConflictError(
      `Upload ${uploadId} is a single PUT (transfer: single): PUT the file to its uploadUrl`,
      'UPLOAD_NOT_MULTIPART',
    );
  }
  return { partSize: upload.partSize, partCount: upload.partCount };
}

export const target = (upload: UploadRecord): MultipartTarget => ({
  bucket: upload.bucket,
  key: upload.key,
  s3UploadId: upload.s3UploadId ?? '',
});

export function refuse(issues: ValidationIssue[]): never {
  const summary = issues.map((issue) => `${issue.in}.${issue.path}: ${issue.message}`).join('; ');
  throw new ValidationError(`Invalid request: ${summary}`, issues);
}

// -- POST /uploads/{uploadId}/parts ------------------------------------------------------------------------

export async function signUploadParts(
  caller: Caller,
  uploadId: string,
  request: { partNumbers: number[]; checksums?: Record<string, string> },
  deps: UploadDeps = defaultDeps(),
) {
  let upload = await ownUpload(deps.store, caller, uploadId);
  const plan = pendingMultipart(upload);
  const checksums = request.checksums ?? {};
  const withChecksums = Object.keys(checksums).length > 0;
  checkPartRequest(request.partNumbers, checksums, plan);

  upload = await withMultipartUpload(upload, withChecksums, deps);
  if (upload.partChecksums !== withChecksums) {
    refuse([
      {
        in: 'body',
        path: 'checksums',
        message: upload.partChecksums
          ? 'this upload checks a SHA-256 on every part (its first parts request gave them): give one for each part'
          : 'this upload was started without part checksums, and S3 cannot check them on later parts: leave them out',
      },
    ]);
  }
  const expiresAt = new Date(deps.now().getTime() + uploadsEnv().UPLOAD_URL_TTL_SECONDS * 1000);
  if (!(await deps.store.extendUrls(caller.sub, uploadId, expiresAt))) {
    pendingMultipart((await deps.store.get(caller.sub, uploadId)) ?? { ...upload, status: 'ABORTED' });
  }
  const parts = await Promise.all(
    request.partNumbers.map(async (partNumber) => {
      const { length } = partRange(plan, upload.size, partNumber);
      const sha256 = checksums[String(partNumber)];
      const command = new UploadPartCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.s3UploadId,
        PartNumber: partNumber,
        ContentLength: length,
        ChecksumSHA256: sha256,
      });
      return { partNumber, ...(await presignBoundPut(deps.s3, command, { length, sha256 })) };
    }),
  );
  return { parts, expiresAt: expiresAt.toISOString() };
}

function checkPartRequest(partNumbers: number[], checksums: Record<string, string>, plan: Plan): void {
  const issues: ValidationIssue[] = [];
  partNumbers.forEach((partNumber, index) => {
    if (partNumber > plan.partCount) {
      issues.push({
        in: 'body',
        path: `partNumbers.${index}`,
        message: `part ${partNumber} does not exist: this upload has parts 1 to ${plan.partCount}`,
      });
    }
  });
  const requested = new Set(partNumbers.map(String));
  for (const key of Object.keys(checksums)) {
    if (!requested.has(key)) {
      issues.push({ in: 'body', path: `checksums.${key}`, message: `part ${key} is not in partNumbers` });
    }
  }
  if (Object.keys(checksums).length > 0) {
    for (const partNumber of partNumbers.filter((n) => !(String(n) in checksums))) {
      issues.push({
        in: 'body',
        path: `checksums.${partNumber}`,
        message: 'give a checksum for each requested part, or for none',
      });
    }
  }
  if (issues.length > 0) refuse(issues);
}

/**
 * The upload with its S3 multipart upload, created now if this is its first parts request. Two first
 * requests may race: the one that records its S3 upload first wins, the other discards its own.
 */
async function withMultipartUpload(
  upload: UploadRecord,
  partChecksums: boolean,
  deps: UploadDeps,
): Promise<UploadRecord> {
  if (upload.s3UploadId) return upload;
  const s3UploadId = await createMultipartUpload(deps.s3, upload, partChecksums);
  if (await deps.store.attachMultipart(upload.owner, upload.uploadId, { s3UploadId, partChecksums })) {
    return { ...upload, s3UploadId, partChecksums };
  }
  await abortMultipartUpload(deps.s3, { ...target(upload), s3UploadId });
  const now = await deps.store.get(upload.owner, upload.uploadId);
  pendingMultipart(now ?? { ...upload, status: 'ABORTED' });
  return now!;
}

// -- GET /uploads/{uploadId}/parts -------------------------------------------------------------------------

export async function listUploadParts(caller: Caller, uploadId: string, deps: UploadDeps = defaultDeps()) {
  const upload = await ownUpload(deps.store, caller, uploadId);
  pendingMultipart(upload);
  if (!upload.s3UploadId) return { parts: [] };
  const stored = await listStoredParts(deps.s3, target(upload));
  if (stored === 'gone') {
    const settled = await settleVanishedUpload(upload, deps);
    if (settled.problem) throw new ConflictError(settled.problem, 'UPLOAD_PARTS_INVALID');
    throw new ConflictError(
      `Upload ${uploadId} is complete (READY): it has no parts any more`,
      'UPLOAD_COMPLETED',
    );
  }
  return { parts: stored };
}

/**
 * S3 no longer has the multipart upload. Either it completed it (an earlier completion whose answer was
 * lost): then the object is there and is confirmed; or it discarded the parts (the bucket's lifecycle
 * rule, an abort): then the upload is over, ABORTED.
 */
export async function settleVanishedUpload(upload: UploadRecord, deps: UploadDeps): Promise<CheckedUpload> {
  const checked = await confirmUpload(upload, deps);
  if (checked.upload.status === 'READY' || checked.problem) return checked;
  await deps.store.markAborted(upload.owner, upload.uploadId, deps.now());
  throw new ConflictError(
    `S3 no longer has the parts of upload ${upload.uploadId} (unfinished uploads are discarded after a few ` +
      'days): announce the file again',
    'UPLOAD_ABORTED',
  );
}

// -- DELETE /uploads/{uploadId} ----------------------------------------------------------------------------

/**
 * Abandons a PENDING upload: it becomes ABORTED (no longer listed, never usable), then S3 keeps nothing of
 * it — the parts of a multipart upload, or an object a PUT (or a completion) stored meanwhile. Both steps
 * are idempotent, so deleting again finishes an interrupted abandonment. A READY upload stays: inputs
 * expire on their own, and jobs may be reading it.
 */
export async function abandonUpload(caller: Caller, uploadId: string, deps: UploadDeps = defaultDeps()) {
  let upload = await ownUpload(deps.store, caller, uploadId);
  if (upload.status === 'PENDING') {
    upload =
      (await deps.store.markAborted(caller.sub, uploadId, deps.now())) ??
      (await ownUpload(deps.store, caller, uploadId));
  }
  if (upload.status === 'READY') {
    throw new ConflictError(
      `Upload ${uploadId} is complete (READY): it stays until inputs expire, since jobs may use it`,
      'UPLOAD_COMPLETED',
    );
  }
  if (upload.s3UploadId) await abortMultipartUpload(deps.s3, target(upload));
  await deps.s3.send(new DeleteObjectCommand({ Bucket: upload.bucket, Key: upload.key }));
}
