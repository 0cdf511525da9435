/**
 * A file below the multipart threshold: one PUT to the presigned URL of POST /uploads, retried as a part
 * is. That URL lives only UPLOAD_URL_TTL_SECONDS and cannot be signed again, so a resume after its expiry,
 * or a 403 from S3 (clocks apart, the signer's credentials ran out), abandons that upload (DELETE: it does
 * not linger as PENDING) and announces the file again, once per run.
 */
import {
  EXPIRY_MARGIN_MS,
  Interrupted,
  PutRefused,
  type RetryHooks,
  Stopped,
  sendWithRetries,
} from './upload-parts';
import type { CreatedUpload, SingleUpload, UploadTransport } from './upload-transport';

export interface SingleHooks extends RetryHooks {
  onProgress(loaded: number): void;
  /** The file was announced again: this upload replaces the one given. */
  onAnnounced(created: CreatedUpload): void;
}

/** Whether the URL is past its expiry (a margin early, as part URLs). */
export function singleUrlExpired(created: SingleUpload, now: number): boolean {
  const until = Date.parse(created.upload.uploadUrlExpiresAt);
  return Number.isFinite(until) && now >= until - EXPIRY_MARGIN_MS;
}

/** Sends the file; answers the upload it was sent to (the one given, or its replacement). */
export async function sendSingle(
  transport: UploadTransport,
  file: Blob & { name: string },
  created: SingleUpload,
  resuming: boolean,
  signal: AbortSignal,
  hooks: SingleHooks,
): Promise<SingleUpload> {
  const send = (target: SingleUpload) =>
    sendWithRetries(
      transport,
      1,
      () => transport.put(target.uploadUrl, target.headers, file, hooks.onProgress, signal),
      signal,
      hooks,
    );
  let target = created;
  if (resuming && singleUrlExpired(target, transport.now()))
    target = await announceAgain(transport, file, target, signal, hooks);
  try {
    await send(target);
    return target;
  } catch (error) {
    if (!(error instanceof PutRefused && error.status === 403) || target !== created) throw error;
  }
  target = await announceAgain(transport, file, target, signal, hooks);
  await send(target);
  return target;
}

async function announceAgain(
  transport: UploadTransport,
  file: { name: string; size: number },
  old: SingleUpload,
  signal: AbortSignal,
  hooks: SingleHooks,
): Promise<SingleUpload> {
  await transport.abort(old.upload.uploadId).catch(() => undefined);
  const created = await transport.createUpload({ fileName: file.name, size: file.size });
  if (signal.aborted) {
    await transport.abort(created.upload.uploadId).catch(() => undefined);
    throw new Stopped('Canceled.');
  }
  hooks.onAnnounced(created);
  if (created.transfer !== 'single')
    throw new Interrupted('The file is now sent in parts: resume to continue.');
  return created;
}
