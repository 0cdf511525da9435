/**
 * Direct-to-S3 uploads. The API never carries file bytes: up to the multipart threshold it hands out a
 * presigned PUT whose signature binds the key (under the caller's own prefix), the exact length and, when
 * given, the SHA-256, so the URL cannot be used to store anything else; above it the upload is multipart
 * (multipart-uploads.ts signs its parts alike). Confirmation is a HEAD of the object, not the client's word.
 */
import {
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
  type UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import type { Caller } from '#shared/auth/caller';
import { s3Client } from '#shared/aws/clients';
import { encodeSubject } from '#shared/credentials/token-vault';
import { NotFoundError } from '#shared/errors';
import { quotaLimits, releaseQuietly, userQuotas } from '#shared/quotas/user-quotas';
import { settings } from '#shared/settings';
import { type GenomeBuild, judgeBuild } from '#shared/vcf/genome-builds';
import { tagConfirmedUpload } from './input-retention';
import { MAX_PARTS_PER_REQUEST } from './s3-limits';
import { startUploadCheck } from './upload-checks';
import { planTransfer, type Transfer, type TransferPlan } from './upload-plan';
import { type UploadCheck, type UploadRecord, type UploadStore, uploadStore } from './upload-store';

export const uploadsEnv = settings.uploads;

/**
 * Characters no name shown to people may hold: C0/C1 controls and DEL (NUL, CR, LF, tab, escape
 * sequences), the Unicode line and paragraph separators, and the bidirectional marks, embeddings,
 * overrides and isolates that make a name display differently from the characters it holds.
 */
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);

/**
 * A string for a name, checked as it arrives, before any trimming: a control character anywhere (also a
 * trailing newline) is refused, never silently cleaned. `abort` keeps it the only issue reported.
 */
export const nameString = (field: string) =>
  z.string().check(
    z.refine((value) => !hasControlCharacters(value), {
      message: `${field} must not contain control characters`,
      abort: true,
    }),
  );

/** A plain file name: no folders, no hidden files, no `..`, ending in .vcf.gz. */
export const uploadFileNameSchema = nameString('fileName').check(
  z.minLength(8),
  z.maxLength(200),
  z.regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'fileName may contain only letters, digits, ".", "_" and "-" (no folders)',
  ),
  z.refine((name) => !name.includes('..'), 'fileName must not contain ".."'),
  z.refine((name) => name.endsWith('.vcf.gz'), 'fileName must end in .vcf.gz (a bgzipped VCF)'),
);

export const sha256Schema = z.pipe(
  z
    .string()
    .check(
      z.regex(
        /^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/,
        'sha256 must be 64 hex digits or 44 characters of base64',
      ),
    ),
  z.transform((value: string) =>
    value.length === 64 ? Buffer.from(value, 'hex').toString('base64') : value,
  ),
);

export const uploadIdSchema = z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'not an upload id'));

/** What the check of an upload's whole file found, as its owner sees it (no ETag, no internal facts). */
export type UploadCheckView =
  | { status: 'CHECKING'; startedAt: string }
  | {
      status: 'VALID';
      checkedAt: string;
      samples: number;
      chromosome: string;
      variants: number;
      /** The build the file's own evidence shows; null without evidence. */
      build: GenomeBuild | null;
      buildEvidence: string[];
    }
  | { status: 'INVALID'; checkedAt: string; code: string; line: number | null; message: string }
  | { status: 'UNCHECKED'; checkedAt: string; reason: string };

export function toUploadCheckView(check: UploadCheck): UploadCheckView {
  switch (check.status) {
    case 'CHECKING':
      return { status: check.status, startedAt: check.startedAt };
    case 'VALID': {
      const judged = judgeBuild(check.facts);
      return {
        status: check.status,
        checkedAt: check.checkedAt,
        samples: check.facts.samples,
        chromosome: check.facts.chromosome,
        variants: check.facts.records,
        build: judged.build,
        buildEvidence: judged.build ? judged.evidence.map((e) => e.says) : [],
      };
    }
    case 'INVALID':
      return {
        status: check.status,
        checkedAt: check.checkedAt,
        code: check.problem.code,
        line: check.problem.line ?? null,
        message: check.problem.message,
      };
    case 'UNCHECKED':
      return { status: check.status, checkedAt: check.checkedAt, reason: check.reason };
  }
}

