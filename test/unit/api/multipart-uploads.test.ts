/**
 * Multipart uploads through the handlers against the local S3 and DynamoDB: a file above the threshold
 * is announced with its plan, its parts are signed (each URL bound to the part's length and checksum),
 * PUT with fetch, listed to resume, completed to READY; and everything a client can get wrong is
 * refused before S3 is asked to assemble anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '#infra/local/emulators/dynamodb';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { putPart, uploadsApi } from '#test/support/multipart-client';
import { presignedUrlAccepts } from '#test/support/presigned-url';
import { useSettings } from '#test/support/settings';

const MIB = 1024 ** 2;
const alice = uploadsApi({ sub: 'sub-alice', username: 'alice', groups: [] });
const bob = uploadsApi({ sub: 'sub-bob', username: 'bob', groups: [] });
/** Three parts of 5 MiB, 5 MiB and the rest. */
const file = randomBytes(12 * MIB + 123);
const ranges = [
  { offset: 0, length: 5 * MIB },
  { offset: 5 * MIB, length: 5 * MIB },
  { offset: 10 * MIB, length: 2 * MIB + 123 },
];
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
const partSum = (n: number) =>
  sha256(file.subarray(ranges[n - 1]!.offset, ranges[n - 1]!.offset + ranges[n - 1]!.length));

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let s3: S3Emulator;

beforeAll(async () => {
  aws = await startAwsEmulators();
  // Two parts per ListParts page: the API must read every page.
  s3 = await startS3Emulator({ buckets: ['inputs-test'], partsPageSize: 2 });
  useSettings({
    ...emulatorSdkSettings({ s3: s3.url }),
    INPUTS_BUCKET: 'inputs-test',
    MAX_UPLOAD_BYTES: 64 * MIB,
    UPLOAD_MULTIPART_THRESHOLD_BYTES: 6 * MIB,
    UPLOAD_PART_SIZE_BYTES: 5 * MIB,
  });
});
afterAll(async () => {
  await s3.close();
  await aws.close();
});

async function announce(fileName = 'cohort.chr1.vcf.gz') {
  const created = await alice.announce({ fileName, size: file.length });
  expect(created.status).toBe(201);
  return created.body.upload.uploadId as string;
}

describe('POST /uploads above the multipart threshold', () => {
  it('answers the multipart plan and no URL; at the threshold it is still one PUT', async () => {
    const created = await alice.announce({ fileName: 'big.vcf.gz', size: file.length });
    expect(created.body).toEqual({
      upload: expect.objectContaining({ status: 'PENDING', transfer: 'multipart', size: file.length }),
      transfer: 'multipart',
      multipart: { partSize: 5 * MIB, partCount: 3, maxPartsPerRequest: 100 },
    });
    const single = await alice.announce({ fileName: 'small.vcf.gz', size: 6 * MIB });
    expect(single.body).toMatchObject({ transfer: 'single', method: 'PUT', upload: { transfer: 'single' } });
  });
});

