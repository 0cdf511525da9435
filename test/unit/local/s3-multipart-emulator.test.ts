/**
 * The local S3 does multipart uploads as real S3 does, so what works locally works against AWS: parts
 * listed in pages with quoted ETags, uploads aborted, NoSuchUpload once an upload is completed or
 * aborted, S3's refusals of a completion, SHA-256 part checksums checked when the upload asked for them,
 * and part PUTs from a browser origin (CORS preflight with the signed headers, ETag exposed).
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '#infra/local/emulators/dynamodb';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';

const BUCKET = 'multipart-test';
const ORIGIN = 'https://console.example.org';
const MIB = 1024 ** 2;
let s3: S3Emulator;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET], corsOrigins: [ORIGIN], partsPageSize: 2 });
  client = new S3Client({
    endpoint: s3.url,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: localCredentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
const bytes = (length: number, fill: number) => Buffer.alloc(length, fill);

async function create(key: string, checksums = false) {
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      ...(checksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
    }),
  );
  return created.UploadId!;
}

/** A part PUT through a presigned URL, as a client of the gateway sends it. */
async function putPart(
  key: string,
  uploadId: string,
  partNumber: number,
  body: Buffer,
  options: { checksum?: string; origin?: string } = {},
) {
  const url = await getSignedUrl(
    client,
    new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber }),
    { expiresIn: 600 },
  );
  return fetch(url, {
    method: 'PUT',
    body,
    headers: {
      ...(options.checksum ? { 'x-amz-checksum-sha256': options.checksum } : {}),
      ...(options.origin ? { Origin: options.origin } : {}),
    },
  });
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { name: string; $metadata: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata.httpStatusCode,
    }),
  );

