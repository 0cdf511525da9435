/**
 * One download per file: S3 failing under the result copy (UploadPart 500s or SlowDown past the SDK's
 * retries, a completion that fails) after the file was read, then the task retried as the Map's Retry
 * rule does. Downloads are counted at the Cloudgene simulator, bytes where our side reads them.
 *
 * The multipart upload and its parts stay; the retry asks for the missing bytes only. Where the file is
 * served through a presigned S3 URL (TOPMed), the retry asks that URL again with a range: no download
 * spent, only the missing bytes read. Where the presigned URL has expired, the share URL is asked with
 * a range: one more download, still only the missing bytes. Where the service serves the file itself
 * (Cloudgene 3's share route ignores ranges), the retry spends a download and reads the whole file
 * again — what the README says. Every copy ends with the file's exact bytes and SHA-256.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as copyResult } from '#functions/workflow/copy-result';
import type { SimulatedResultFile } from '#infra/local/simulator/cloudgene-simulator';
import { JobStatus } from '#shared/jobs/job-status';
import { resultKey } from '#shared/jobs/result-store';
import { resetRuntime } from '#shared/runtime';
import { copyStateKey } from '#shared/workflow/copy-multipart';
import { downloadFetch } from '#shared/workflow/copy-source';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, submitRaw } from '../cloudgene/simulator-support';
import { FakeResultsBucket, s3SlowDown } from './fake-results-bucket';
import { catalogAt, JOB_ID, jobItem, OWNER, retriedErrors, s3InternalError } from './support';

const MiB = 1024 * 1024;
/** Three parts of the copy's 8 MiB, the last one short. */
const FILE_SIZE = 20 * MiB + 123;
const NAME = 'chr_20.zip';
const KEY = resultKey(OWNER, JOB_ID, NAME);
const STATE_KEY = copyStateKey(OWNER, JOB_ID, 0);

const startSimulator = simulatorsOfThisFile();
let bucket: FakeResultsBucket;
let dynamo: AwsClientStub<DynamoDBDocumentClient>;
/** Bytes read from the service's URLs, by route. */
let read: { share: number; presigned: number };
/** The service's answers as our side got them: `share 200`, or `share→presigned 206` after a redirect. */
let answers: string[];

/** A finished job at a fresh simulator listing one seeded file of FILE_SIZE, served as `redirect` says. */
async function serviceWith(redirect: boolean, maxDownloadsPerFile = 10) {
  const sim = await startSimulator({
    resultFiles: [{ name: NAME, size: FILE_SIZE, redirect }],
    maxDownloadsPerFile,
  });
  const token = sim.addUser({ username: 'ann' });
  const { id } = (await (await submitRaw(sim, token, makeVcfGz({ samples: 5, records: 10 }))).json()) as {
    id: string;
  };
  sim.setJobState(id, 4);
  const file = sim.job(id).results[0]!;
  process.env.SERVICE_CATALOG = catalogAt(sim.url);
  resetRuntime();
  dynamo.on(GetCommand).resolves({
    Item: jobItem({
      status: JobStatus.COPYING_RESULTS,
      remoteFiles: [{ name: NAME, hash: file.hash, size: '20 MB' }],
      copyOutcomes: {},
    }),
  });
  return { sim, file, expected: sim.expectedResult(id, NAME) };
}

/**
 * Counts the bytes of every download body our side reads, by the route it came from (each request of a
 * download, its redirect hops included, goes through `downloadFetch`).
 */
