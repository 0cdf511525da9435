/**
 * Workflow step 4 (one Map iteration per file): stream one result file from the service's share URL
 * (following redirects, e.g. TOPMed's presigned S3 URLs) into a multipart upload in our bucket, with
 * constant memory, counting bytes and hashing on the way, and refuse a short copy. Each download costs
 * one of the service's limited downloads, so a file is copied once and then served from our bucket.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients';
import type { JobResultFile } from '#shared/jobs/job-repository';
import { resultKey, resultsEnv } from '#shared/jobs/result-store';
import { anonymousClient, type JobRef, loadJob } from './job-context';
import { JobFailure, TransientError } from './task-errors';

export const copyResultSchema = z.object({
  jobId: z.string(),
  owner: z.string(),
  file: z.object({ name: z.string(), index: z.number().int().nonnegative() }),
});

/** 16 MiB parts, 4 in flight: at most ~64 MiB buffered whatever the file size. */
export const COPY_PART_SIZE = 16 * 1024 * 1024;
export const COPY_QUEUE_SIZE = 4;

class DigestingCounter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

export async function copyResultFile(
  ref: JobRef,
  file: { name: string; index: number },
): Promise<JobResultFile> {
  const job = await loadJob(ref);
  const remote = job.remoteFiles?.[file.index];
  if (!remote || remote.name !== file.name) {
    throw new JobFailure(
      'RESULT_LIST_CHANGED',
      `The result file ${file.name} is no longer listed for this job`,
    );
  }
  const download = await anonymousClient(job, 10 * 60_000).downloadResult({
    hash: remote.hash,
    name: remote.name,
  });
  const key = resultKey(job.owner, job.jobId, remote.name);
  const counter = new DigestingCounter();
  const body = Readable.fromWeb(download.body as import('node:stream/web').ReadableStream<Uint8Array>).pipe(
    counter,
  );
  await new Upload({
    client: s3Client(),
    params: {
      Bucket: resultsEnv().RESULTS_BUCKET,
      Key: key,
      Body: body,
      ContentType: download.contentType ?? 'application/octet-stream',
    },
    partSize: COPY_PART_SIZE,
    queueSize: COPY_QUEUE_SIZE,
    leavePartsOnError: false,
  }).done();
  if (download.contentLength !== null && counter.bytes !== download.contentLength) {
    throw new TransientError(
      `Copied ${counter.bytes} of ${download.contentLength} bytes of ${remote.name}; the download was cut short`,
    );
  }
  return { name: remote.name, key, size: counter.bytes, sha256: counter.hash.digest('hex') };
}
