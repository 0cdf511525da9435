/**
 * Starting the check of a READY upload's whole file (the workflow's `upload-<uploadId>` execution, see
 * shared/workflow/upload-check.ts), and recording that it could not be done. Kept apart from the check
 * itself so the API functions that confirm uploads bundle no VCF reader.
 */
import * as z from 'zod/mini';
import { type ExecutionDeps, startExecution } from '#shared/aws/executions';
import { logger } from '#shared/logger';
import { type UploadCheck, type UploadRecord, uploadStore } from './upload-store';

export const uploadRefSchema = z.object({
  owner: z.string().check(z.minLength(1)),
  uploadId: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
});
export type UploadRef = z.infer<typeof uploadRefSchema>;

/** The execution that checks an upload: one per upload, whoever asks first. */
export const uploadCheckExecutionName = (uploadId: string) => `upload-${uploadId}`;

/** Starts the check of a READY upload; answers the check as it stands then (UNCHECKED if it could not start). */
export async function startUploadCheck(
  upload: Pick<UploadRecord, 'owner' | 'uploadId' | 'check'>,
  deps?: ExecutionDeps,
): Promise<UploadCheck | undefined> {
  const ref: UploadRef = { owner: upload.owner, uploadId: upload.uploadId };
  try {
    await startExecution(uploadCheckExecutionName(upload.uploadId), ref, deps);
    return upload.check;
  } catch (error) {
    // Without its check the upload is still usable: a job then reads the file itself.
    logger.warn('upload check not started', { uploadId: upload.uploadId, error: String(error) });
    return recordUnchecked(ref, `the check could not start (${(error as Error).name ?? 'error'})`);
  }
}

/**
 * The check gave up (its retries spent, or it never started): jobs read the file themselves. Answers the
 * check as recorded now (an outcome recorded meanwhile is kept).
 */
export async function recordUnchecked(ref: UploadRef, reason: string): Promise<UploadCheck | undefined> {
  const upload = await uploadStore().get(ref.owner, ref.uploadId);
  const now = new Date().toISOString();
  const check: UploadCheck = {
    status: 'UNCHECKED',
    startedAt: upload?.check?.startedAt ?? now,
    checkedAt: now,
    reason: reason.slice(0, 500),
  };
  if (await uploadStore().recordCheck(ref.owner, ref.uploadId, check)) return check;
  return (await uploadStore().get(ref.owner, ref.uploadId))?.check;
}