function countDownloadBytes() {
  let redirectedFrom: 'share' | 'presigned' | undefined;
  downloadFetch.wrap = (realFetch) => async (input: string | URL | Request, init?: RequestInit) => {
    const response = await realFetch(input, init);
    const askedPath = new URL(input instanceof Request ? input.url : String(input)).pathname;
    if (!/^\/(share|presigned)\//.test(askedPath)) return response;
    const route = askedPath.startsWith('/presigned/') ? 'presigned' : 'share';
    if (response.status >= 300 && response.status < 400) {
      redirectedFrom = route;
      return response;
    }
    const asked = redirectedFrom ?? route;
    redirectedFrom = undefined;
    answers.push(`${asked === route ? route : `${asked}→${route}`} ${response.status}`);
    // A refusal's text is no download body.
    if (!response.ok) return response;
    let counted: ReadableStream<Uint8Array> | undefined;
    return new Proxy(response, {
      get(target, property) {
        if (property === 'body' && target.body) {
          counted ??= target.body.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, controller) {
                read[route] += chunk.byteLength;
                controller.enqueue(chunk);
              },
            }),
          );
          return counted;
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

beforeEach(() => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'gateway-test',
    RESULTS_BUCKET: 'results-test',
  });
  read = { share: 0, presigned: 0 };
  answers = [];
  countDownloadBytes();
  bucket = new FakeResultsBucket();
  dynamo = mockClient(DynamoDBDocumentClient);
  dynamo.on(UpdateCommand).resolves({});
});
afterEach(() => {
  downloadFetch.wrap = (fetchImpl) => fetchImpl;
  vi.unstubAllGlobals();
  bucket.restore();
  dynamo.restore();
});

const copy = () =>
  copyResult({ jobId: JOB_ID, owner: OWNER, file: { name: NAME, index: 0 } }).catch(
    (caught: Error) => caught,
  );

/** What the copy recorded about the file (apart from the task's failure record). */
const outcomes = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.UpdateExpression !== 'SET lastFailure = :failure')
    .map((input) => input.ExpressionAttributeValues?.[':outcome']);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The first attempt: part 2 fails past the SDK's retries; the task throws what the Map retries. */
async function firstAttemptFails(fault: () => Error = s3InternalError) {
  bucket.onUploadPart = ({ PartNumber }) => {
    if (PartNumber === 2) throw fault();
  };
  const failure = await copy();
  expect(failure).toMatchObject({ name: 'TransientError' });
  expect(retriedErrors('CopyResultFile')).toContain((failure as Error).name);
  bucket.onUploadPart = () => undefined;
  // Nothing aborted, nothing completed, nothing recorded: the parts and the resume record wait.
  expect(bucket.calls(AbortMultipartUploadCommand)).toBe(0);
  expect(bucket.calls(CompleteMultipartUploadCommand)).toBe(0);
  expect(bucket.objects.has(KEY)).toBe(false);
  expect(bucket.objects.has(STATE_KEY)).toBe(true);
  expect(outcomes()).toEqual([]);
  const stored = bucket.partsInProgress();
  expect(stored).toEqual([1]);
  bucket.stub.resetHistory();
  const firstRead = { ...read };
  const firstAnswers = answers;
  read = { share: 0, presigned: 0 };
  answers = [];
  return { stored, firstRead, firstAnswers };
}

/** The retried attempt copies the file: exact bytes, the right digest recorded, the record gone. */
async function retrySucceeds(expected: { size: number; sha256: string }) {
  const summary = await copy();
  expect(summary).toMatchObject({ status: 'COPIED', bytes: FILE_SIZE });
  const object = bucket.objects.get(KEY)!;
  expect(object.body.length).toBe(expected.size);
  expect(sha256(object.body)).toBe(expected.sha256);
  expect(object.metadata).toEqual({ 'source-length': String(FILE_SIZE) });
  expect(outcomes()).toEqual([
    expect.objectContaining({ status: 'COPIED', size: FILE_SIZE, sha256: expected.sha256 }),
  ]);
  expect(bucket.objects.has(STATE_KEY)).toBe(false);
  expect(bucket.uploads.size).toBe(0);
}

const downloadsOf = (file: SimulatedResultFile) => file.downloads;

