import { describe, expect, it } from 'vitest';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import { fakeUploadApi, vcf } from './fake-upload-api';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

describe('resuming a single-PUT upload', () => {
  it('announces the file again once its URL expired, and abandons the old upload', async () => {
    let now = T0;
    const api = fakeUploadApi({ single: true, now: () => now });
    api.failWith(() => ({ status: 500, etag: null }));
    const upload = new FileUpload(vcf(1000), api.transport);
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'interrupted', uploadId: 'U1' });
    now += 20 * 60_000;
    api.failWith(() => undefined);
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'done', uploadId: 'U2', transfer: 'single' });
    expect(api.log.created).toBe(2);
    expect(api.log.aborted).toEqual(['U1']);
    expect(api.uploads.get('U1')?.status).toBe('ABORTED');
    expect(api.uploads.get('U2')?.status).toBe('READY');
  });

  it('announces the file again when S3 refuses a URL that looked valid (403), once', async () => {
    const api = fakeUploadApi({ single: true, now: () => T0 });
    let refused = 0;
    api.failWith(() => (refused++ === 0 ? { status: 403, etag: null } : undefined));
    const upload = new FileUpload(vcf(1000), api.transport);
    await upload.start();
    expect(upload.snapshot).toMatchObject({ phase: 'done', uploadId: 'U2' });
    expect(api.log.aborted).toEqual(['U1']);

    const stubborn = fakeUploadApi({ single: true, now: () => T0 });
    stubborn.failWith(() => ({ status: 403, etag: null }));
    const refusedTwice = new FileUpload(vcf(1000), stubborn.transport);
    await refusedTwice.start();
    expect(refusedTwice.snapshot.phase).toBe('interrupted');
    expect(refusedTwice.snapshot.message).toMatch(/HTTP 403/);
    expect(stubborn.log.created).toBe(2);
    expect(stubborn.log.puts).toEqual([1, 1]);
  });
});
