/**
 * Workflow step 4 (one Map iteration per file): stream one result file from the service's share URL
 * (following redirects, e.g. TOPMed's presigned S3 URLs) into a multipart upload in our bucket, with
 * constant memory, counting bytes and hashing on the way; a short body never completes the upload.
 *
 * Each download costs one of the service's limited downloads, and a listed file may still be refused
 * ("download not found.", "File not found in workspace."). So every file has its own outcome, recorded
 * on the job as soon as it is known: a refused file does not undo the others, and a retried task whose
 * file is already in our bucket with the right size does not download it again.
 *
 * One download per file, wherever it can be had. A failure after the file was read — S3 refusing a part
 * or the completion past the SDK's retries, the body cut short, the Lambda dying — does not throw away
 * what was read: the multipart upload is never aborted for it, and its parts wait in S3 with a small
 * resume record next to them (copy-multipart.ts). The retried task lists the stored parts (ListParts)
 * and asks only for the bytes still missing (copy-transfer.ts):
 * - every part stored (the completion failed): it completes the upload; no request to the service at all;
 * - the share URL had redirected to a presigned S3 URL (TOPMed) that still works: it asks that URL again
 *   with `Range` (206); no download spent, only the missing bytes read;
 * - otherwise it asks the share URL with `Range`, which spends one more download (Cloudgene counts every
 *   request); behind a redirect S3 answers the range, and only the missing bytes are read; a service that
 *   serves the file itself (Cloudgene 3's share route ignores `Range`) answers 200, and the whole file is
 *   read and sent again into the same upload — the one case where a second full download cannot be
 *   avoided (README, "A listed result file cannot be downloaded").
 * A file smaller than one part (8 MiB) is a single PUT with nothing to resume: it is read again.
 *
 * The SHA-256 the job view shows stays the file's: a copy read from its first byte is hashed on the way;
 * a resumed one did not see the bytes stored before (node:crypto cannot keep a hash's state across
 * invocations, and S3 does not serve the parts of an upload in progress), so it is hashed by reading the
 * completed object back from our own bucket, which costs no download.
 *
 * Also weighed: spooling the file to the Lambda's /tmp so an S3 failure re-uploads from disk. It would
 * save the second download only while the same instance lives (a retry may land on another, a crash
 * loses /tmp), needs ephemeral storage as large as the largest file (10 GB at most), and does nothing
 * that the parts kept in S3 do not do across instances; so no spool.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { s3Client, s3StreamingClient } from '#shared/aws/clients';
import {
  CloudgeneBadRequestError,
  CloudgeneNotFoundError,
  DownloadsExhaustedError,
  RedirectRefusedError,
  ResultTooLargeError,
} from '#shared/cloudgene/errors';
import { type JobRecord, jobRepository, type ResultFileOutcome } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { deleteResultObject, resultKey, resultsEnv } from '#shared/jobs/result-store';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { truncated } from '#shared/text-limit';
import { copyStateKey, type Target } from './copy-multipart';
import { abandon, copyBytes, hashStoredObject, resumePoint, SOURCE_LENGTH } from './copy-transfer';
import { type JobRef, loadJob } from './job-context';
import { JobFailure } from './task-errors';

export const copyResultSchema = z.object({
  jobId: z.string(),
  owner: z.string(),
  file: z.object({ name: z.string(), index: z.int().check(z.nonnegative()) }),
});

export { COPY_PART_SIZE, COPY_QUEUE_SIZE, copyPartSize } from './copy-transfer';

/** What the Map state collects per file: ids and counters only, never the service's text. */
export interface CopySummary {
  index: number;
  name: string;
  status: ResultFileOutcome['status'] | 'STOPPED';
  bytes?: number;
  /** True when the file was already in our bucket and no download was spent. */
  reused?: boolean;
}

