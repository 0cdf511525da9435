/**
 * What real S3 does to a multipart upload that no emulator does on demand, fed through
 * aws-sdk-client-mock (the records stay in dynalite): part lists in several pages, S3's refusals to
 * assemble the parts, NoSuchUpload for an upload S3 completed (a retried completion whose answer was
 * lost) or discarded (the lifecycle rule), and S3 failing outright. Each ends in a 2xx or a 4xx in our
 * words — never S3's text, never a 500 for something the client can act on.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  NoSuchUpload,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { uploadsApi } from '#test/support/multipart-client';
import { useSettings } from '#test/support/settings';
import { s3InternalError } from './support';

const MIB = 1024 ** 2;
const SIZE = 12 * MIB + 123;
const S3_TEXT = 'Internal detail of S3 that no answer may quote';
const erin = uploadsApi({ sub: 'sub-erin', username: 'erin', groups: [] });
const stored = [
  { PartNumber: 1, Size: 5 * MIB, ETag: '"e1"' },
  { PartNumber: 2, Size: 5 * MIB, ETag: '"e2"' },
  { PartNumber: 3, Size: 2 * MIB + 123, ETag: '"e3"' },
];
const listed = [1, 2, 3].map((n) => ({ partNumber: n, etag: `"e${n}"` }));
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', message: S3_TEXT, $metadata: { httpStatusCode: status } });
const notFound = () => new NotFound({ message: S3_TEXT, $metadata: { httpStatusCode: 404 } });
const noSuchUpload = () => new NoSuchUpload({ message: S3_TEXT, $metadata: { httpStatusCode: 404 } });

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let s3: AwsClientStub<S3Client>;

beforeAll(async () => {
  aws = await startAwsEmulators();
  useSettings({
    INPUTS_BUCKET: 'inputs-test',
    UPLOAD_MULTIPART_THRESHOLD_BYTES: 6 * MIB,
    UPLOAD_PART_SIZE_BYTES: 5 * MIB,
  });
});
afterAll(() => aws.close());
beforeEach(() => {
  s3 = mockClient(S3Client);
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'mpu-1' });
  s3.on(ListPartsCommand).resolves({ Parts: stored, IsTruncated: false });
  // No object until a completion stores one.
  s3.on(HeadObjectCommand).rejects(notFound());
});
afterEach(() => s3.restore());

/** A multipart upload whose S3 upload exists (its parts were signed once). */
async function started() {
  const uploadId = (await erin.announce({ fileName: 'faults.vcf.gz', size: SIZE })).body.upload.uploadId;
  expect((await erin.sign(uploadId, { partNumbers: [1] })).status).toBe(200);
  return uploadId as string;
}

describe('the parts of a multipart upload at S3', () => {
  it('are read across every page, with bare ETags', async () => {
    s3.on(ListPartsCommand, { PartNumberMarker: undefined })
      .resolves({ Parts: stored.slice(0, 2), IsTruncated: true, NextPartNumberMarker: '2' })
      .on(ListPartsCommand, { PartNumberMarker: '2' })
      .resolves({ Parts: [{ ...stored[2]!, ChecksumSHA256: 'c3' }], IsTruncated: false });
    const uploadId = await started();
    const parts = await erin.parts(uploadId);
    expect(parts.body.parts).toEqual([
      { partNumber: 1, size: 5 * MIB, etag: 'e1', checksumSha256: null },
      { partNumber: 2, size: 5 * MIB, etag: 'e2', checksumSha256: null },
      { partNumber: 3, size: 2 * MIB + 123, etag: 'e3', checksumSha256: 'c3' },
    ]);
    const calls = s3.commandCalls(ListPartsCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      expect.objectContaining({ UploadId: 'mpu-1', PartNumberMarker: undefined }),
      expect.objectContaining({ UploadId: 'mpu-1', PartNumberMarker: '2' }),
    ]);
  });

  it('end in an internal error, not a loop, when a truncated page names no next marker', async () => {
    s3.on(ListPartsCommand).resolves({ Parts: stored.slice(0, 1), IsTruncated: true });
    const uploadId = await started();
    const answer = await erin.parts(uploadId);
    expect(answer.status).toBe(500);
    expect(s3.commandCalls(ListPartsCommand)).toHaveLength(1);
  });
});

