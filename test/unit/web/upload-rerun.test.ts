import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../web/src/api/api-error';
import { PendingUploads } from '../../../web/src/lib/pending-uploads';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import { fakeUploadApi, MiB, memoryStorage, vcf } from './fake-upload-api';

describe('resuming within the page', () => {
  it('finishes when the server completed the upload though the complete request timed out', async () => {
    const api = fakeUploadApi({});
    const complete = api.transport.complete;
    api.transport.complete = async (id, parts) => {
      await complete(id, parts);
      throw new ApiError('GATEWAY_TIMEOUT', 'The gateway did not answer in time.', 504);
    };
    const pending = new PendingUploads(memoryStorage(), 'alice');
    const upload = new FileUpload(vcf(12 * MiB), api.transport, { pending });
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(api.uploads.get('U1')?.status).toBe('READY');
    await expect(api.transport.listParts('U1')).rejects.toMatchObject({ code: 'UPLOAD_COMPLETED' });
    api.log.puts.length = 0;
    await upload.start();
    expect(upload.snapshot.phase).toBe('done');
    expect(api.log.puts).toEqual([]);
    expect(pending.list()).toEqual([]);
  });

  it('fails for good, and forgets the upload, when S3 discarded it meanwhile', async () => {
    const api = fakeUploadApi({});
    api.failWith((n) => (n === 2 ? { status: 400, etag: null } : undefined));
    const pending = new PendingUploads(memoryStorage(), 'alice');
    const upload = new FileUpload(vcf(12 * MiB), api.transport, { concurrency: 1, pending });
    await upload.start();
    expect(upload.snapshot.phase).toBe('interrupted');
    expect(pending.list()).toHaveLength(1);
    await api.transport.abort('U1');
    api.failWith(() => undefined);
    await upload.start();
    expect(upload.snapshot.phase).toBe('failed');
    expect(upload.snapshot.message).toMatch(/no longer holds this upload.*add the file again/);
    expect(pending.list()).toEqual([]);
    expect(api.log.completed).toEqual([]);
  });
});
