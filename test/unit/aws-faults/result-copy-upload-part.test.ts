/**
 * A 500 on UploadPart while a result file streams into our bucket (s3rver never fails a part). No object
 * appears, complete or partial; the multipart upload is not aborted: its parts stay, with a resume record
 * naming the upload, for the retry (result-copy-resume.test.ts); the task throws an error the Map's Retry
 * rule retries, and the job records no outcome for the file. Parts already under way finish before the
 * task ends, so the retry finds them listed.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as copyResultHandler } from '#functions/workflow/copy-result';
import { JobStatus } from '#shared/jobs/job-status';
import { resultKey } from '#shared/jobs/result-store';
import { resetRuntime } from '#shared/runtime';
import { copyStateKey } from '#shared/workflow/copy-multipart';
import { FakeResultsBucket } from './fake-results-bucket';
import { catalogAt, JOB_ID, jobItem, OWNER, retriedErrors, s3InternalError } from './support';

const MiB = 1024 * 1024;
/** Three parts of the copy's 8 MiB. */
const FILE_SIZE = 20 * MiB;
const FILE = { name: 'chr_20.zip', hash: 'h-chr20' };

let server: Server;
let served = 0;
let bucket: FakeResultsBucket;
let dynamo: AwsClientStub<DynamoDBDocumentClient>;
let copyResult: typeof import('#functions/workflow/copy-result').handler;

beforeAll(async () => {
  // The service's share URL: the file's bytes with their length, as Cloudgene serves them.
  server = createServer((request, response) => {
    if (request.url !== `/share/results/${FILE.hash}/${FILE.name}`) return response.writeHead(404).end();
    served++;
    response.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': FILE_SIZE });
    response.end(Buffer.alloc(FILE_SIZE, 7));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'gateway-test',
    RESULTS_BUCKET: 'results-test',
    SERVICE_CATALOG: catalogAt(`http://127.0.0.1:${port}`),
  });
  resetRuntime();
  copyResult = copyResultHandler;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  served = 0;
  dynamo = mockClient(DynamoDBDocumentClient);
  dynamo.on(GetCommand).resolves({
    Item: jobItem({
      status: JobStatus.COPYING_RESULTS,
      remoteFiles: [{ name: FILE.name, hash: FILE.hash, size: '20 MB' }],
      copyOutcomes: {},
    }),
  });
  dynamo.on(UpdateCommand).resolves({});
  bucket = new FakeResultsBucket();
  bucket.onUploadPart = ({ PartNumber }) => {
    if (PartNumber === 2) throw s3InternalError();
  };
});
afterEach(() => {
  bucket.restore();
  dynamo.restore();
});

const copy = () =>
  copyResult({ jobId: JOB_ID, owner: OWNER, file: { name: FILE.name, index: 0 } }).catch(
    (caught: Error) => caught,
  );

/** The job's writes: what the copy recorded about the file, apart from the task's failure record. */
const outcomeWrites = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.UpdateExpression !== 'SET lastFailure = :failure');

describe('a 500 on UploadPart during the result copy', () => {
  it('keeps the multipart upload and its parts, records nothing and throws an error the Map retries', async () => {
    const failure = await copy();
    expect(served).toBe(1);
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(retriedErrors('CopyResultFile')).toContain((failure as Error).name);
    // Not one object: no completion of the parts, no abort either; the upload waits with part 1.
    expect(bucket.calls(CompleteMultipartUploadCommand)).toBe(0);
    expect(bucket.calls(AbortMultipartUploadCommand)).toBe(0);
    expect(bucket.objects.has(resultKey(OWNER, JOB_ID, FILE.name))).toBe(false);
    expect(bucket.partsInProgress()).toEqual([1]);
    const [uploadId] = [...bucket.uploads.keys()];
    const record = JSON.parse(bucket.objects.get(copyStateKey(OWNER, JOB_ID, 0))!.body.toString());
    expect(record).toMatchObject({ uploadId, partSize: 8 * MiB, total: FILE_SIZE, presigned: null });
    // No outcome for the file (neither COPIED nor FAILED).
    expect(outcomeWrites()).toEqual([]);
    const failureRecord = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues;
    expect(failureRecord?.[':failure']).toMatchObject({
      type: 'TransientError',
      message: 'AWS InternalError (HTTP 500) after 3 attempts',
    });
  });

  it('lets the parts under way finish before the task ends, so the retry finds them', async () => {
    let releasePart1 = () => {};
    const part1 = new Promise<void>((resolve) => {
      releasePart1 = resolve;
    });
    bucket.onUploadPart = async ({ PartNumber }) => {
      if (PartNumber === 1) await part1;
      if (PartNumber === 2) {
        setTimeout(releasePart1, 50);
        throw s3InternalError();
      }
    };
    const failure = await copy();
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(bucket.partsInProgress()).toEqual([1]);
  });

  it('records the copy once the parts go through (the same setup, no fault)', async () => {
    bucket.onUploadPart = () => undefined;
    const summary = await copy();
    expect(summary).toMatchObject({ status: 'COPIED', bytes: FILE_SIZE });
    expect(bucket.calls(UploadPartCommand)).toBe(3);
    expect(bucket.calls(AbortMultipartUploadCommand)).toBe(0);
    expect(bucket.objects.get(resultKey(OWNER, JOB_ID, FILE.name))?.body.length).toBe(FILE_SIZE);
    // The resume record is gone with the upload it named.
    expect([...bucket.objects.keys()]).toEqual([resultKey(OWNER, JOB_ID, FILE.name)]);
    const [recorded] = outcomeWrites();
    expect(recorded?.ExpressionAttributeValues?.[':outcome']).toMatchObject({
      status: 'COPIED',
      size: FILE_SIZE,
    });
  });
});
