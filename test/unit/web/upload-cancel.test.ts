import { describe, expect, it } from 'vitest';
import { PendingUploads } from '../../../web/src/lib/pending-uploads';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import { Interrupted, PartSender } from '../../../web/src/lib/upload-parts';
import { partRanges } from '../../../web/src/lib/upload-plan';
import { fakeUploadApi, MiB, memoryStorage, vcf } from './fake-upload-api';

describe('removing an upload', () => {
  it('while it is being announced abandons the new upload: no part sent, DELETE, nothing remembered', async () => {
    const api = fakeUploadApi({});
    const pending = new PendingUploads(memoryStorage(), 'alice');
    const upload = new FileUpload(vcf(12 * MiB), api.transport, { pending });
    const running = upload.start();
    expect(upload.snapshot.phase).toBe('preparing');
    await upload.cancel();
    await running;
    expect(api.log.created).toBe(1);
    expect(api.log.signed).toEqual([]);
    expect(api.log.puts).toEqual([]);
    expect(api.log.completed).toEqual([]);
    expect(api.log.aborted).toEqual(['U1']);
    expect(api.uploads.get('U1')?.status).toBe('ABORTED');
    expect(upload.snapshot.phase).toBe('canceled');
    expect(pending.list()).toEqual([]);
  });

  it('while a single PUT is being announced abandons it as well', async () => {
    const api = fakeUploadApi({ single: true });
    const upload = new FileUpload(vcf(1000), api.transport);
    const running = upload.start();
    await upload.cancel();
    await running;
    expect(api.log.aborted).toEqual(['U1']);
    expect(api.log.confirmed).toBe(0);
    expect(upload.snapshot.phase).toBe('canceled');
  });

  it('the part sender acts at once on an already aborted signal', async () => {
    const api = fakeUploadApi({});
    const created = await api.transport.createUpload({ fileName: 'big.chr20.vcf.gz', size: 12 * MiB });
    if (created.transfer !== 'multipart') throw new Error('multipart expected');
    const hooks = { onFailedAttempt() {}, onRetry() {}, onProgress() {}, onStored() {} };
    const sender = new PartSender(api.transport, vcf(12 * MiB), 'U1', created.multipart, hooks);
    const ranges = partRanges(12 * MiB, 5 * MiB, 3);
    await expect(sender.sendAll(ranges, AbortSignal.abort())).rejects.toBeInstanceOf(Interrupted);
    expect(api.log.puts).toEqual([]);
  });
});
