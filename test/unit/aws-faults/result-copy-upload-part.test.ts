/**
 * A 500 on UploadPart while a result file streams into our bucket (s3rver never fails a part). The
 * multipart upload is aborted (no object appears, complete or partial), the task throws an error the
 * Map's Retry rule retries, and the job records no outcome for the file: a retry copies it afresh.
 * Also when the abort fails too: still retryable, still nothing recorded (the bucket's lifecycle rule
 * removes the parts left behind).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as copyResultHandler } from '#functions/workflow/copy-result';
import { JobStatus } from '#shared/jobs/job-status';
import { resetRuntime } from '#shared/runtime';
import { catalogAt, JOB_ID, jobItem, OWNER, retriedErrors, s3InternalError } from './support';

const MiB = 1024 * 1024;
/** Three parts of the copy's 8 MiB. */
const FILE_SIZE = 20 * MiB;
const FILE = { name: 'chr_20.zip', hash: 'h-chr20' };

let server: Server;
let served = 0;
let s3: AwsClientStub<S3Client>;
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
  s3 = mockClient(S3Client);
  s3.on(HeadObjectCommand).rejects(
    new S3ServiceException({
      name: 'NotFound',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
      message: '',
    }),
  );
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
  s3.on(UploadPartCommand).callsFake(async (input: { PartNumber?: number }) => {
    if (input.PartNumber === 2) throw s3InternalError();
    return { ETag: `"etag-${input.PartNumber}"` };
  });
  s3.on(CompleteMultipartUploadCommand).resolves({});
});
afterEach(() => {
  s3.restore();
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
  it('aborts the multipart upload, records nothing and throws an error the Map retries', async () => {
    s3.on(AbortMultipartUploadCommand).resolves({});
    const failure = await copy();
    expect(served).toBe(1);
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(retriedErrors('CopyResultFile')).toContain((failure as Error).name);
    // Not one object: no completion of the parts, no single PUT; the upload is aborted by its id.
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const aborts = s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input);
    expect(aborts).toEqual([expect.objectContaining({ Bucket: 'results-test', UploadId: 'upload-1' })]);
    // No outcome for the file (neither COPIED nor FAILED): the retry copies it afresh.
    expect(outcomeWrites()).toEqual([]);
    const failureRecord = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues;
    expect(failureRecord?.[':failure']).toMatchObject({
      type: 'TransientError',
      message: 'AWS InternalError (HTTP 500) after 3 attempts',
    });
  });

  it('stays retryable and records nothing when the abort fails as well', async () => {
    s3.on(AbortMultipartUploadCommand).rejects(s3InternalError());
    const failure = await copy();
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(outcomeWrites()).toEqual([]);
  });

  it('records the copy once the parts go through (the same setup, no fault)', async () => {
    s3.on(UploadPartCommand).callsFake(async (input: { PartNumber?: number }) => ({
      ETag: `"etag-${input.PartNumber}"`,
    }));
    const summary = await copy();
    expect(summary).toMatchObject({ status: 'COPIED', bytes: FILE_SIZE });
    expect(s3.commandCalls(UploadPartCommand)).toHaveLength(3);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
    const [recorded] = outcomeWrites();
    expect(recorded?.ExpressionAttributeValues?.[':outcome']).toMatchObject({
      status: 'COPIED',
      size: FILE_SIZE,
    });
  });
});
