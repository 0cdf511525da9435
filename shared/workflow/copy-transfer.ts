/**
 * The bytes of one result copy: from the service into a multipart upload in our bucket, afresh or on from
 * where an earlier attempt stopped (see copy-result.ts for why, copy-multipart.ts for the upload and its
 * resume record, copy-source.ts for the requests at the service).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CloudgeneBadRequestError,
  CloudgeneError,
  CloudgeneNotFoundError,
  ResultTooLargeError,
} from '#shared/cloudgene/errors';
import type { JobRecord } from '#shared/jobs/job-repository';
import { logger } from '#shared/logger';
import { settings } from '#shared/settings';
import {
  abortUpload,
  type CopyState,
  completeUpload,
  createUpload,
  deleteCopyState,
  listStoredParts,
  missingSpan,
  partCount,
  readCopyState,
  type StoredPart,
  type Target,
  uploadParts,
  usableParts,
  writeCopyState,
} from './copy-multipart';
import { type ByteSpan, type OpenedSource, openSource, sharePath } from './copy-source';
import { jobService } from './job-context';
import { TransientError } from './task-errors';

const MiB = 1024 * 1024;
/** Parts in flight: with 8 MiB parts, ~32 MiB buffered whatever the file size. */
export const COPY_QUEUE_SIZE = 4;
/** The part size when the service does not announce a length (10,000 parts: up to 156 GiB). */
export const COPY_PART_SIZE = 16 * MiB;

/**
 * 8 MiB parts keep memory low; files above 78 GiB (S3's 10,000-part limit at 8 MiB) get parts just
 * big enough, in whole MiB.
 */
export function copyPartSize(contentLength: number | null): number {
  if (contentLength === null) return COPY_PART_SIZE;
  return Math.max(8 * MiB, Math.ceil(contentLength / 9_999 / MiB) * MiB);
}

/** Object metadata: the byte count the service announced, so a finished copy is recognised later. */
export const SOURCE_LENGTH = 'source-length';

/**
 * Counts (and, for a body from the file's first byte, hashes) the download on its way into the upload, in
 * one generator (no extra stream stage: the copy is CPU-bound), and refuses a short body so the upload is
 * never completed truncated.
 */
class Digest {
  private readonly hash;
  bytes = 0;
  constructor(
    private readonly expected: number | null,
    hashing: boolean,
    /** The most bytes this body may have (what is left of MAX_RESULT_FILE_BYTES after its start). */
    private readonly cap: { bytes: number; tooLarge: () => Error },
  ) {
    this.hash = hashing ? createHash('sha256') : undefined;
  }

  async *pass(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      this.hash?.update(chunk);
      this.bytes += chunk.length;
      if (this.bytes > this.cap.bytes) throw this.cap.tooLarge();
      yield chunk;
    }
    if (this.expected !== null && this.bytes !== this.expected) {
      throw new TransientError(`the download ended after ${this.bytes} of ${this.expected} bytes`);
    }
  }

  digest(): string {
    if (!this.hash) throw new Error('this body was counted, not hashed');
    return this.hash.digest('hex');
  }
}

export type RemoteFile = NonNullable<JobRecord['remoteFiles']>[number];

/** Where an earlier attempt left the copy: its upload, the parts S3 kept, and what is still missing. */
export interface ResumePoint {
  state: CopyState;
  stored: Map<number, StoredPart>;
  /** null: every part is stored, only the completion is missing. */
  missing: ByteSpan | null;
}

export async function resumePoint(target: Target, stateKey: string): Promise<ResumePoint | undefined> {
  const state = await readCopyState(target, stateKey);
  if (!state) return undefined;
  const parts = await listStoredParts(target, state.uploadId);
  if (!parts) {
    // Completed, aborted, or removed by the lifecycle rule: start afresh.
    await deleteCopyState(target, stateKey);
    return undefined;
  }
  const stored = usableParts(parts, state.partSize, state.total);
  return { state, stored, missing: missingSpan(stored, state.partSize, state.total) };
}

export async function abandon(target: Target, stateKey: string, uploadId: string): Promise<void> {
  await abortUpload(target, uploadId);
  await deleteCopyState(target, stateKey);
}

/**
 * Copies the file into `target.key`: afresh, or on from `resume` when an earlier attempt stored parts of
 * it. Answers the object's size and SHA-256, and how many bytes were read from the service this time.
 */