describe('completing at S3', () => {
  it.each([
    ['InvalidPart', /ETag differs/],
    ['InvalidPartOrder', /ascending order/],
    ['EntityTooSmall', /at least 5 MiB/],
    ['BadDigest', /SHA-256 does not match/],
  ])(
    "answers S3's %s as 409 UPLOAD_PARTS_INVALID in our words, the upload still pending",
    async (name, words) => {
      s3.on(CompleteMultipartUploadCommand).rejects(s3Error(name, 400));
      const uploadId = await started();
      const answer = await erin.complete(uploadId, { parts: listed });
      expect(answer.status).toBe(409);
      expect(answer.body.error).toMatchObject({
        code: 'UPLOAD_PARTS_INVALID',
        message: expect.stringMatching(words),
      });
      expect(answer.body.error.details).toEqual([{ s3Error: name, reason: answer.body.error.message }]);
      expect(answer.raw).not.toContain(S3_TEXT);
      expect((await erin.get(uploadId)).body.status).toBe('PENDING');
    },
  );

  it('sends S3 the parts in order with the quoted ETags it listed', async () => {
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: SIZE });
    const uploadId = await started();
    const answer = await erin.complete(uploadId, { parts: [...listed].reverse() });
    expect(answer.body.upload.status).toBe('READY');
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload).toEqual({
      Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"e${n}"` })),
    });
  });

  it('answers READY when S3 completed an earlier attempt whose answer was lost (NoSuchUpload now)', async () => {
    s3.on(CompleteMultipartUploadCommand).rejects(noSuchUpload());
    s3.on(HeadObjectCommand).resolves({ ContentLength: SIZE });
    const uploadId = await started();
    const answer = await erin.complete(uploadId, { parts: listed });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ upload: { uploadId, status: 'READY' }, problem: null });
    // The retry of that retry: the parts are gone at S3 too, the upload is READY here.
    s3.on(ListPartsCommand).rejects(noSuchUpload());
    expect((await erin.complete(uploadId, { parts: listed })).body.upload.status).toBe('READY');
  });

  it('ends the upload ABORTED when S3 discarded its parts (lifecycle), with no object left', async () => {
    s3.on(ListPartsCommand).rejects(noSuchUpload());
    const uploadId = await started();
    const answer = await erin.complete(uploadId, { parts: listed });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('UPLOAD_ABORTED');
    expect(answer.body.error.message).toMatch(/announce the file again/);
    expect((await erin.get(uploadId)).body.status).toBe('ABORTED');
    expect((await erin.parts(uploadId)).body.error.code).toBe('UPLOAD_ABORTED');
  });

  it('answers 503 with Retry-After when S3 fails beyond the retries', async () => {
    s3.on(CompleteMultipartUploadCommand).rejects(s3InternalError());
    const uploadId = await started();
    const answer = await erin.complete(uploadId, { parts: listed });
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('5');
    expect((await erin.get(uploadId)).body.status).toBe('PENDING');
  });
});

describe('abandoning at S3', () => {
  it('is done when S3 no longer has the multipart upload, and deletes any object', async () => {
    s3.on(AbortMultipartUploadCommand).rejects(noSuchUpload());
    s3.on(DeleteObjectCommand).resolves({});
    const uploadId = await started();
    expect((await erin.abandon(uploadId)).status).toBe(204);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('mpu-1');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('discards the S3 upload a first parts request loses the race to record', async () => {
    s3.on(CreateMultipartUploadCommand).resolvesOnce({ UploadId: 'mpu-a' }).resolves({ UploadId: 'mpu-b' });
    const uploadId = (await erin.announce({ fileName: 'race.vcf.gz', size: SIZE })).body.upload.uploadId;
    const answers = await Promise.all([
      erin.sign(uploadId, { partNumbers: [1] }),
      erin.sign(uploadId, { partNumbers: [2] }),
    ]);
    const ids = answers.map((a) => new URL(a.body.parts[0].url).searchParams.get('uploadId'));
    expect(ids[0]).toBe(ids[1]);
    const aborted = s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input.UploadId);
    expect(aborted).toEqual([ids[0] === 'mpu-a' ? 'mpu-b' : 'mpu-a']);
  });
});