export async function copyResultFile(
  ref: JobRef,
  file: { name: string; index: number },
): Promise<CopySummary> {
  const job = await loadJob(ref);
  if (job.status !== JobStatus.COPYING_RESULTS) {
    return { index: file.index, name: file.name, status: 'STOPPED' };
  }
  const remote = job.remoteFiles?.[file.index];
  if (!remote || remote.name !== file.name) {
    throw new JobFailure(
      'RESULT_LIST_CHANGED',
      `The result file ${file.name} is no longer listed for this job`,
    );
  }
  const key = resultKey(job.owner, job.jobId, remote.target ?? remote.name);
  const summary = (outcome: ResultFileOutcome, reused = false): CopySummary => ({
    index: file.index,
    name: remote.name,
    status: outcome.status,
    ...(outcome.status === 'COPIED' ? { bytes: outcome.size, reused } : {}),
  });

  const settled = job.copyOutcomes?.[String(file.index)];
  if (settled && settled.status !== 'COPIED') return summary(settled);
  const earlier = await alreadyCopied(job, file.index, key);
  if (earlier) {
    logger.info('result file already in our bucket; no download spent', { file: remote.name });
    // Only a copy the job does not know yet (the task died before recording it) needs recording.
    if (earlier !== job.copyOutcomes?.[String(file.index)]) await record(job, file.index, earlier, key);
    return summary(earlier, true);
  }

  const target: Target = { s3: s3StreamingClient(), bucket: resultsEnv().RESULTS_BUCKET, key };
  const stateKey = copyStateKey(job.owner, job.jobId, file.index);
  const resume = await resumePoint(target, stateKey);
  let copied: { size: number; sha256: string; read: number };
  try {
    copied = await copyBytes(job, remote, target, stateKey, resume);
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    // The file is gone at the service: what is stored of it can never be completed.
    if (resume) await abandon(target, stateKey, resume.state.uploadId);
    const outcome: ResultFileOutcome = {
      status: 'UNAVAILABLE',
      name: remote.name,
      code: refused.code,
      // Short: a job may list hundreds of files, each outcome on its item (and again in missingResults).
      reason: truncated(refused.reason, MAX_FILE_REASON),
      at: new Date().toISOString(),
    };
    logger.warn('result file refused by the service', { file: remote.name, code: refused.code });
    await record(job, file.index, outcome, key);
    return summary(outcome);
  }
  const outcome: ResultFileOutcome = {
    status: 'COPIED',
    name: remote.name,
    key,
    size: copied.size,
    sha256: copied.sha256,
    at: new Date().toISOString(),
  };
  await record(job, file.index, outcome, key);
  recordMetric('BytesCopied', job.serviceId, copied.read);
  return summary(outcome);
}

/** The most characters of why one file was not copied. */
const MAX_FILE_REASON = 300;

/**
 * The service's refusals of one file, which no retry can change, and the files we refuse (a redirect we
 * do not follow, a file over MAX_RESULT_FILE_BYTES); anything else is thrown on.
 */
function refusal(error: unknown): { code: string; reason: string } | undefined {
  if (error instanceof RedirectRefusedError)
    return { code: 'DOWNLOAD_REDIRECT_REFUSED', reason: error.message };
  if (error instanceof ResultTooLargeError) return { code: 'RESULT_TOO_LARGE', reason: error.message };
  if (error instanceof DownloadsExhaustedError) {
    return {
      code: 'DOWNLOADS_EXHAUSTED',
      reason: error.serviceMessage ?? 'number of max downloads exceeded.',
    };
  }
  if (error instanceof CloudgeneNotFoundError) {
    const reason = error.serviceMessage ?? 'download not found.';
    return {
      code: /workspace/i.test(reason) ? 'FILE_NOT_IN_WORKSPACE' : 'DOWNLOAD_NOT_FOUND',
      reason,
    };
  }
  if (error instanceof CloudgeneBadRequestError) {
    return { code: 'DOWNLOAD_REFUSED', reason: error.serviceMessage ?? error.message };
  }
  return undefined;
}

/**
 * A copy that already happened: recorded on the job and still in the bucket with that size, or (a task
 * that died between the upload and the record) an object whose size matches what the service announced.
 */
async function alreadyCopied(
  job: JobRecord,
  index: number,
  key: string,
): Promise<ResultFileOutcome | undefined> {
  const recorded = job.copyOutcomes?.[String(index)];
  if (recorded && recorded.status !== 'COPIED') return undefined;
  const head = await s3Client()
    .send(new HeadObjectCommand({ Bucket: resultsEnv().RESULTS_BUCKET, Key: key }))
    .catch((error: unknown) => {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw error;
    });
  if (!head || head.ContentLength === undefined) return undefined;
  if (recorded?.status === 'COPIED') return head.ContentLength === recorded.size ? recorded : undefined;
  const announced = head.Metadata?.[SOURCE_LENGTH];
  if (announced === undefined || Number(announced) !== head.ContentLength) return undefined;
  // Hash our own copy (no download spent at the service) to record it like a fresh one.
  const copy = await hashStoredObject({ s3: s3Client(), bucket: resultsEnv().RESULTS_BUCKET, key }, null);
  if (copy.size !== head.ContentLength) return undefined;
  return {
    status: 'COPIED',
    name: job.remoteFiles?.[index]?.name ?? key,
    key,
    size: copy.size,
    sha256: copy.sha256,
    at: new Date().toISOString(),
  };
}

/** Records the outcome; if the job was deleted meanwhile, our copy would be orphaned: remove it. */
async function record(job: JobRecord, index: number, outcome: ResultFileOutcome, key: string): Promise<void> {
  const kept = await jobRepository().recordCopyOutcome(job.owner, job.jobId, index, outcome);
  if (kept || outcome.status !== 'COPIED') return;
  logger.warn('job deleted while its result was copied; removing the copy', { file: outcome.name });
  await deleteResultObject(key);
}