export interface UploadView {
  uploadId: string;
  fileName: string;
  size: number;
  sha256: string | null;
  status: UploadRecord['status'];
  transfer: Transfer;
  createdAt: string;
  confirmedAt: string | null;
  uploadUrlExpiresAt: string;
  expiresAt: string;
  /** The check of the whole file, from READY on; null before. */
  check: UploadCheckView | null;
}

export function toUploadView(upload: UploadRecord): UploadView {
  return {
    uploadId: upload.uploadId,
    fileName: upload.fileName,
    size: upload.size,
    sha256: upload.sha256 ?? null,
    status: upload.status,
    transfer: transferOf(upload),
    createdAt: upload.createdAt,
    confirmedAt: upload.confirmedAt ?? null,
    uploadUrlExpiresAt: upload.uploadUrlExpiresAt,
    expiresAt: new Date(upload.expiresAt * 1000).toISOString(),
    check: upload.check ? toUploadCheckView(upload.check) : null,
  };
}

export const transferOf = (upload: UploadRecord): Transfer => upload.transfer ?? 'single';

export interface UploadDeps {
  store: UploadStore;
  s3: S3Client;
  now: () => Date;
  /**
   * Starts the check of an upload's whole file once it is READY (the workflow's `upload-<id>` execution);
   * answers the check as it then stands.
   */
  startCheck?: (upload: UploadRecord) => Promise<UploadCheck | undefined>;
}

export const defaultDeps = (): UploadDeps => ({
  store: uploadStore(),
  s3: s3Client(),
  now: () => new Date(),
  startCheck: (upload) => startUploadCheck(upload),
});

export function inputKey(owner: string, uploadId: string, fileName: string): string {
  return `inputs/${encodeSubject(owner)}/${uploadId}/${fileName}`;
}

export type CreatedUpload =
  | {
      upload: UploadView;
      transfer: 'single';
      uploadUrl: string;
      method: 'PUT';
      headers: Record<string, string>;
    }
  | {
      upload: UploadView;
      transfer: 'multipart';
      multipart: { partSize: number; partCount: number; maxPartsPerRequest: number };
    };

export async function createUpload(
  caller: Caller,
  request: { fileName: string; size: number; sha256?: string },
  deps: UploadDeps = defaultDeps(),
): Promise<CreatedUpload> {
  const env = uploadsEnv();
  const now = deps.now();
  const uploadId = ulid(now.getTime());
  const key = inputKey(caller.sub, uploadId, request.fileName);
  const plan = planTransfer(request.size, env);
  const urlExpiry = new Date(now.getTime() + env.UPLOAD_URL_TTL_SECONDS * 1000);
  const upload: UploadRecord = {
    uploadId,
    owner: caller.sub,
    fileName: request.fileName,
    size: request.size,
    sha256: request.sha256,
    bucket: env.INPUTS_BUCKET,
    key,
    status: 'PENDING',
    ...plan,
    createdAt: now.toISOString(),
    // A multipart upload has no URL until its first parts request.
    uploadUrlExpiresAt: (plan.transfer === 'single' ? urlExpiry : now).toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + env.INPUT_EXPIRY_DAYS * 86_400,
  };
  // Pending until it completes, stored until it expires or is abandoned (user-quotas.ts): refused at
  // the owner's limits before anything is signed or written.
  const quotas = userQuotas();
  await quotas.acquireUpload(caller.sub, uploadId, request.size, quotaLimits());
  try {
    return await announceUpload(upload, plan, request, deps);
  } catch (error) {
    await releaseQuietly(uploadId, () => quotas.releaseUpload(caller.sub, uploadId));
    throw error;
  }
}

/** Writes the announced upload's record and, for a single PUT, signs its URL. */
async function announceUpload(
  upload: UploadRecord,
  plan: TransferPlan,
  request: { size: number; sha256?: string },
  deps: UploadDeps,
): Promise<CreatedUpload> {
  if (plan.transfer === 'multipart') {
    // The S3 multipart upload is created by the first parts request: only then is it known whether the
    // client sends part checksums, which S3 needs to be told when the upload is created.
    await deps.store.create(upload);
    const { partSize, partCount } = plan;
    return {
      upload: toUploadView(upload),
      transfer: 'multipart',
      multipart: { partSize, partCount, maxPartsPerRequest: MAX_PARTS_PER_REQUEST },
    };
  }
  const command = new PutObjectCommand({
    Bucket: upload.bucket,
    Key: upload.key,
    ContentLength: request.size,
    ChecksumSHA256: request.sha256,
  });
  const put = await presignBoundPut(deps.s3, command, { length: request.size, sha256: request.sha256 });
  await deps.store.create(upload);
  return {
    upload: toUploadView(upload),
    transfer: 'single',
    uploadUrl: put.url,
    method: 'PUT',
    headers: put.headers,
  };
}