describe('the local S3 multipart upload', () => {
  it('lists stored parts in pages, in part order, with quoted ETags and sizes', async () => {
    const key = 'inputs/u/listed.vcf.gz';
    const uploadId = await create(key);
    const bodies = [bytes(3000, 1), bytes(2000, 2), bytes(1000, 3)];
    for (const partNumber of [3, 1, 2]) {
      expect((await putPart(key, uploadId, partNumber, bodies[partNumber - 1]!)).status).toBe(200);
    }
    const first = await client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(first).toMatchObject({ IsTruncated: true, NextPartNumberMarker: '2', MaxParts: 2 });
    expect(first.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual([
      [1, 3000],
      [2, 2000],
    ]);
    const md5 = createHash('md5').update(bodies[0]!).digest('hex');
    expect(first.Parts?.[0]?.ETag).toBe(`"${md5}"`);
    const second = await client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumberMarker: '2' }),
    );
    expect(second.IsTruncated).toBe(false);
    expect(second.Parts?.map((part) => part.PartNumber)).toEqual([3]);
  });

  it('aborts an upload: its parts are gone and every later call answers NoSuchUpload', async () => {
    const key = 'inputs/u/aborted.vcf.gz';
    const uploadId = await create(key);
    await putPart(key, uploadId, 1, bytes(100, 1));
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    const noSuchUpload = { name: 'NoSuchUpload', status: 404 };
    expect(
      await errorOf(client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))),
    ).toEqual(noSuchUpload);
    expect((await putPart(key, uploadId, 2, bytes(100, 2))).status).toBe(404);
    expect(
      await errorOf(
        client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })),
      ),
    ).toEqual(noSuchUpload);
    // The id is bound to its key, as in S3.
    const other = await create('inputs/u/other.vcf.gz');
    expect(
      await errorOf(client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: other }))),
    ).toEqual(noSuchUpload);
  });

  it("refuses completions S3 refuses, and answers NoSuchUpload to a completed upload's retry", async () => {
    const key = 'inputs/u/completed.vcf.gz';
    const uploadId = await create(key);
    const etags: string[] = [];
    for (const [partNumber, body] of [bytes(5 * MIB, 1), bytes(10, 2)].entries()) {
      etags.push((await putPart(key, uploadId, partNumber + 1, body)).headers.get('etag')!);
    }
    const complete = (parts: { PartNumber: number; ETag: string }[]) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    const [one, two] = etags as [string, string];
    expect(await errorOf(complete([{ PartNumber: 1, ETag: '"0123"' }]))).toEqual({
      name: 'InvalidPart',
      status: 400,
    });
    expect(
      await errorOf(
        complete([
          { PartNumber: 2, ETag: two },
          { PartNumber: 1, ETag: one },
        ]),
      ),
    ).toEqual({ name: 'InvalidPartOrder', status: 400 });
    const small = await create('inputs/u/small.vcf.gz');
    const tiny = await putPart('inputs/u/small.vcf.gz', small, 1, bytes(10, 3));
    const rest = await putPart('inputs/u/small.vcf.gz', small, 2, bytes(10, 4));
    expect(
      await errorOf(
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: 'inputs/u/small.vcf.gz',
            UploadId: small,
            MultipartUpload: {
              Parts: [
                { PartNumber: 1, ETag: tiny.headers.get('etag')! },
                { PartNumber: 2, ETag: rest.headers.get('etag')! },
              ],
            },
          }),
        ),
      ),
    ).toEqual({ name: 'EntityTooSmall', status: 400 });

    // Quoted or not, as S3 takes them.
    const done = await complete([
      { PartNumber: 1, ETag: one },
      { PartNumber: 2, ETag: two.replaceAll('"', '') },
    ]);
    expect(done.Key).toBe(key);
    const object = await fetch(`${s3.url}/${BUCKET}/${key}`);
    expect((await object.arrayBuffer()).byteLength).toBe(5 * MIB + 10);
    expect(await errorOf(complete([{ PartNumber: 1, ETag: one }]))).toEqual({
      name: 'NoSuchUpload',
      status: 404,
    });
  });

  it('checks SHA-256 part checksums in an upload created for them, and refuses them in one created without', async () => {
    const key = 'inputs/u/checked.vcf.gz';
    const uploadId = await create(key, true);
    const part = bytes(2048, 7);
    expect((await putPart(key, uploadId, 1, part)).status).toBe(400);
    expect((await putPart(key, uploadId, 1, part, { checksum: sha256(part) })).status).toBe(200);
    const wrong = await putPart(key, uploadId, 1, bytes(2048, 8), { checksum: sha256(part) });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('<Code>BadDigest</Code>');
    const listed = await client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    // The refused PUT left the stored part as it was.
    expect(listed.Parts?.[0]).toMatchObject({ PartNumber: 1, Size: 2048, ChecksumSHA256: sha256(part) });
    const etag = listed.Parts![0]!.ETag!;
    const complete = (parts: { PartNumber: number; ETag: string; ChecksumSHA256?: string }[]) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    expect(await errorOf(complete([{ PartNumber: 1, ETag: etag }]))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    await complete([{ PartNumber: 1, ETag: etag, ChecksumSHA256: sha256(part) }]);

    const plain = await create('inputs/u/plain.vcf.gz');
    const refused = await putPart('inputs/u/plain.vcf.gz', plain, 1, part, { checksum: sha256(part) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Checksum Type mismatch');
  });

  it("takes a browser's part PUT: preflight with the signed headers, then the ETag exposed to the page", async () => {
    const key = 'inputs/u/browser.vcf.gz';
    const uploadId = await create(key, true);
    const url = await getSignedUrl(
      client,
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1 }),
      { expiresIn: 600 },
    );
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-length,x-amz-checksum-sha256',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'content-length, x-amz-checksum-sha256',
    );
    const refused = await fetch(url, {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example.org', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(refused.status).toBe(403);

    const part = bytes(4096, 9);
    const put = await putPart(key, uploadId, 1, part, { checksum: sha256(part), origin: ORIGIN });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBeTruthy();
    const exposed = (put.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim());
    expect(exposed.map((h) => h.toLowerCase())).toContain('etag');
    expect(put.headers.get('etag')).toBe(`"${createHash('md5').update(part).digest('hex')}"`);
  });
});
