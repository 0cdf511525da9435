/**
 * The resumable multipart upload of the result copy, piece by piece: which stored parts can be kept,
 * which bytes are still missing (one span, holes included), parts cut from a body with the stored ones
 * read past and not sent, parts listed over several pages, and the resume record's round trip.
 */
import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listStoredParts,
  missingSpan,
  readCopyState,
  type StoredPart,
  type Target,
  uploadParts,
  usableParts,
  writeCopyState,
} from '#shared/workflow/copy-multipart';
import { FakeResultsBucket } from '../aws-faults/fake-results-bucket';

const part = (n: number, size: number): StoredPart => ({ PartNumber: n, ETag: `"e${n}"`, Size: size });
const stored = (...parts: StoredPart[]) => new Map(parts.map((p) => [p.PartNumber, p]));

describe('which stored parts are kept, and what is missing', () => {
  it('keeps parts of the right size at their place, the short last one included', () => {
    const kept = usableParts([part(1, 10), part(2, 9), part(3, 10), part(4, 5), part(5, 10)], 10, 35);
    // Part 2 is short (cut by a failure? another part size?), part 5 lies past a 35-byte file.
    expect([...kept.keys()]).toEqual([1, 3, 4]);
    expect([...usableParts([part(1, 10), part(2, 5)], 10, null).keys()]).toEqual([1]);
  });

  it('asks for one span from the first missing part to the end of the last missing one', () => {
    expect(missingSpan(stored(part(1, 10)), 10, 35)).toEqual({ start: 10, end: 34 });
    // A hole with stored parts after it: the span ends where the last missing part ends.
    expect(missingSpan(stored(part(1, 10), part(3, 10), part(4, 5)), 10, 35)).toEqual({ start: 10, end: 19 });
    expect(missingSpan(stored(part(1, 10), part(3, 10)), 10, 35)).toEqual({ start: 10, end: 34 });
    expect(missingSpan(stored(part(2, 10)), 10, 35)).toEqual({ start: 0, end: 34 });
    expect(missingSpan(stored(part(1, 10), part(2, 10), part(3, 10), part(4, 5)), 10, 35)).toBeNull();
    // A file of unknown length: on to its end.
    expect(missingSpan(stored(part(1, 10)), 10, null)).toEqual({ start: 10, end: null });
  });
});

describe('parts cut from a body', () => {
  let bucket: FakeResultsBucket;
  let target: Target;
  beforeEach(() => {
    bucket = new FakeResultsBucket(2);
    target = { s3: new S3Client({ region: 'us-east-1' }), bucket: 'results-test', key: 'results/a/j/f.zip' };
  });
  afterEach(() => bucket.restore());

  const bytes = Buffer.from(Array.from({ length: 35 }, (_, i) => i));
  async function* chunked(body: Buffer, size: number) {
    for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
  }
  const upload = async () => bucket.begin(target.key);

  it('sends only the parts not stored, reading past the stored ones', async () => {
    const result = await uploadParts(target, chunked(bytes.subarray(10), 7), {
      partSize: 10,
      start: 10,
      stored: stored(part(3, 10)),
      queueSize: 2,
      upload,
      uploadExists: true,
    });
    expect(result.kind).toBe('parts');
    const sent = bucket.stub.commandCalls(UploadPartCommand);
    expect(
      sent.map((c) => [c.args[0].input.PartNumber, Buffer.from(c.args[0].input.Body as Buffer)]),
    ).toEqual([
      [2, bytes.subarray(10, 20)],
      [4, bytes.subarray(30, 35)],
    ]);
  });

  it('hands a body shorter than one part back for a single PUT, creating no upload', async () => {
    let created = 0;
    const result = await uploadParts(target, chunked(bytes.subarray(0, 7), 3), {
      partSize: 10,
      start: 0,
      stored: new Map(),
      queueSize: 2,
      upload: async () => {
        created++;
        return 'never';
      },
      uploadExists: false,
    });
    expect(result).toEqual({ kind: 'small', body: bytes.subarray(0, 7) });
    expect(created).toBe(0);
  });

  it('lists the stored parts over every page, and answers undefined for an upload S3 no longer has', async () => {
    const id = await upload();
    await uploadParts(target, chunked(bytes, 4), {
      partSize: 10,
      start: 0,
      stored: new Map(),
      queueSize: 4,
      upload: async () => id,
      uploadExists: true,
    });
    expect((await listStoredParts(target, id))?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 5],
    ]);
    expect(await listStoredParts(target, 'gone')).toBeUndefined();
  });

  it('reads back the resume record it wrote, and ignores one for another object or unreadable', async () => {
    const state = {
      key: target.key,
      uploadId: 'u',
      partSize: 10,
      total: 35,
      contentType: 'application/zip',
      etag: null,
      presigned: { url: 'https://s3.example/f?X-Amz-Signature=s', expiresAt: null },
    };
    await writeCopyState(target, 'state.json', state);
    expect(await readCopyState(target, 'state.json')).toEqual(state);
    expect(await readCopyState({ ...target, key: 'results/a/j/other.zip' }, 'state.json')).toBeUndefined();
    bucket.objects.set('broken.json', { body: Buffer.from('{'), metadata: {} });
    expect(await readCopyState(target, 'broken.json')).toBeUndefined();
    expect(await readCopyState(target, 'absent.json')).toBeUndefined();
  });
});
