/**
 * POST /uploads/{uploadId}/complete: assembles a multipart upload's parts and confirms the object like
 * GET /uploads/{uploadId} does. Before S3 assembles anything, the parts listed are checked against the
 * parts S3 stores (a completion cannot be undone), and S3's own refusals come back in our words.
 * Completing a completed upload answers its state: also when S3 finished an earlier attempt whose answer
 * was lost, which real S3 answers with NoSuchUpload.
 */
import type { Caller } from '#shared/auth/caller';
import { ConflictError } from '#shared/errors';
import type { ValidationIssue } from '#shared/http/validate';
import { bareEtag, completeMultipartUpload, listStoredParts, type StoredPart } from './multipart-s3';
import { type Plan, pendingMultipart, refuse, settleVanishedUpload, target } from './multipart-uploads';
import { partRange } from './upload-plan';
import {
  type CheckedUpload,
  confirmUpload,
  defaultDeps,
  ownUpload,
  toUploadView,
  type UploadDeps,
} from './uploads';

export interface CompletedPart {
  partNumber: number;
  etag: string;
  /** As GET …/parts lists the parts, so its answer can be sent back as it is. */
  size?: number;
  checksumSha256?: string | null;
}

/**
 * Assembles the parts and confirms the object like GET /uploads/{id} does. Completing a completed upload
 * answers its state: also when S3 finished an earlier attempt whose answer was lost (NoSuchUpload then).
 */
export async function completeUpload(
  caller: Caller,
  uploadId: string,
  request: { parts: CompletedPart[] },
  deps: UploadDeps = defaultDeps(),
): Promise<CheckedUpload> {
  const upload = await ownUpload(deps.store, caller, uploadId);
  if (upload.status === 'READY') return { upload: toUploadView(upload), problem: null };
  const plan = pendingMultipart(upload);
  checkCompleteList(request.parts, plan);
  if (!upload.s3UploadId) {
    throw new ConflictError(`No part of upload ${uploadId} has been uploaded yet`, 'UPLOAD_PARTS_INVALID');
  }
  const stored = await listStoredParts(deps.s3, target(upload));
  if (stored === 'gone') return settleVanishedUpload(upload, deps);
  // Checked here, before S3 assembles anything: a completion cannot be undone, and S3 would assemble a
  // part it holds with another length (the emulator's) or complete without a part never listed.
  const problems = partProblems(request.parts, stored, plan, upload.size);
  if (problems.length > 0) {
    throw new ConflictError(
      `The parts do not match what S3 stores: ${problems.map((p) => p.problem).join('; ')}`,
      'UPLOAD_PARTS_INVALID',
      problems,
    );
  }
  const byNumber = new Map(stored.map((part) => [part.partNumber, part]));
  const parts = request.parts
    .map((part) => byNumber.get(part.partNumber)!)
    .sort((a, b) => a.partNumber - b.partNumber);
  if ((await completeMultipartUpload(deps.s3, target(upload), parts)) === 'gone') {
    return settleVanishedUpload(upload, deps);
  }
  const checked = await confirmUpload(upload, deps);
  if (checked.upload.status === 'ABORTED') pendingMultipart({ ...upload, status: 'ABORTED' });
  return checked;
}

/** The parts listed must be every part of the plan, each once (the body schema refuses duplicates). */
function checkCompleteList(parts: CompletedPart[], plan: Plan): void {
  const listed = new Set(parts.map((part) => part.partNumber));
  const issues: ValidationIssue[] = [];
  parts.forEach((part, index) => {
    if (part.partNumber > plan.partCount) {
      issues.push({
        in: 'body',
        path: `parts.${index}.partNumber`,
        message: `part ${part.partNumber} does not exist: this upload has parts 1 to ${plan.partCount}`,
      });
    }
  });
  const missing = Array.from({ length: plan.partCount }, (_, i) => i + 1).filter((n) => !listed.has(n));
  if (missing.length > 0) {
    const shown = missing.length > 20 ? `${missing.slice(0, 20).join(', ')}, …` : missing.join(', ');
    issues.push({ in: 'body', path: 'parts', message: `every part must be listed; missing: ${shown}` });
  }
  if (issues.length > 0) refuse(issues);
}

function partProblems(
  listed: CompletedPart[],
  stored: StoredPart[],
  plan: Plan,
  size: number,
): { partNumber: number; problem: string }[] {
  const byNumber = new Map(stored.map((part) => [part.partNumber, part]));
  const problems: { partNumber: number; problem: string }[] = [];
  for (const part of listed) {
    const held = byNumber.get(part.partNumber);
    const expected = partRange(plan, size, part.partNumber).length;
    const problem = !held
      ? `part ${part.partNumber} has not been uploaded`
      : bareEtag(part.etag) !== held.etag
        ? `part ${part.partNumber}'s ETag is not that of the stored part (was it uploaded again?)`
        : held.size !== expected
          ? `part ${part.partNumber} has ${held.size} bytes, not ${expected}: upload it again`
          : (part.size !== undefined && part.size !== held.size) ||
              (part.checksumSha256 && part.checksumSha256 !== held.checksumSha256)
            ? `part ${part.partNumber}'s size or SHA-256 is not that of the stored part`
            : undefined;
    if (problem) problems.push({ partNumber: part.partNumber, problem });
  }
  return problems;
}
