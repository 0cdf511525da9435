import { describe, expect, it } from 'vitest';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import { fakeUploadApi, MiB, vcf } from './fake-upload-api';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('presigned part URLs refused by S3 (403)', () => {
  it('signs the part again and retries it once, then goes on', async () => {
    const api = fakeUploadApi({});
    let refused = 0;
    api.failWith((n) => (n === 2 && refused++ === 0 ? { status: 403, etag: null } : undefined));
    const upload = new FileUpload(vcf(12 * MiB), api.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(api.log.puts.filter((n) => n === 2)).toHaveLength(2);
    expect(api.log.signed.filter((batch) => batch.includes(2))).toHaveLength(2);
  });

  it('gives up after the URL signed again is refused too', async () => {
    const api = fakeUploadApi({});
    api.failWith((n) => (n === 2 ? { status: 403, etag: null } : undefined));
    const upload = new FileUpload(vcf(12 * MiB), api.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'interrupted' });
    expect(upload.snapshot.message).toMatch(/Part 2 .*HTTP 403/);
    expect(api.log.puts.filter((n) => n === 2)).toHaveLength(2);
  });

  it('with the browser clock behind S3’s, an expired URL of an earlier batch is signed again', async () => {
    let server = T0;
    const api = fakeUploadApi({ maxPartsPerRequest: 3, now: () => server });
    api.transport.now = () => server - 10 * 60_000; // the browser is 10 minutes late
    const put = api.transport.put;
    api.transport.put = (...args) => {
      server += 7 * 60_000; // each part takes 7 minutes
      return put(...args);
    };
    const upload = new FileUpload(vcf(27 * MiB), api.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(api.log.completed).toHaveLength(6);
  });

  it('with the browser clock ahead of S3’s, URLs that look expired are still used, not signed per part', async () => {
    const api = fakeUploadApi({ maxPartsPerRequest: 3, now: () => T0 });
    api.transport.now = () => T0 + 20 * 60_000; // the browser is 20 minutes early
    const upload = new FileUpload(vcf(27 * MiB), api.transport, { concurrency: 1 });
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(api.log.signed).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });
});
