/**
 * The resumed result copy over the wire: the local S3 (s3rver with S3's multipart operations, parts
 * listed two to a page) and the Cloudgene simulator serving through a presigned redirect, as TOPMed
 * does. S3 fails part 2 past the SDK's retries on the first attempt (a middleware on the copy's own
 * client: s3rver never fails a part); the retried task lists the stored parts, asks the presigned URL for
 * the rest and completes the same upload. One download in all, and the object is the file, byte for byte.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as copyResult } from '#functions/workflow/copy-result';
import { localCredentials } from '#infra/local/emulators/dynamodb';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { s3StreamingClient } from '#shared/aws/clients';
import { JobStatus } from '#shared/jobs/job-status';
import { resultKey } from '#shared/jobs/result-store';
import { copyStateKey } from '#shared/workflow/copy-multipart';
import { useSettings } from '#test/support/settings';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, submitRaw } from '../cloudgene/simulator-support';
import { catalogAt, JOB_ID, jobItem, OWNER, s3InternalError } from './support';

const MiB = 1024 * 1024;
const FILE_SIZE = 20 * MiB + 5;
const NAME = 'chr_20.zip';
const BUCKET = 'results-test';
const startSimulator = simulatorsOfThisFile();
let s3: S3Emulator;
let reader: S3Client;
let dynamo: AwsClientStub<DynamoDBDocumentClient>;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET], partsPageSize: 2 });
  reader = new S3Client({
    endpoint: s3.url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: localCredentials,
  });
  dynamo = mockClient(DynamoDBDocumentClient);
});
afterEach(() => {
  vi.unstubAllGlobals();
});
afterAll(async () => {
  dynamo.restore();
  reader.destroy();
  await s3.close();
});

const copy = () =>
  copyResult({ jobId: JOB_ID, owner: OWNER, file: { name: NAME, index: 0 } }).catch(
    (caught: Error) => caught,
  );

describe('a copy resumed against the local S3', () => {
  it('keeps part 1 through a failed attempt and completes the same upload with one download', async () => {
    const sim = await startSimulator({ resultFiles: [{ name: NAME, size: FILE_SIZE, redirect: true }] });
    const token = sim.addUser({ username: 'ann' });
    const submitted = await submitRaw(sim, token, makeVcfGz({ samples: 5, records: 10 }));
    const { id } = (await submitted.json()) as { id: string };
    sim.setJobState(id, 4);
    const file = sim.job(id).results[0]!;
    process.env.SERVICE_CATALOG = catalogAt(sim.url);
    useSettings({
      ...emulatorSdkSettings({ s3: s3.url }),
      TABLE_NAME: 'gateway-test',
      RESULTS_BUCKET: BUCKET,
    });
    dynamo.on(GetCommand).resolves({
      Item: jobItem({
        status: JobStatus.COPYING_RESULTS,
        remoteFiles: [{ name: NAME, hash: file.hash, size: '20 MB' }],
        copyOutcomes: {},
      }),
    });
    dynamo.on(UpdateCommand).resolves({});
    // What our side asked of the service and got: `GET /presigned/… bytes=… → 206`.
    const asked: string[] = [];
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
      const response = await realFetch(input, init);
      const path = new URL(String(input)).pathname.split('/')[1];
      const range = (init?.headers as Record<string, string> | undefined)?.Range ?? 'whole';
      if (path === 'share' || path === 'presigned') asked.push(`${path} ${range} → ${response.status}`);
      return response;
    });
    let failing = true;
    s3StreamingClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number };
        if (failing && context.commandName === 'UploadPartCommand' && input.PartNumber === 2) {
          throw s3InternalError();
        }
        return next(args);
      },
      { step: 'initialize', name: 'failPart2' },
    );

    expect(await copy()).toMatchObject({ name: 'TransientError' });
    const stateObject = await reader.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: copyStateKey(OWNER, JOB_ID, 0) }),
    );
    const state = JSON.parse(await stateObject.Body!.transformToString()) as { uploadId: string };
    const key = resultKey(OWNER, JOB_ID, NAME);
    const listed = await reader.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: state.uploadId }),
    );
    expect(listed.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual([[1, 8 * MiB]]);

    failing = false;
    const expected = sim.expectedResult(id, NAME);
    expect(await copy()).toMatchObject({ status: 'COPIED', bytes: FILE_SIZE });
    const object = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(expected.sha256);
    expect(object.Metadata).toEqual({ 'source-length': String(FILE_SIZE) });
    const recorded = dynamo
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input.ExpressionAttributeValues?.[':outcome'])
      .filter(Boolean);
    expect(recorded).toEqual([expect.objectContaining({ status: 'COPIED', sha256: expected.sha256 })]);
    expect(file.downloads).toBe(1);
    expect(sim.requests.filter((r) => r.path.startsWith('/presigned/')).map((r) => r.status)).toEqual([
      200, 206,
    ]);
    await expect(
      reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: copyStateKey(OWNER, JOB_ID, 0) })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
