/**
 * DELETE /uploads/{uploadId} abandons a pending upload: S3 keeps none of it (the parts of a multipart
 * upload, or an object already PUT), and the record is ABORTED — left out of the list, refused by every
 * parts route, never READY (which POST /jobs wants); a READY upload stays. Through the handlers, against
 * the local S3.
 */
import { ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '#infra/local/emulators/dynamodb';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { putPart, uploadsApi } from '#test/support/multipart-client';
import { useSettings } from '#test/support/settings';

const MIB = 1024 ** 2;
const carol = uploadsApi({ sub: 'sub-carol', username: 'carol', groups: [] });
const dave = uploadsApi({ sub: 'sub-dave', username: 'dave', groups: [] });
const file = Buffer.alloc(7 * MIB, 5);

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let s3: S3Emulator;
let client: S3Client;

beforeAll(async () => {
  aws = await startAwsEmulators();
  s3 = await startS3Emulator({ buckets: ['inputs-test'] });
  useSettings({
    ...emulatorSdkSettings({ s3: s3.url }),
    INPUTS_BUCKET: 'inputs-test',
    UPLOAD_MULTIPART_THRESHOLD_BYTES: 6 * MIB,
    UPLOAD_PART_SIZE_BYTES: 5 * MIB,
  });
  client = new S3Client({
    endpoint: s3.url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: localCredentials,
  });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
  await aws.close();
});

const objectUrl = (signedUrl: string) => signedUrl.split('?')[0]!;

describe('DELETE /uploads/{uploadId}', () => {
  it('discards the parts of a pending multipart upload; its URLs and parts routes stop working', async () => {
    const uploadId = (await carol.announce({ fileName: 'abandoned.vcf.gz', size: file.length })).body.upload
      .uploadId;
    const [first, second] = (await carol.sign(uploadId, { partNumbers: [1, 2] })).body.parts;
    expect((await putPart(first, file, { offset: 0, length: 5 * MIB })).status).toBe(200);

    const deleted = await carol.abandon(uploadId);
    expect(deleted.status).toBe(204);
    expect(deleted.raw).toBe('');
    const url = new URL(first.url);
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    const listed = client.send(
      new ListPartsCommand({ Bucket: 'inputs-test', Key: key, UploadId: url.searchParams.get('uploadId')! }),
    );
    await expect(listed).rejects.toMatchObject({ name: 'NoSuchUpload' });
    expect((await putPart(second, file, { offset: 5 * MIB, length: 2 * MIB })).status).toBe(404);

    expect((await carol.get(uploadId)).body).toMatchObject({ status: 'ABORTED' });
    for (const refused of [
      await carol.sign(uploadId, { partNumbers: [2] }),
      await carol.parts(uploadId),
      await carol.complete(uploadId, { parts: [{ partNumber: 1, etag: 'x' }] }),
    ]) {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('UPLOAD_ABORTED');
    }
    // Again: nothing left to do, same answer.
    expect((await carol.abandon(uploadId)).status).toBe(204);
  });

  it('deletes the object of a pending single PUT, so it never becomes READY', async () => {
    const small = Buffer.alloc(1000, 1);
    const created = (await carol.announce({ fileName: 'put.vcf.gz', size: small.length })).body;
    const put = await fetch(created.uploadUrl, { method: 'PUT', body: small, headers: created.headers });
    expect(put.status).toBe(200);
    expect((await carol.abandon(created.upload.uploadId)).status).toBe(204);
    expect((await fetch(objectUrl(created.uploadUrl), { method: 'HEAD' })).status).toBe(404);
    expect((await carol.get(created.upload.uploadId)).body.status).toBe('ABORTED');
  });

  it('leaves abandoned uploads out of the list, page by page', async () => {
    const ids: string[] = [];
    for (const name of ['keep1', 'gone1', 'gone2', 'keep2', 'gone3']) {
      ids.push((await carol.announce({ fileName: `${name}.vcf.gz`, size: 10 })).body.upload.uploadId);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const index of [1, 2, 4]) expect((await carol.abandon(ids[index]!)).status).toBe(204);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: '1', ...(cursor ? { cursor } : {}) };
      const page = (await carol.list(query)).body;
      expect(page.uploads.length).toBeLessThanOrEqual(1);
      names.push(...page.uploads.map((u: { fileName: string }) => u.fileName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names.filter((n) => /^(keep|gone)/.test(n))).toEqual(['keep2.vcf.gz', 'keep1.vcf.gz']);
  });

  it('is refused for a READY upload (jobs may use it) and for another user', async () => {
    const small = Buffer.alloc(500, 2);
    const created = (await carol.announce({ fileName: 'ready.vcf.gz', size: small.length })).body;
    await fetch(created.uploadUrl, { method: 'PUT', body: small, headers: created.headers });
    const { uploadId } = created.upload;
    expect((await carol.get(uploadId)).body.status).toBe('READY');
    expect((await dave.abandon(uploadId)).body.error.code).toBe('UPLOAD_NOT_FOUND');
    const refused = await carol.abandon(uploadId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('UPLOAD_COMPLETED');
    expect((await fetch(objectUrl(created.uploadUrl), { method: 'HEAD' })).status).toBe(200);
  });
});
