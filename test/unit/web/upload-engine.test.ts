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
import type { PutResult, UploadTransport } from '../../../web/src/lib/upload-transport';

const MiB = 1024 * 1024;

/** A fake of the upload routes and S3 that keeps the parts it received, and can fail PUTs on demand. */
function fakeS3(options: { size: number; partSize?: number; maxPartsPerRequest?: number; single?: boolean }) {
  const partSize = options.partSize ?? 5 * MiB;
  const partCount = Math.ceil(options.size / partSize);
  const stored = new Map<number, { size: number; etag: string }>();
  const log = {
    signed: [] as number[][],
    puts: [] as number[],
    listed: 0,
    completed: [] as { partNumber: number; etag: string }[],
  };
  let online = true;
  let onlineWaiters: (() => void)[] = [];
  let failures: (partNumber: number) => PutResult | undefined = () => undefined;
  let singleBody: Blob | null = null;
  const transport: UploadTransport = {
    createUpload: async ({ fileName, size }) => {
      const upload = { uploadId: 'U1', fileName, size, status: 'PENDING' as const };
      return options.single
        ? {
            upload,
            transfer: 'single',
            uploadUrl: 'https://s3/single',
            method: 'PUT',
            headers: { 'x-amz-checksum': 'c' },
          }
        : {
            upload,
            transfer: 'multipart',
            multipart: { partSize, partCount, maxPartsPerRequest: options.maxPartsPerRequest ?? 3 },
          };
    },
    signParts: async (_id, partNumbers) => {
      log.signed.push(partNumbers);
      return {
        parts: partNumbers.map((n) => ({ partNumber: n, url: `https://s3/part/${n}`, headers: {} })),
        expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      };
    },
    listParts: async () => {
      log.listed += 1;
      return { parts: [...stored].map(([partNumber, p]) => ({ partNumber, ...p, checksumSha256: null })) };
    },
    complete: async (_id, parts) => {
      log.completed = parts;
      const ok = parts.length === partCount && parts.every((p) => stored.get(p.partNumber)?.etag === p.etag);
      return {
        upload: { uploadId: 'U1', fileName: 'x', size: options.size, status: ok ? 'READY' : 'PENDING' },
        ...(ok ? {} : { problem: 'parts do not match' }),
      };
    },
    confirm: async () => ({
      upload: {
        uploadId: 'U1',
        fileName: 'x',
        size: options.size,
        status: singleBody?.size === options.size ? 'READY' : 'PENDING',
      },
    }),
    abort: async () => undefined,
    put: async (url, _headers, body, onProgress) => {
      if (url.endsWith('/single')) {
        onProgress(body.size);
        singleBody = body;
        return failures(1) ?? { status: 200, etag: '"single"' };
      }
      const n = Number(url.split('/').pop());
      log.puts.push(n);
      if (!online) return { status: 0, etag: null };
      const failure = failures(n);
      if (failure) return failure;
      onProgress(body.size);
      const etag = `"etag-${n}-${body.size}"`;
      stored.set(n, { size: body.size, etag });
      return { status: 200, etag };
    },
    sleep: async () => undefined,
    now: () => Date.now(),
    isOnline: () => online,
    whenOnline: () => new Promise((resolve) => onlineWaiters.push(resolve)),
  };
  return {
    transport,
    stored,
    log,
    partCount,
    failWith: (f: typeof failures) => {
      failures = f;
    },
    setOnline: (value: boolean) => {
      online = value;
      if (value) {
        const waiters = onlineWaiters;
        onlineWaiters = [];
        for (const w of waiters) w();
      }
    },
  };
}

const vcf = (size: number) => Object.assign(new Blob([new Uint8Array(size)]), { name: 'big.chr20.vcf.gz' });

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
    const s3 = fakeS3({ size: 23 * MiB, maxPartsPerRequest: 2 });
    const upload = new FileUpload(vcf(23 * MiB), s3.transport, 2);
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.partCount).toBe(5);
    expect(s3.log.signed.every((batch) => batch.length <= 2)).toBe(true);
    expect(s3.log.signed.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(s3.log.completed.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(s3.log.completed[4]!.etag).toBe(`"etag-5-${3 * MiB}"`);
    expect(upload.snapshot.uploaded).toBe(23 * MiB);
  });

  it('retries a part that failed with a 503 and finishes without being interrupted', async () => {
    const s3 = fakeS3({ size: 12 * MiB });
    let failed = 0;
    s3.failWith((n) => (n === 2 && failed++ < 2 ? { status: 503, etag: null } : undefined));
    const upload = new FileUpload(vcf(12 * MiB), s3.transport);
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.log.puts.filter((n) => n === 2)).toHaveLength(3);
  });

  it('after a part kept failing, resumes from the listed parts and sends only the missing ones', async () => {
    const s3 = fakeS3({ size: 20 * MiB });
    s3.failWith((n) => (n === 3 ? { status: 500, etag: null } : undefined));
    const upload = new FileUpload(vcf(20 * MiB), s3.transport, 1);
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(upload.snapshot.message).toMatch(/Part 3/);
    expect([...s3.stored.keys()].sort()).toEqual([1, 2]);
    s3.log.puts.length = 0;
    s3.failWith(() => undefined);
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(s3.log.listed).toBe(1);
    expect(s3.log.puts.sort()).toEqual([3, 4]);
    expect(upload.snapshot.resumedFromBytes).toBe(10 * MiB);
  });

  it('waits while offline and resumes by itself when the connection is back', async () => {
    const s3 = fakeS3({ size: 15 * MiB });
    s3.failWith((n) => {
      if (n === 2) s3.setOnline(false);
      return n === 2 ? { status: 0, etag: null } : undefined;
    });
    const upload = new FileUpload(vcf(15 * MiB), s3.transport, 1);
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
    const s3 = fakeS3({ size: 10 * MiB });
    s3.failWith((n) => (n === 1 ? { status: 400, etag: null } : undefined));
    const upload = new FileUpload(vcf(10 * MiB), s3.transport, 1);
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(s3.log.puts.filter((n) => n === 1)).toHaveLength(1);
    expect(upload.snapshot.message).toMatch(/HTTP 400/);
  });

  it('sends a small file in one PUT with the given headers and confirms it', async () => {
    const s3 = fakeS3({ size: 1000, single: true });
    const upload = new FileUpload(vcf(1000), s3.transport);
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'done', transfer: 'single', uploaded: 1000 });
  });
});
