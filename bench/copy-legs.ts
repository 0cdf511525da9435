/**
 * What the copy task is compared with, bundled as deployed like the task itself: each leg alone and the
 * best a copy can do — a plain download piped straight into the same multipart upload (the same S3
 * client as the copy task, `s3StreamingClient`, with the same part size and queue).
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { Upload } from '@aws-sdk/lib-storage';
import { resultStream } from '#infra/local/simulator/result-bytes';
import { s3StreamingClient } from '#shared/aws/clients';
import { COPY_QUEUE_SIZE, copyPartSize } from '#shared/workflow/copy-result';

interface Target {
  bucket: string;
  key: string;
}

async function fetchBody(url: string): Promise<{ body: ReadableStream<Uint8Array>; length: number | null }> {
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok || !response.body) throw new Error(`download ${url}: ${response.status}`);
  const length = response.headers.get('content-length');
  return {
    body: response.body as ReadableStream<Uint8Array>,
    length: length === null ? null : Number(length),
  };
}

function multipartUpload(target: Target, body: Readable, size: number | null) {
  return new Upload({
    client: s3StreamingClient(),
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: 'application/zip' },
    partSize: copyPartSize(size),
    queueSize: COPY_QUEUE_SIZE,
    leavePartsOnError: false,
  }).done();
}

/** Download alone: the share URL (following redirects) read to the end and thrown away. */
export async function download(input: { url: string }): Promise<number> {
  let bytes = 0;
  for await (const chunk of (await fetchBody(input.url)).body) bytes += chunk.length;
  return bytes;
}

/** Upload alone: the same bytes, generated here from the simulator's seed, into the same upload. */
export async function upload(input: Target & { seed: string; size: number }): Promise<number> {
  await multipartUpload(input, resultStream(input.seed, input.size), input.size);
  return input.size;
}

/**
 * The plain pipe: the download's body straight into the upload, nothing in between (not even a byte
 * counter: the bench checks the size at the sink).
 */
export async function pipe(input: Target & { url: string }): Promise<void> {
  const { body, length } = await fetchBody(input.url);
  await multipartUpload(input, Readable.fromWeb(body), length);
}
