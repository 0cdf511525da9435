import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createUpload } from '#functions/api/uploads/create-upload';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import { handler as listUploads } from '#functions/api/uploads/list-uploads';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { invoke } from '#test/support/api-event';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { useSettings } from '#test/support/settings';
import { makeVcfGz } from '#test/support/vcf-fixtures';

const alice = { sub: 'sub-alice', username: 'alice', groups: [] };
const bob = { sub: 'sub-bob', username: 'bob', groups: [] };

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;
let s3: S3Emulator;

beforeAll(async () => {
  aws = await startAwsEmulators();
  s3 = await startS3Emulator({ buckets: ['inputs-test'] });
  useSettings({
    ...emulatorSdkSettings({ s3: s3.url }),
    INPUTS_BUCKET: 'inputs-test',
    MAX_UPLOAD_BYTES: 10 * 1024 * 1024,
  });
});
afterAll(async () => {
  await s3.close();
  await aws.close();
});

const announce = (caller: typeof alice, body: unknown) =>
  invoke(createUpload, { method: 'POST', caller, body });

describe('POST /uploads', () => {
  it('returns a presigned PUT bound to the size and checksum, under the caller prefix', async () => {
    const file = makeVcfGz({ samples: 30 });
    const sha256 = createHash('sha256').update(file).digest('hex');
    const result = await announce(alice, { fileName: 'cohort.chr20.vcf.gz', size: file.length, sha256 });
    expect(result.status).toBe(201);
    const url = new URL(result.body.uploadUrl);
    expect(url.pathname).toMatch(
      /^\/inputs-test\/inputs\/[A-Za-z0-9_-]+\/[0-9A-Z]{26}\/cohort\.chr20\.vcf\.gz$/,
    );
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-checksum-sha256');
    expect(result.body.headers['x-amz-checksum-sha256']).toBe(
      createHash('sha256').update(file).digest('base64'),
    );
    expect(result.body.upload).toMatchObject({
      status: 'PENDING',
      size: file.length,
      fileName: 'cohort.chr20.vcf.gz',
    });
  });

  it.each([
    ['a path', { fileName: '../etc/passwd.vcf.gz', size: 10 }],
    ['a folder', { fileName: 'dir/a.vcf.gz', size: 10 }],
    ['a hidden file', { fileName: '.a.vcf.gz', size: 10 }],
    ['a wrong extension', { fileName: 'a.vcf', size: 10 }],
    ['a zero size', { fileName: 'a.vcf.gz', size: 0 }],
    ['a fractional size', { fileName: 'a.vcf.gz', size: 1.5 }],
    ['a size over the maximum', { fileName: 'a.vcf.gz', size: 11 * 1024 * 1024 }],
    ['a malformed checksum', { fileName: 'a.vcf.gz', size: 10, sha256: 'xyz' }],
    ['an unknown field', { fileName: 'a.vcf.gz', size: 10, owner: 'sub-bob' }],
    ['a missing name', { size: 10 }],
  ])('rejects %s with 400 and stores nothing', async (_, body) => {
    const before = (await invoke(listUploads, { caller: bob })).body.uploads.length;
    const result = await announce(bob, body);
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
    expect((await invoke(listUploads, { caller: bob })).body.uploads).toHaveLength(before);
  });

  it.each([
    ['a NUL', 'a\u0000b.vcf.gz'],
    ['a newline', 'a\nb.vcf.gz'],
    ['a trailing newline', 'ab.vcf.gz\n'],
    ['a carriage return', 'a\rb.vcf.gz'],
    ['a bell (C0)', 'a\u0007b.vcf.gz'],
    ['DEL', 'a\u007fb.vcf.gz'],
    ['a C1 control', 'a\u009bb.vcf.gz'],
    ['a line separator', 'a\u2028b.vcf.gz'],
    ['a right-to-left override', 'a\u202Ezg.fdp.vcf.gz'],
  ])('rejects a fileName with %s as a control character, and stores nothing', async (_, fileName) => {
    const before = (await invoke(listUploads, { caller: bob })).body.uploads.length;
    const result = await announce(bob, { fileName, size: 10 });
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(result.body.error.details).toEqual([
      { in: 'body', path: 'fileName', message: 'fileName must not contain control characters' },
    ]);
    expect((await invoke(listUploads, { caller: bob })).body.uploads).toHaveLength(before);
  });
});

describe('GET /uploads/{id}', () => {
  it('stays PENDING until the object exists, then confirms it READY', async () => {
    const file = makeVcfGz({ samples: 25 });
    const created = await announce(alice, { fileName: 'ready.vcf.gz', size: file.length });
    const { uploadId } = created.body.upload;
    const pending = await invoke(getUpload, { caller: alice, pathParameters: { uploadId } });
    expect(pending.body.status).toBe('PENDING');

    const put = await fetch(created.body.uploadUrl, {
      method: 'PUT',
      body: file,
      headers: created.body.headers,
    });
    expect(put.status).toBe(200);

    const ready = await invoke(getUpload, { caller: alice, pathParameters: { uploadId } });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ uploadId, status: 'READY', size: file.length });
    expect(ready.body.confirmedAt).toEqual(expect.any(String));
  });

  it('reports a size mismatch instead of confirming', async () => {
    const created = await announce(alice, { fileName: 'short.vcf.gz', size: 1000 });
    // s3rver does not enforce signed lengths; real S3 would refuse this PUT outright.
    await fetch(created.body.uploadUrl, { method: 'PUT', body: Buffer.alloc(10) });
    const result = await invoke(getUpload, {
      caller: alice,
      pathParameters: { uploadId: created.body.upload.uploadId },
    });
    expect(result.body.status).toBe('PENDING');
    expect(result.body.problem).toMatch(/10 bytes/);
  });

  it("answers 404 for another user's upload and for an unknown id", async () => {
    const created = await announce(alice, { fileName: 'private.vcf.gz', size: 100 });
    const { uploadId } = created.body.upload;
    const other = await invoke(getUpload, { caller: bob, pathParameters: { uploadId } });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('UPLOAD_NOT_FOUND');
    const unknown = await invoke(getUpload, {
      caller: alice,
      pathParameters: { uploadId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    });
    expect(unknown.status).toBe(404);
    const malformed = await invoke(getUpload, { caller: alice, pathParameters: { uploadId: 'nope' } });
    expect(malformed.status).toBe(400);
  });
});

describe('GET /uploads', () => {
  it("lists only the caller's uploads, newest first, with a cursor", async () => {
    const carol = { sub: 'sub-carol', username: 'carol', groups: [] };
    for (const name of ['one.vcf.gz', 'two.vcf.gz', 'three.vcf.gz']) {
      await announce(carol, { fileName: name, size: 100 });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const first = await invoke(listUploads, { caller: carol, query: { limit: '2' } });
    expect(first.body.uploads.map((u: { fileName: string }) => u.fileName)).toEqual([
      'three.vcf.gz',
      'two.vcf.gz',
    ]);
    const second = await invoke(listUploads, {
      caller: carol,
      query: { limit: '2', cursor: first.body.nextCursor },
    });
    expect(second.body.uploads.map((u: { fileName: string }) => u.fileName)).toEqual(['one.vcf.gz']);
    const aliceList = await invoke(listUploads, { caller: alice });
    expect(
      aliceList.body.uploads.every((u: { fileName: string }) => !['one.vcf.gz'].includes(u.fileName)),
    ).toBe(true);
  });
});
