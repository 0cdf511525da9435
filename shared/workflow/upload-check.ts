/**
 * The check of an upload's whole file as soon as it is READY, so a broken file is known before anyone
 * builds a job on it, and a job reuses the outcome instead of reading the file again (validate-input.ts).
 * It runs as an execution of the workflow named `upload-<uploadId>` (so it starts once however often it
 * is asked for), in invocations bounded by the Lambda's time like the job's own validation, each
 * resuming from a small cursor. The outcome is recorded on the upload for the object's ETag: VALID with
 * the file's facts, INVALID with its first problem; UNCHECKED when the check itself could not run, so a
 * job that waits for it reads the file on its own instead of waiting forever.
 */
import * as z from 'zod/mini';
import { recordUnchecked, type UploadRef } from '#shared/uploads/upload-checks';
import { uploadStore } from '#shared/uploads/upload-store';
import { fileCursorSchema } from '#shared/vcf/vcf-validator';
import { checkLimitProblem, checkLimits, checkStoredFile, pauseAtLimit } from './file-check';

export const uploadCheckCheckpointSchema = z.object({
  cursor: fileCursorSchema,
  etag: z.string().check(z.maxLength(200)),
  invocations: z.int().check(z.positive()),
  /** Decompressed bytes read so far (capped: VALIDATION_MAX_DECOMPRESSED_BYTES). */
  decompressed: z._default(z.int().check(z.nonnegative()), 0),
});
export type UploadCheckCheckpoint = z.infer<typeof uploadCheckCheckpointSchema>;

/** What the previous invocation returned (the state machine passes it back). */
export const previousUploadCheckSchema = z.object({
  outcome: z.string(),
  checkpoint: z.optional(uploadCheckCheckpointSchema),
});

export type UploadCheckResult =
  | { outcome: 'VALID' | 'INVALID' | 'UNCHECKED' | 'STOPPED'; invocations: number }
  | { outcome: 'CONTINUE'; checkpoint: UploadCheckCheckpoint };

export async function checkUpload(
  ref: UploadRef,
  previous: z.infer<typeof previousUploadCheckSchema> | undefined,
  deadline: number,
): Promise<UploadCheckResult> {
  const store = uploadStore();
  const upload = await store.get(ref.owner, ref.uploadId);
  const fromExecution = previous?.outcome === 'CONTINUE' ? previous.checkpoint : undefined;
  if (upload?.status !== 'READY' || upload.check?.status !== 'CHECKING' || upload.check.reader) {
    // Gone, checked meanwhile, or a job reading it now (its check overran): nothing left to do here.
    return { outcome: 'STOPPED', invocations: (fromExecution?.invocations ?? 0) + 1 };
  }
  // A check started again after its execution was lost resumes where the last pause left it.
  const resumed = fromExecution ?? upload.check.progress;
  const invocations = (resumed?.invocations ?? 0) + 1;
  const startedAt = upload.check.startedAt;
  const limits = checkLimits();
  const before = resumed?.decompressed ?? 0;
  const step = await checkStoredFile(
    { bucket: upload.bucket, key: upload.key, fileName: upload.fileName },
    { cursor: resumed?.cursor, etag: resumed?.etag },
    pauseAtLimit(before, limits, () => Date.now() >= deadline),
  );
  const checkedAt = new Date().toISOString();
  switch (step.kind) {
    case 'paused': {
      const decompressed = before + step.decompressedBytes;
      const problem = checkLimitProblem(invocations, decompressed, limits);
      if (problem) {
        // Never resumed without end: the file is refused, for this ETag, and no job reads it again.
        await store.recordCheck(ref.owner, ref.uploadId, {
          status: 'INVALID',
          startedAt,
          checkedAt,
          etag: step.etag,
          problem,
        });
        return { outcome: 'INVALID', invocations };
      }
      const checkpoint = { cursor: step.cursor, etag: step.etag, invocations, decompressed };
      await store.recordCheckProgress(ref.owner, ref.uploadId, checkpoint);
      return { outcome: 'CONTINUE', checkpoint };
    }
    case 'valid':
      await store.recordCheck(ref.owner, ref.uploadId, {
        status: 'VALID',
        startedAt,
        checkedAt,
        etag: step.etag,
        facts: step.facts,
      });
      return { outcome: 'VALID', invocations };
    case 'invalid':
      await store.recordCheck(ref.owner, ref.uploadId, {
        status: 'INVALID',
        startedAt,
        checkedAt,
        etag: step.etag,
        problem: step.problem,
      });
      return { outcome: 'INVALID', invocations };
    case 'unreadable':
      await recordUnchecked(ref, step.reason);
      return { outcome: 'UNCHECKED', invocations };
  }
}