export async function copyBytes(
  job: JobRecord,
  remote: RemoteFile,
  target: Target,
  stateKey: string,
  resume: ResumePoint | undefined,
): Promise<{ size: number; sha256: string; read: number }> {
  if (resume && resume.missing === null) {
    // Every part is stored: the attempt before died before completing the upload. No download at all.
    logger.info('resuming a copy whose parts are all stored; nothing to download', { file: remote.name });
    await finishUpload(target, stateKey, resume.state.uploadId, resume.stored);
    return { ...(await hashStoredObject(target, resume.state.total)), read: 0 };
  }
  const missing = resume?.stored.size ? resume.missing : null;
  let source: OpenedSource;
  try {
    source = await openForCopy(job, remote, missing, resume?.state);
  } catch (error) {
    if (!resume || !unsatisfiable(error)) throw error;
    // The file ends before the bytes the stored parts say are missing: not the file they were cut from.
    await abandon(target, stateKey, resume.state.uploadId);
    throw new TransientError(
      'the file at the service is shorter than the copy begun; the next attempt copies it afresh',
    );
  }
  const { MAX_RESULT_FILE_BYTES } = settings.resultLimits();
  const cap = `the ${describeSize(MAX_RESULT_FILE_BYTES)} this gateway copies (MAX_RESULT_FILE_BYTES)`;
  const tooLarge = (size: number | null) =>
    new ResultTooLargeError(
      `${remote.name} ${size === null ? `runs past ${cap}, its size unannounced` : `is ${describeSize(size)}, more than ${cap}`}; it was not copied and stays at the service`,
    );
  if (source.total !== null && source.total > MAX_RESULT_FILE_BYTES) {
    await source.discard();
    if (resume) await abandon(target, stateKey, resume.state.uploadId);
    throw tooLarge(source.total);
  }
  let stored: ReadonlyMap<number, StoredPart> = new Map();
  let state: CopyState | undefined = resume?.state;
  let limit: number | null = source.length;
  if (missing && source.partial) {
    const unusable = unusableRange(source, missing, resume!.state);
    if (unusable) {
      await source.discard();
      await abandon(target, stateKey, resume!.state.uploadId);
      throw new TransientError(`${unusable}; the next attempt copies the file afresh`);
    }
    stored = resume!.stored;
    limit = missing.end === null ? null : missing.end - missing.start + 1;
    logger.info('resuming the copy from a byte range', {
      file: remote.name,
      from: missing.start,
      storedParts: stored.size,
    });
  } else if (
    state &&
    (source.total !== state.total || (state.etag && source.etag && source.etag !== state.etag))
  ) {
    // The whole file, but not the one the stored parts were cut from: a new upload, so that a failure
    // of this attempt never leaves parts of two files to be resumed together.
    await abandon(target, stateKey, state.uploadId);
    state = undefined;
  } else if (missing) {
    logger.info('the service sent the whole file again; copying it whole', { file: remote.name });
  }
  const partSize = state?.partSize ?? copyPartSize(source.total);
  const contentType = state?.contentType ?? source.contentType ?? 'application/octet-stream';
  const presigned = source.redirectedTo ?? state?.presigned ?? null;
  if (state && (presigned?.url !== state.presigned?.url || (source.etag ?? state.etag) !== state.etag)) {
    state = { ...state, presigned, etag: source.etag ?? state.etag };
    await writeCopyState(target, stateKey, state);
  }
  const whole = !source.partial;
  const start = source.partial ? source.start : 0;
  const counter = new Digest(limit ?? source.length, whole, {
    bytes: MAX_RESULT_FILE_BYTES - start,
    tooLarge: () => tooLarge(null),
  });
  let result: Awaited<ReturnType<typeof uploadParts>>;
  try {
    result = await uploadParts(target, counter.pass(take(source.chunks(), limit)), {
      partSize,
      start,
      stored,
      queueSize: COPY_QUEUE_SIZE,
      uploadExists: state !== undefined,
      upload: async () => {
        if (state) return state.uploadId;
        const uploadId = await createUpload(target, contentType, metadata(source.total).Metadata);
        state = {
          key: target.key,
          uploadId,
          partSize,
          total: source.total,
          contentType,
          etag: source.etag,
          presigned,
        };
        await writeCopyState(target, stateKey, state);
        return state.uploadId;
      },
    });
  } catch (error) {
    // Too large to copy: what this attempt stored of it can never be completed.
    if (error instanceof ResultTooLargeError && state) await abandon(target, stateKey, state.uploadId);
    throw error;
  }
  if (result.kind === 'small') {
    await target.s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: result.body,
        ContentLength: result.body.length,
        ContentType: contentType,
        ...metadata(source.total),
      }),
    );
    return { size: counter.bytes, sha256: counter.digest(), read: counter.bytes };
  }
  const parts = new Map([...stored, ...result.parts]);
  const uploadId = state!.uploadId;
  const size = whole ? counter.bytes : (state!.total ?? start + counter.bytes);
  const count = partCount(size, partSize);
  for (let n = 1; n <= count; n++) {
    if (!parts.has(n))
      throw new TransientError(`part ${n} of the copy is missing; the next attempt sends it`);
  }
  await finishUpload(target, stateKey, uploadId, new Map([...parts].filter(([n]) => n <= count)));
  // A resumed copy did not see the bytes stored before: its digest is read back from our own bucket.
  if (whole) return { size: counter.bytes, sha256: counter.digest(), read: counter.bytes };
  return { ...(await hashStoredObject(target, size)), read: counter.bytes };
}

