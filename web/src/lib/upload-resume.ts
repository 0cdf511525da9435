/**
 * Whether a file picked again matches an upload started before a reload, and what of it S3 still holds.
 * The API decides: GET /uploads/{id} must still be PENDING (a READY one was completed and its answer lost:
 * nothing to send), and GET /uploads/{id}/parts lists the stored parts. An upload that is gone, ABORTED,
 * older than S3 keeps parts, or whose plan no longer matches the file starts anew; a network failure is
 * not an answer and keeps the record for the next try. The same check before resuming within the page
 * (`recheckUpload`). Also: opening a file's upload (resumed or announced
 * and remembered) and abandoning a remembered one.
 */
import { ApiError } from '../api/api-error';
import { isExpired, type PendingUpload, type PendingUploads } from './pending-uploads';
import type {
  CreatedUpload,
  MultipartUpload,
  StoredPart,
  UploadRecord,
  UploadTransport,
} from './upload-transport';

export type ResumeDecision =
  | { kind: 'resume'; created: MultipartUpload; stored: StoredPart[] }
  | { kind: 'ready'; upload: UploadRecord }
  | { kind: 'fresh'; reason: string };

/** Answers that mean the upload cannot be continued (as opposed to "could not ask"). */
const GONE = new Set([
  'UPLOAD_NOT_FOUND',
  'NOT_FOUND',
  'UPLOAD_ABORTED',
  'UPLOAD_COMPLETED',
  'UPLOAD_NOT_MULTIPART',
]);
const gone = (error: unknown) => error instanceof ApiError && (GONE.has(error.code) || error.status === 404);

export async function decideResume(
  transport: UploadTransport,
  record: PendingUpload,
  file: { size: number },
): Promise<ResumeDecision> {
  if (isExpired(record, transport.now())) return { kind: 'fresh', reason: 'expired' };
  if (record.size !== file.size) return { kind: 'fresh', reason: 'another file' };
  let checked: Awaited<ReturnType<UploadTransport['confirm']>>;
  try {
    checked = await transport.confirm(record.uploadId);
  } catch (error) {
    if (gone(error)) return { kind: 'fresh', reason: 'gone' };
    throw error;
  }
  const { problem, ...upload } = checked;
  if (upload.status === 'READY' && !problem) return { kind: 'ready', upload };
  if (upload.status !== 'PENDING' || upload.transfer !== 'multipart' || upload.size !== file.size) {
    return { kind: 'fresh', reason: upload.status };
  }
  let stored: StoredPart[];
  try {
    stored = (await transport.listParts(record.uploadId)).parts;
  } catch (error) {
    if (gone(error)) return { kind: 'fresh', reason: 'gone' };
    throw error;
  }
  const { partSize, partCount, maxPartsPerRequest } = record;
  return {
    kind: 'resume',
    created: { upload, transfer: 'multipart', multipart: { partSize, partCount, maxPartsPerRequest } },
    stored,
  };
}

export type Recheck =
  | { kind: 'pending'; stored: StoredPart[] }
  | { kind: 'ready' }
  | { kind: 'gone'; problem: string };

const GONE_PROBLEM =
  'The server no longer holds this upload (abandoned, or its parts expired): add the file again.';

/**
 * Before resuming within the page, as `decideResume` does after a reload: a complete that timed out may
 * have finished (READY: nothing to send; GET …/parts would answer 409 UPLOAD_COMPLETED), and S3 may have
 * discarded the parts (ABORTED, expired, gone). Only a PENDING upload gets its stored parts listed.
 */
export async function recheckUpload(transport: UploadTransport, uploadId: string): Promise<Recheck> {
  try {
    const { problem, ...upload } = await transport.confirm(uploadId);
    if (upload.status === 'READY') return problem ? { kind: 'gone', problem } : { kind: 'ready' };
    if (upload.status !== 'PENDING') return { kind: 'gone', problem: GONE_PROBLEM };
    return { kind: 'pending', stored: (await transport.listParts(uploadId)).parts };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UPLOAD_COMPLETED') return { kind: 'ready' };
    if (gone(error)) return { kind: 'gone', problem: GONE_PROBLEM };
    throw error;
  }
}

export type Opened =
  | { kind: 'ready'; upload: UploadRecord }
  | { kind: 'created'; created: CreatedUpload; stored: StoredPart[] | null };

/**
 * The upload for this file: the one remembered for its fingerprint when the API can still continue it
 * (with the parts S3 holds), else a new announcement (POST /uploads), remembered when multipart.
 */
export async function openUpload(
  transport: UploadTransport,
  file: { name: string; size: number },
  fingerprint: string,
  pending: PendingUploads | null,
  say: (message: string) => void,
): Promise<Opened> {
  const record = pending?.find(fingerprint);
  if (record) {
    say('Checking the upload started earlier…');
    const decision = await decideResume(transport, record, file);
    if (decision.kind === 'ready') pending?.forget(fingerprint);
    if (decision.kind === 'ready') return decision;
    if (decision.kind === 'resume')
      return { kind: 'created', created: decision.created, stored: decision.stored };
    pending?.forget(fingerprint);
  }
  say('Announcing the file…');
  const created = await transport.createUpload({ fileName: file.name, size: file.size });
  if (created.transfer === 'multipart') {
    const { partSize, partCount, maxPartsPerRequest } = created.multipart;
    pending?.save(fingerprint, {
      uploadId: created.upload.uploadId,
      fileName: file.name,
      size: file.size,
      partSize,
      partCount,
      maxPartsPerRequest,
      createdAt: created.upload.createdAt || new Date(transport.now()).toISOString(),
      partsDone: 0,
    });
  }
  return { kind: 'created', created, stored: null };
}

/** Abandons what `openUpload` answered after the file was removed meanwhile: DELETE, and forgotten. */
export async function abandonOpened(
  transport: UploadTransport,
  opened: Opened,
  fingerprint: string,
  pending: PendingUploads | null,
): Promise<void> {
  pending?.forget(fingerprint);
  if (opened.kind === 'created') await transport.abort(opened.created.upload.uploadId).catch(() => undefined);
}

/**
 * Abandons a remembered upload the researcher no longer wants (DELETE /uploads/{id}) and forgets it; one
 * the API no longer has, or completed meanwhile, is forgotten too. A network failure keeps it (rethrown).
 */
export async function abandonPending(
  transport: UploadTransport,
  pending: PendingUploads,
  fingerprint: string,
): Promise<void> {
  const record = pending.find(fingerprint);
  if (!record) return;
  try {
    await transport.abort(record.uploadId);
  } catch (error) {
    if (!gone(error)) throw error;
  }
  pending.forget(fingerprint);
}
