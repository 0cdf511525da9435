import { describe, expect, it } from 'vitest';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import {
  batches,
  fileNameProblem,
  missingParts,
  partRanges,
  retryDelayMs,
  TransferRate,
} from '../../../web/src/lib/upload-plan';
import { fakeUploadApi, MiB, vcf } from './fake-upload-api';

describe('upload planning', () => {
  it('checks file names as the API does', () => {
    expect(fileNameProblem('sample.chr20.vcf.gz')).toBeNull();
    expect(fileNameProblem('sample.vcf')).toMatch(/\.vcf\.gz/);
    expect(fileNameProblem('my sample.vcf.gz')).toMatch(/letters, digits/);
    expect(fileNameProblem('-x.vcf.gz')).toMatch(/starting/);
    expect(fileNameProblem('a..b.vcf.gz')).toMatch(/\.\./);
  });
  it('cuts a file into part ranges and finds the ones S3 does not hold whole', () => {
    const ranges = partRanges(12, 5, 3);
    expect(ranges.map((r) => [r.start, r.end])).toEqual([
      [0, 5],
      [5, 10],
      [10, 12],
    ]);
    const missing = missingParts(ranges, [
      { partNumber: 1, size: 5, etag: 'a' },
      { partNumber: 2, size: 3, etag: 'b' },
    ]);
    expect(missing.map((r) => r.partNumber)).toEqual([2, 3]);
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
  it('backs off exponentially with jitter, capped at 20 s', () => {
    expect(retryDelayMs(1, () => 0)).toBe(250);
    expect(retryDelayMs(1, () => 1)).toBe(500);
    expect(retryDelayMs(3, () => 1)).toBe(2000);
    expect(retryDelayMs(20, () => 1)).toBe(20_000);
  });
  it('estimates speed and time left over a window of samples', () => {
    const rate = new TransferRate(5_000);
    rate.record(0, 0);
    expect(rate.bytesPerSecond()).toBeNull();
    rate.record(1_000_000, 1_000);
    rate.record(2_000_000, 2_000);
    expect(rate.bytesPerSecond()).toBe(1_000_000);
    expect(rate.secondsLeft(3_000_000)).toBe(3);
  });
});

describe('FileUpload', () => {
  it('sends every part (signed in batches of maxPartsPerRequest) and completes with their ETags', async () => {
    const s3 = fakeUploadApi({ maxPartsPerRequest: 2 });
    const upload = new FileUpload(vcf(23 * MiB), s3.transport, { concurrency: 2 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.partCount(23 * MiB)).toBe(5);
    expect(s3.log.signed.every((batch) => batch.length <= 2)).toBe(true);
    expect(s3.log.signed.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(s3.log.completed.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(s3.log.completed[4]!.etag).toBe(`"etag-5-${3 * MiB}"`);
    expect(upload.snapshot.uploaded).toBe(23 * MiB);
  });

  it('retries a part that failed with a 503 and finishes without being interrupted', async () => {
    const s3 = fakeUploadApi({});
    let failed = 0;
    s3.failWith((n) => (n === 2 && failed++ < 2 ? { status: 503, etag: null } : undefined));
    const upload = new FileUpload(vcf(12 * MiB), s3.transport);
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.log.puts.filter((n) => n === 2)).toHaveLength(3);
  });

  it('after a part kept failing, resumes from the listed parts and sends only the missing ones', async () => {
    const s3 = fakeUploadApi({});
    s3.failWith((n) => (n === 3 ? { status: 500, etag: null } : undefined));
    const upload = new FileUpload(vcf(20 * MiB), s3.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(upload.snapshot.message).toMatch(/Part 3/);
    expect([...s3.partsOf('U1').keys()].sort()).toEqual([1, 2]);
    s3.log.puts.length = 0;
    s3.failWith(() => undefined);
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.log.listed).toBe(1);
    expect(s3.log.puts.sort()).toEqual([3, 4]);
    expect(upload.snapshot.resumedFromBytes).toBe(10 * MiB);
  });

  it('waits while offline and resumes by itself when the connection is back', async () => {
    const s3 = fakeUploadApi({});
    s3.failWith((n) => {
      if (n === 2) s3.setOnline(false);
      return n === 2 ? { status: 0, etag: null } : undefined;
    });
    const upload = new FileUpload(vcf(15 * MiB), s3.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('offline');
    s3.failWith(() => undefined);
    const done = new Promise<void>((resolve) => upload.subscribe((s) => s.phase === 'done' && resolve()));
    s3.setOnline(true);
    await done;
    expect(s3.log.listed).toBe(1);
    expect(s3.log.completed).toHaveLength(3);
  });

  it('does not retry a part S3 refuses for good (400) and says which', async () => {
    const s3 = fakeUploadApi({});
    s3.failWith((n) => (n === 1 ? { status: 400, etag: null } : undefined));
    const upload = new FileUpload(vcf(10 * MiB), s3.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(s3.log.puts.filter((n) => n === 1)).toHaveLength(1);
    expect(upload.snapshot.message).toMatch(/HTTP 400/);
  });

  it('sends a small file in one PUT with the given headers and confirms it', async () => {
    const s3 = fakeUploadApi({ single: true });
    const upload = new FileUpload(vcf(1000), s3.transport);
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'done', transfer: 'single', uploaded: 1000 });
  });
});
