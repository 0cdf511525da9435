/**
 * Workflow step 4 (one Map iteration per file): stream one result file from the service's share URL
 * (following redirects, e.g. TOPMed's presigned S3 URLs) into a multipart upload in our bucket, with
 * constant memory, counting bytes and hashing on the way; a short body aborts the upload.
 *
 * Each download costs one of the service's limited downloads, and a listed file may still be refused
 * ("download not found.", "File not found in workspace."). So every file has its own outcome, recorded
 * on the job as soon as it is known: a refused file does not undo the others, and a retried task whose
 * file is already in our bucket with the right size does not download it again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import * as z from 'zod/mini';
import { s3Client, s3StreamingClient } from '#shared/aws/clients';
import {
  CloudgeneBadRequestError,
  CloudgeneNotFoundError,
  DownloadsExhaustedError,
} from '#shared/cloudgene/errors';
import { type JobRecord, jobRepository, type ResultFileOutcome } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { deleteResultObject, resultKey, resultsEnv } from '#shared/jobs/result-store';
import { logger } from '#shared/logger';
import { recordMetric } from '#shared/metrics';
import { anonymousClient, type JobRef, loadJob } from './job-context';
import { JobFailure, TransientError } from './task-errors';

export const copyResultSchema = z.object({
  jobId: z.string(),
  owner: z.string(),
  file: z.object({ name: z.string(), index: z.int().check(z.nonnegative()) }),
});

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
const SOURCE_LENGTH = 'source-length';

/** What the Map state collects per file: ids and counters only, never the service's text. */
export interface CopySummary {
  index: number;
  name: string;
  status: ResultFileOutcome['status'] | 'STOPPED';
  bytes?: number;
  /** True when the file was already in our bucket and no download was spent. */
  reused?: boolean;
}

/**
 * Counts and hashes the download on its way into the upload, in one generator (no extra stream stage:
 * the copy is CPU-bound), and refuses a short body so the upload is aborted, never completed truncated.
 */
class Digest {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly expected: number | null) {}

  async *pass(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      yield chunk;
    }
    if (this.expected !== null && this.bytes !== this.expected) {
      throw new TransientError(`the download ended after ${this.bytes} of ${this.expected} bytes`);
    }
  }
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

  let download: Awaited<ReturnType<ReturnType<typeof anonymousClient>['downloadResult']>>;
  try {
    download = await anonymousClient(job, 10 * 60_000).downloadResult({
      hash: remote.hash,
      name: remote.name,
    });
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    const outcome: ResultFileOutcome = {
      status: 'UNAVAILABLE',
      name: remote.name,
      ...refused,
      at: new Date().toISOString(),
    };
    logger.warn('result file refused by the service', { file: remote.name, code: refused.code });
    await record(job, file.index, outcome, key);
    return summary(outcome);
  }

  const counter = new Digest(download.contentLength);
  const body = Readable.from(counter.pass(download.chunks()), { objectMode: false });
  await new Upload({
    client: s3StreamingClient(),
    params: {
      Bucket: resultsEnv().RESULTS_BUCKET,
      Key: key,
      Body: body,
      ContentType: download.contentType ?? 'application/octet-stream',
      ...(download.contentLength !== null
        ? { Metadata: { [SOURCE_LENGTH]: String(download.contentLength) } }
        : {}),
    },
    partSize: copyPartSize(download.contentLength),
    queueSize: COPY_QUEUE_SIZE,
    leavePartsOnError: false,
  }).done();
  const outcome: ResultFileOutcome = {
    status: 'COPIED',
    name: remote.name,
    key,
    size: counter.bytes,
    sha256: counter.hash.digest('hex'),
    at: new Date().toISOString(),
  };
  await record(job, file.index, outcome, key);
  recordMetric('BytesCopied', job.serviceId, counter.bytes);
  return summary(outcome);
}

/** The service's refusals of one file, which no retry can change; anything else is thrown on. */
function refusal(error: unknown): { code: string; reason: string } | undefined {
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
  const object = await s3Client().send(
    new GetObjectCommand({ Bucket: resultsEnv().RESULTS_BUCKET, Key: key }),
  );
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  if (size !== head.ContentLength) return undefined;
  return {
    status: 'COPIED',
    name: job.remoteFiles?.[index]?.name ?? key,
    key,
    size,
    sha256: hash.digest('hex'),
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