/**
 * Opens the file for the copy: the whole file, or `missing` of it. An earlier attempt's presigned URL is
 * asked first (no download spent); if it is refused (expired), the share URL, which spends one of the
 * file's downloads and may answer the whole file (200) to a range.
 */
async function openForCopy(
  job: JobRecord,
  remote: RemoteFile,
  missing: ByteSpan | null,
  state: CopyState | undefined,
): Promise<OpenedSource> {
  const presigned = state?.presigned;
  if (presigned && !expiresWithin(presigned.expiresAt, PRESIGNED_MARGIN_MS)) {
    try {
      return await openSource({ url: presigned.url }, remote.name, missing ?? undefined);
    } catch (error) {
      // A refusal (expired, signature no longer valid) sends us to the share URL; S3 unreachable or
      // failing would fail the same way behind the share URL's redirect, after spending a download.
      if (!refused(error) || unsatisfiable(error)) throw error;
      logger.info('the presigned URL no longer serves the file; asking the share URL', {
        file: remote.name,
      });
    }
  }
  return openSource(
    { baseUrl: jobService(job).baseUrl, path: sharePath(remote) },
    remote.name,
    missing ?? undefined,
  );
}

/** Why a 206 cannot continue the stored parts, or undefined when it can. */
function unusableRange(source: OpenedSource, missing: ByteSpan, state: CopyState): string | undefined {
  if (source.start !== missing.start)
    return `the service sent bytes from ${source.start}, not ${missing.start}`;
  if (state.total !== null && source.total !== null && source.total !== state.total) {
    return `the file at the service has ${source.total} bytes, not ${state.total}`;
  }
  if (state.etag && source.etag && state.etag !== source.etag) return 'the file at the service changed';
  const want = missing.end === null ? null : missing.end - missing.start + 1;
  if (want !== null && source.length !== null && source.length < want) {
    return `the service sent ${source.length} bytes of the ${want} asked for`;
  }
  return undefined;
}

/** A byte count exactly, and as people read it: `214,748,364,800 bytes (200 GiB)`. */
export function describeSize(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return bytes < 1024 ? exact : `${exact} (${humanBytes(bytes)})`;
}

/** A byte count as people read it: `200 GiB`, `1.5 MiB`. */
export function humanBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}

/** A presigned URL this close to its expiry is not worth a request. */
const PRESIGNED_MARGIN_MS = 60_000;

function expiresWithin(expiresAt: string | null, ms: number): boolean {
  return expiresAt !== null && Date.parse(expiresAt) - Date.now() < ms;
}

function metadata(total: number | null): { Metadata?: Record<string, string> } {
  return total !== null ? { Metadata: { [SOURCE_LENGTH]: String(total) } } : {};
}

/** At most `limit` bytes of `chunks` (all of them for null); stops reading (and lets go) after that. */
async function* take(chunks: AsyncGenerator<Uint8Array>, limit: number | null): AsyncGenerator<Uint8Array> {
  if (limit === null) {
    yield* chunks;
    return;
  }
  let left = limit;
  if (left <= 0) {
    await chunks.return(undefined);
    return;
  }
  for await (const chunk of chunks) {
    if (chunk.length >= left) {
      yield chunk.subarray(0, left);
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
}

async function finishUpload(
  target: Target,
  stateKey: string,
  uploadId: string,
  parts: ReadonlyMap<number, StoredPart>,
): Promise<void> {
  await completeUpload(target, uploadId, [...parts.values()]);
  await deleteCopyState(target, stateKey);
}

/**
 * Size and SHA-256 of our copy, read back from our bucket (no download spent at the service); a size other
 * than `expected` is a copy to make again.
 */
export async function hashStoredObject(
  target: Target,
  expected: number | null,
): Promise<{ size: number; sha256: string }> {
  const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }));
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  if (expected !== null && size !== expected) {
    throw new TransientError(`the completed copy has ${size} bytes, not ${expected}`);
  }
  return { size, sha256: hash.digest('hex') };
}

/** A 4xx at a download: the URL or the file is refused (not a failure worth the same request again). */
function refused(error: unknown): boolean {
  return error instanceof CloudgeneBadRequestError || error instanceof CloudgeneNotFoundError;
}

/** 416: the file has no byte where the copy would go on. */
function unsatisfiable(error: unknown): boolean {
  return error instanceof CloudgeneError && error.details.serviceStatus === 416;
}