describe('POST /uploads/{uploadId}/parts', () => {
  it("binds each URL to its part's exact length (the last one shorter) and to its checksum", async () => {
    const uploadId = await announce();
    const signed = await alice.sign(uploadId, {
      partNumbers: [1, 3],
      checksums: { 1: partSum(1), 3: Buffer.from(partSum(3), 'base64').toString('hex') },
    });
    expect(signed.status).toBe(200);
    const [first, last] = signed.body.parts;
    expect(first.headers).toEqual({ 'Content-Length': String(5 * MIB), 'x-amz-checksum-sha256': partSum(1) });
    // A hex checksum is handed back as the base64 S3 wants.
    expect(last.headers).toEqual({
      'Content-Length': String(2 * MIB + 123),
      'x-amz-checksum-sha256': partSum(3),
    });
    expect(Date.parse(signed.body.expiresAt)).toBeGreaterThan(Date.now() + 3000 * 1000);
    const secret = localCredentials.secretAccessKey;
    const accepts = (url: string, headers: Record<string, string>) =>
      presignedUrlAccepts(url, { method: 'PUT', headers }, secret);
    expect(accepts(first.url, first.headers)).toBe(true);
    expect(accepts(first.url, { ...first.headers, 'Content-Length': String(5 * MIB + 1) })).toBe(false);
    expect(accepts(first.url, { ...first.headers, 'x-amz-checksum-sha256': partSum(2) })).toBe(false);
    expect(accepts(first.url, { 'Content-Length': String(5 * MIB) })).toBe(false);
    expect(new URL(first.url).searchParams.get('partNumber')).toBe('1');
    expect((await alice.get(uploadId)).body.uploadUrlExpiresAt).toBe(signed.body.expiresAt);
  });

  it('refuses parts the upload does not have and checksums given for some parts only', async () => {
    const uploadId = await announce();
    const refusals: [unknown, string][] = [
      [{ partNumbers: [] }, 'partNumbers'],
      [{ partNumbers: [0] }, 'partNumbers.0'],
      [{ partNumbers: [4] }, 'partNumbers.0'],
      [{ partNumbers: [1, 1] }, 'partNumbers'],
      [{ partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) }, 'partNumbers'],
      [{ partNumbers: [1], checksums: { 2: partSum(2) } }, 'checksums.2'],
      [{ partNumbers: [1, 2], checksums: { 1: partSum(1) } }, 'checksums.2'],
      [{ partNumbers: [1], checksums: { 1: 'not-a-sha' } }, 'checksums.1'],
      [{ partNumbers: [1], uploadId: 'x' }, ''],
    ];
    for (const [body, path] of refusals) {
      const refused = await alice.sign(uploadId, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      expect(refused.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });

  it('keeps to the checksum choice of the first request, for the whole upload', async () => {
    const withSums = await announce();
    expect((await alice.sign(withSums, { partNumbers: [1], checksums: { 1: partSum(1) } })).status).toBe(200);
    const without = await alice.sign(withSums, { partNumbers: [2] });
    expect(without.status).toBe(400);
    expect(without.body.error.message).toMatch(/give one for each part/);
    const plain = await announce();
    expect((await alice.sign(plain, { partNumbers: [1] })).status).toBe(200);
    const sums = await alice.sign(plain, { partNumbers: [2], checksums: { 2: partSum(2) } });
    expect(sums.status).toBe(400);
    expect(sums.body.error.message).toMatch(/leave them out/);
  });

  it('creates one S3 upload when first requests race', async () => {
    const uploadId = await announce();
    const answers = await Promise.all([1, 2, 3].map((n) => alice.sign(uploadId, { partNumbers: [n] })));
    const s3UploadIds = new Set(
      answers.map((a) => new URL(a.body.parts[0].url).searchParams.get('uploadId')),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(s3UploadIds.size).toBe(1);
  });

  it("answers 404 for another user's upload and 409 for one that has no parts", async () => {
    const uploadId = await announce();
    expect((await bob.sign(uploadId, { partNumbers: [1] })).body.error.code).toBe('UPLOAD_NOT_FOUND');
    expect((await bob.parts(uploadId)).status).toBe(404);
    expect((await bob.complete(uploadId, { parts: [{ partNumber: 1, etag: 'x' }] })).status).toBe(404);
    const single = (await alice.announce({ fileName: 'one.vcf.gz', size: 100 })).body.upload.uploadId;
    for (const refused of [
      await alice.sign(single, { partNumbers: [1] }),
      await alice.parts(single),
      await alice.complete(single, { parts: [{ partNumber: 1, etag: 'x' }] }),
    ]) {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('UPLOAD_NOT_MULTIPART');
    }
  });
});

describe('a multipart upload from first part to READY', () => {
  it('resumes from the parts S3 lists, completes to READY, and answers a second completion the same', async () => {
    const uploadId = await announce();
    expect((await alice.parts(uploadId)).body).toEqual({ parts: [] });
    const signed = (await alice.sign(uploadId, { partNumbers: [1, 2, 3] })).body.parts;
    const etags: string[] = [];
    for (const n of [1, 3]) {
      const put = await putPart(signed[n - 1], file, ranges[n - 1]!);
      expect(put.status).toBe(200);
      etags[n - 1] = put.etag!;
    }
    // The connection drops; after a reload the client asks what S3 has and sends only the rest.
    const listed = (await alice.parts(uploadId)).body.parts;
    expect(listed).toEqual([
      { partNumber: 1, size: 5 * MIB, etag: etags[0]!.replaceAll('"', ''), checksumSha256: null },
      { partNumber: 3, size: 2 * MIB + 123, etag: etags[2]!.replaceAll('"', ''), checksumSha256: null },
    ]);
    const missing = [1, 2, 3].filter((n) => !listed.some((p: { partNumber: number }) => p.partNumber === n));
    expect(missing).toEqual([2]);
    const again = (await alice.sign(uploadId, { partNumbers: missing })).body.parts[0];
    etags[1] = (await putPart(again, file, ranges[1]!)).etag!;
    expect((await alice.parts(uploadId)).body.parts).toHaveLength(3);
    expect((await alice.get(uploadId)).body.status).toBe('PENDING');

    // ETags as S3 answered the PUTs (quoted), in any order.
    const parts = [3, 1, 2].map((n) => ({ partNumber: n, etag: etags[n - 1] }));
    const completed = await alice.complete(uploadId, { parts });
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual({
      upload: expect.objectContaining({
        uploadId,
        status: 'READY',
        transfer: 'multipart',
        confirmedAt: expect.any(String),
      }),
      problem: null,
    });
    const stored = await fetch(
      `${s3.url}/inputs-test/${new URL(signed[0].url).pathname.split('/').slice(2).join('/')}`,
    );
    expect(sha256(Buffer.from(await stored.arrayBuffer()))).toBe(sha256(file));
    expect((await alice.get(uploadId)).body).toMatchObject({ status: 'READY' });
    expect((await alice.complete(uploadId, { parts })).body).toEqual(completed.body);
    for (const refused of [await alice.parts(uploadId), await alice.sign(uploadId, { partNumbers: [1] })]) {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('UPLOAD_COMPLETED');
    }
  });

  it("has S3 check every part's SHA-256 when the parts carry them, and completes with the listed parts", async () => {
    const uploadId = await announce();
    const all = [1, 2, 3];
    const sums = Object.fromEntries(all.map((n) => [n, partSum(n)]));
    const signed = (await alice.sign(uploadId, { partNumbers: all, checksums: sums })).body.parts;
    // Other bytes than the checksum signed for: S3 refuses them.
    const tampered = await putPart(signed[1], Buffer.alloc(file.length, 1), ranges[1]!);
    expect(tampered.status).toBe(400);
    expect(tampered.text).toContain('BadDigest');
    for (const n of all) expect((await putPart(signed[n - 1], file, ranges[n - 1]!)).status).toBe(200);
    const listed = (await alice.parts(uploadId)).body.parts;
    expect(listed.map((p: { checksumSha256: string }) => p.checksumSha256)).toEqual(all.map(partSum));
    // What GET …/parts answered goes back as it is.
    const completed = await alice.complete(uploadId, { parts: listed });
    expect(completed.body.upload.status).toBe('READY');
  });

  it('refuses a completion that lists missing or changed parts, and assembles nothing', async () => {
    const uploadId = await announce();
    const signed = (await alice.sign(uploadId, { partNumbers: [1, 2, 3] })).body.parts;
    const etags = [
      (await putPart(signed[0], file, ranges[0]!)).etag,
      (await putPart(signed[1], file, ranges[1]!)).etag,
    ];
    const incomplete = await alice.complete(uploadId, {
      parts: [1, 2].map((n) => ({ partNumber: n, etag: etags[n - 1] })),
    });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error.details).toEqual([
      { in: 'body', path: 'parts', message: 'every part must be listed; missing: 3' },
    ]);
    const duplicate = await alice.complete(uploadId, {
      parts: [
        { partNumber: 1, etag: 'a' },
        { partNumber: 1, etag: 'a' },
      ],
    });
    expect(duplicate.status).toBe(400);
    const notUploaded = await alice.complete(uploadId, {
      parts: [
        { partNumber: 1, etag: etags[0] },
        { partNumber: 2, etag: 'ffffffffffffffffffffffffffffffff' },
        { partNumber: 3, etag: 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' },
      ],
    });
    expect(notUploaded.status).toBe(409);
    expect(notUploaded.body.error.code).toBe('UPLOAD_PARTS_INVALID');
    expect(notUploaded.body.error.details.map((d: { partNumber: number }) => d.partNumber)).toEqual([2, 3]);
    expect(notUploaded.body.error.message).toMatch(/part 3 has not been uploaded/);

    // Nothing was assembled: the missing part can still be sent and the upload completed.
    etags.push((await putPart(signed[2], file, ranges[2]!)).etag);
    const completed = await alice.complete(uploadId, {
      parts: [1, 2, 3].map((n) => ({ partNumber: n, etag: etags[n - 1] })),
    });
    expect(completed.body.upload.status).toBe('READY');
  });
});