/**
 * A presigned PUT (an object or a part) whose signature covers its Content-Length and, when given, its
 * x-amz-checksum-sha256: S3 refuses the request with any other length or other bytes. Also returns the
 * headers the PUT must therefore carry exactly.
 */
export async function presignBoundPut(
  s3: S3Client,
  command: PutObjectCommand | UploadPartCommand,
  binding: { length: number; sha256?: string },
): Promise<{ url: string; headers: Record<string, string> }> {
  const signed = new Set(['content-length', ...(binding.sha256 ? ['x-amz-checksum-sha256'] : [])]);
  const options = {
    expiresIn: uploadsEnv().UPLOAD_URL_TTL_SECONDS,
    signableHeaders: signed,
    unhoistableHeaders: signed,
  };
  // Two calls: getSignedUrl infers its types from one command class at a time.
  const url =
    command instanceof PutObjectCommand
      ? await getSignedUrl(s3, command, options)
      : await getSignedUrl(s3, command, options);
  const headers: Record<string, string> = { 'Content-Length': String(binding.length) };
  if (binding.sha256) headers['x-amz-checksum-sha256'] = binding.sha256;
  return { url, headers };
}

/** The caller's upload, or UPLOAD_NOT_FOUND: another user's id is "not found" too. */
export async function ownUpload(store: UploadStore, caller: Caller, uploadId: string): Promise<UploadRecord> {
  const upload = await store.get(caller.sub, uploadId);
  if (!upload) throw new NotFoundError(`Upload ${uploadId} not found`, 'UPLOAD_NOT_FOUND');
  return upload;
}

/** The caller's upload, confirmed against S3 when still pending. */
export async function getUpload(caller: Caller, uploadId: string, deps: UploadDeps = defaultDeps()) {
  return confirmUpload(await ownUpload(deps.store, caller, uploadId), deps);
}

export interface CheckedUpload {
  upload: UploadView;
  /** Why the stored object cannot be used, when it cannot. */
  problem: string | null;
}

/**
 * A PENDING upload becomes READY once S3 holds an object of the announced size at its key (a PUT, or a
 * completed multipart upload); until then, or with another size, it stays PENDING.
 */
export async function confirmUpload(upload: UploadRecord, deps: UploadDeps): Promise<CheckedUpload> {
  if (upload.status !== 'PENDING') return { upload: toUploadView(upload), problem: null };
  const object = await headObject(deps.s3, upload.bucket, upload.key);
  if (!object) return { upload: toUploadView(upload), problem: null };
  if (object.size !== upload.size) {
    return {
      upload: toUploadView(upload),
      problem: `The stored object has ${object.size} bytes, not the announced ${upload.size}: upload it again.`,
    };
  }
  const confirmedAt = deps.now();
  if (!(await deps.store.markReady(upload.owner, upload.uploadId, confirmedAt))) {
    // Confirmed or abandoned meanwhile by another request: its state is the answer.
    const now = await deps.store.get(upload.owner, upload.uploadId);
    if (now) return { upload: toUploadView(now), problem: null };
  }
  const ready: UploadRecord = {
    ...upload,
    status: 'READY',
    confirmedAt: confirmedAt.toISOString(),
    check: { status: 'CHECKING', startedAt: confirmedAt.toISOString() },
  };
  // Its retention tag: the lifecycle expires untagged objects only at the longest tier.
  await tagConfirmedUpload(ready, deps);
  // Only the request that made it READY starts the check (the execution name makes a repeat harmless).
  const check = deps.startCheck ? await deps.startCheck(ready) : ready.check;
  return { upload: toUploadView({ ...ready, check }), problem: null };
}

export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ size: number } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: head.ContentLength ?? 0 };
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
    throw error;
  }
}

export async function listUploads(
  caller: Caller,
  options: { limit: number; cursor?: string },
  deps: UploadDeps = defaultDeps(),
) {
  const page = await deps.store.list(caller.sub, options);
  return { uploads: page.uploads.map(toUploadView), nextCursor: page.nextCursor };
}