describe('a copy that S3 failed after the file was read, retried', () => {
  it.each([
    ['500 InternalError', s3InternalError],
    ['503 SlowDown', s3SlowDown],
  ])(
    'through a presigned URL (TOPMed), after UploadPart %s: one download, only the missing bytes read again',
    async (_, fault) => {
      const { file, expected } = await serviceWith(true);
      const { firstRead, firstAnswers } = await firstAttemptFails(fault);
      expect(firstAnswers).toEqual(['share→presigned 200']);
      expect(downloadsOf(file)).toBe(1);
      expect(firstRead.presigned).toBeGreaterThan(8 * MiB);

      await retrySucceeds(expected);
      // The retry asked the presigned URL again for bytes 8 MiB… only: no download spent.
      expect(downloadsOf(file)).toBe(1);
      expect(read).toEqual({ share: 0, presigned: FILE_SIZE - 8 * MiB });
      expect(answers).toEqual(['presigned 206']);
      // Part 1 was not sent again.
      const sent = bucket.stub.commandCalls(UploadPartCommand).map((call) => call.args[0].input.PartNumber);
      expect(sent).toEqual([2, 3]);
    },
  );

  it('through an expired presigned URL: the share URL with a range, one more download, still only the missing bytes', async () => {
    const { file, expected } = await serviceWith(true);
    await firstAttemptFails();
    // The stored URL no longer works (S3 answers 403 once a presigned URL expired).
    const state = bucket.objects.get(STATE_KEY)!;
    const record = JSON.parse(state.body.toString()) as { presigned: { url: string } };
    record.presigned.url = record.presigned.url.replace(/X-Amz-Signature=\w+/, 'X-Amz-Signature=expired');
    state.body = Buffer.from(JSON.stringify(record));

    await retrySucceeds(expected);
    expect(downloadsOf(file)).toBe(2);
    expect(read).toEqual({ share: 0, presigned: FILE_SIZE - 8 * MiB });
    expect(answers).toEqual(['presigned 403', 'share→presigned 206']);
  });

  it('never stitches a changed file (another ETag) to the stored parts: gives them up, the next attempt copies afresh', async () => {
    const { file, expected } = await serviceWith(true);
    await firstAttemptFails();
    const state = bucket.objects.get(STATE_KEY)!;
    const record = JSON.parse(state.body.toString()) as { etag: string | null };
    expect(record.etag).toMatch(/^".+"$/);
    record.etag = '"an-earlier-version"';
    state.body = Buffer.from(JSON.stringify(record));

    expect(await copy()).toMatchObject({ name: 'TransientError' });
    expect(bucket.calls(AbortMultipartUploadCommand)).toBe(1);
    expect(bucket.uploads.size).toBe(0);
    expect(bucket.objects.has(STATE_KEY)).toBe(false);
    expect(answers).toEqual(['presigned 206']);
    answers = [];

    await retrySucceeds(expected);
    expect(answers).toEqual(['share→presigned 200']);
    expect(downloadsOf(file)).toBe(2);
  });

  it('served by the service itself (Range ignored, as Cloudgene 3 does): one more download, the whole file read again', async () => {
    const { file, expected } = await serviceWith(false);
    const { firstRead } = await firstAttemptFails();
    expect(downloadsOf(file)).toBe(1);
    expect(firstRead.share).toBeGreaterThan(8 * MiB);

    await retrySucceeds(expected);
    expect(downloadsOf(file)).toBe(2);
    expect(read).toEqual({ share: FILE_SIZE, presigned: 0 });
    expect(answers).toEqual(['share 200']);
    // The same upload, every part sent anew from the bytes read again (their digest is the one recorded).
    const sent = bucket.stub.commandCalls(UploadPartCommand).map((call) => call.args[0].input.PartNumber);
    expect(sent).toEqual([1, 2, 3]);
  });

  it('with every part stored but the completion failed: completes without any download', async () => {
    const { file, expected } = await serviceWith(false);
    bucket.onComplete = () => {
      throw s3InternalError();
    };
    expect(await copy()).toMatchObject({ name: 'TransientError' });
    expect(bucket.partsInProgress()).toEqual([1, 2, 3]);
    bucket.onComplete = () => undefined;
    read = { share: 0, presigned: 0 };
    answers = [];

    await retrySucceeds(expected);
    expect(downloadsOf(file)).toBe(1);
    expect(read).toEqual({ share: 0, presigned: 0 });
    expect(answers).toEqual([]);
  });

  it('when S3 refused the very first part: the presigned URL again for the whole file, no download spent', async () => {
    const { file, expected } = await serviceWith(true);
    bucket.onUploadPart = ({ PartNumber }) => {
      if (PartNumber === 1) throw s3SlowDown();
    };
    expect(await copy()).toMatchObject({ name: 'TransientError' });
    expect(bucket.partsInProgress()).toEqual([]);
    bucket.onUploadPart = () => undefined;
    read = { share: 0, presigned: 0 };
    answers = [];

    await retrySucceeds(expected);
    expect(downloadsOf(file)).toBe(1);
    expect(read).toEqual({ share: 0, presigned: FILE_SIZE });
    expect(answers).toEqual(['presigned 200']);
  });

  it('when the service cut the download short: the retry reads on from the stored parts', async () => {
    const { sim, file, expected } = await serviceWith(true);
    sim.failNext({ path: '/presigned/', status: 'truncate' });
    const failure = await copy();
    expect(failure).toMatchObject({ name: 'ServiceUnavailableError' });
    expect(retriedErrors('CopyResultFile')).toContain((failure as Error).name);
    expect(bucket.partsInProgress()).toEqual([1]);
    read = { share: 0, presigned: 0 };
    answers = [];

    await retrySucceeds(expected);
    expect(downloadsOf(file)).toBe(1);
    expect(read).toEqual({ share: 0, presigned: FILE_SIZE - 8 * MiB });
  });

  it('when the service then refuses the file (downloads exhausted): records it and gives the stored parts up', async () => {
    const { file } = await serviceWith(false, 1);
    await firstAttemptFails();
    const summary = await copy();
    expect(summary).toMatchObject({ status: 'UNAVAILABLE' });
    expect(outcomes()).toEqual([
      expect.objectContaining({ status: 'UNAVAILABLE', code: 'DOWNLOADS_EXHAUSTED' }),
    ]);
    expect(downloadsOf(file)).toBe(1);
    expect(bucket.calls(AbortMultipartUploadCommand)).toBe(1);
    expect(bucket.uploads.size).toBe(0);
    expect(bucket.objects.size).toBe(0);
  });

  it('a small file (one part) is one PUT, and nothing is left to resume', async () => {
    const sim = await startSimulator({ resultFiles: [{ name: NAME, size: 1000, redirect: false }] });
    const token = sim.addUser({ username: 'ann' });
    const { id } = (await (await submitRaw(sim, token, makeVcfGz({ samples: 5, records: 10 }))).json()) as {
      id: string;
    };
    sim.setJobState(id, 4);
    const file = sim.job(id).results[0]!;
    process.env.SERVICE_CATALOG = catalogAt(sim.url);
    resetRuntime();
    dynamo.on(GetCommand).resolves({
      Item: jobItem({
        status: JobStatus.COPYING_RESULTS,
        remoteFiles: [{ name: NAME, hash: file.hash, size: '1000 bytes' }],
        copyOutcomes: {},
      }),
    });
    expect(await copy()).toMatchObject({ status: 'COPIED', bytes: 1000 });
    expect(sha256(bucket.objects.get(KEY)!.body)).toBe(sim.expectedResult(id, NAME).sha256);
    expect([...bucket.objects.keys()]).toEqual([KEY]);
    expect(bucket.uploads.size).toBe(0);
  });
});
