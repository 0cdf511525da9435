import { describe, expect, it } from 'vitest';
import { INCOMPLETE_INPUT_UPLOAD_DAYS } from '../../../infra/constructs/storage';
import { ApiError } from '../../../web/src/api/api-error';
import {
  fingerprintOf,
  INCOMPLETE_UPLOAD_DAYS,
  type PendingUpload,
  PendingUploads,
} from '../../../web/src/lib/pending-uploads';
import { FileUpload } from '../../../web/src/lib/upload-engine';
import { abandonPending, decideResume } from '../../../web/src/lib/upload-resume';
import { fakeUploadApi, MiB, memoryStorage, vcf } from './fake-upload-api';

const day = 24 * 3600_000;
const T0 = Date.parse('2025-03-01T12:00:00.000Z');

function record(change: Partial<PendingUpload> = {}): PendingUpload {
  return {
    uploadId: 'U1',
    fileName: 'big.chr20.vcf.gz',
    size: 12 * MiB,
    partSize: 5 * MiB,
    partCount: 3,
    maxPartsPerRequest: 3,
    createdAt: new Date(T0).toISOString(),
    partsDone: 0,
    ...change,
  };
}

describe('the store of pending uploads', () => {
  it('keys records by file fingerprint, per user, and keeps no token or URL', () => {
    const storage = memoryStorage();
    const alice = new PendingUploads(storage, 'alice', () => T0);
    const file = vcf(12 * MiB);
    alice.save(fingerprintOf(file), record());
    alice.progress(fingerprintOf(file), 2);
    expect(alice.find(fingerprintOf(file))).toMatchObject({ uploadId: 'U1', partsDone: 2 });
    expect(alice.find(fingerprintOf(vcf(12 * MiB, 'big.chr20.vcf.gz', 1)))).toBeNull();
    expect(alice.find(fingerprintOf(vcf(12 * MiB + 1)))).toBeNull();
    expect(new PendingUploads(storage, 'bob', () => T0).list()).toEqual([]);
    const text = [...storage.items.values()].join('');
    expect(text).not.toMatch(/https?:|token|Bearer|X-Amz/i);
    alice.forget(fingerprintOf(file));
    expect(alice.list()).toEqual([]);
    expect(storage.items.size).toBe(0);
  });

  it('drops records older than the inputs bucket keeps unfinished uploads (the same 7 days)', () => {
    expect(INCOMPLETE_UPLOAD_DAYS).toBe(INCOMPLETE_INPUT_UPLOAD_DAYS);
    const storage = memoryStorage();
    let now = T0;
    const store = new PendingUploads(storage, 'alice', () => now);
    store.save('old', record({ uploadId: 'U1' }));
    store.save('new', record({ uploadId: 'U2', createdAt: new Date(T0 + 2 * day).toISOString() }));
    now = T0 + 7 * day - 1;
    expect(store.list().map((e) => e.record.uploadId)).toEqual(['U1', 'U2']);
    now = T0 + 7 * day;
    expect(store.list().map((e) => e.record.uploadId)).toEqual(['U2']);
    expect(storage.items.get('imputation-console.pending-uploads.alice')).not.toContain('U1');
  });

  it('ignores what it cannot read', () => {
    const storage = memoryStorage();
    storage.setItem('imputation-console.pending-uploads.alice', '{"a":{"uploadId":1},"b":');
    expect(new PendingUploads(storage, 'alice').list()).toEqual([]);
    storage.setItem('imputation-console.pending-uploads.alice', JSON.stringify({ a: { uploadId: 'x' } }));
    expect(new PendingUploads(storage, 'alice').list()).toEqual([]);
  });
});

describe('the resume decision', () => {
  const file = { size: 12 * MiB };
  const started = async () => {
    const api = fakeUploadApi({ now: () => T0 });
    const created = await api.transport.createUpload({ fileName: 'big.chr20.vcf.gz', size: file.size });
    return { api, created };
  };

  it('resumes a PENDING upload with the parts S3 lists', async () => {
    const { api } = await started();
    api.partsOf('U1').set(1, { size: 5 * MiB, etag: '"e1"' });
    const decision = await decideResume(api.transport, record(), file);
    expect(decision.kind).toBe('resume');
    if (decision.kind !== 'resume') return;
    expect(decision.stored.map((p) => p.partNumber)).toEqual([1]);
    expect(decision.created.multipart).toEqual({ partSize: 5 * MiB, partCount: 3, maxPartsPerRequest: 3 });
  });

  it('starts anew when the upload is gone, ABORTED, expired or of another size', async () => {
    const { api } = await started();
    expect(await decideResume(api.transport, record({ uploadId: 'nope' }), file)).toMatchObject({
      kind: 'fresh',
      reason: 'gone',
    });
    const late = fakeUploadApi({ now: () => T0 + 7 * day });
    expect(await decideResume(late.transport, record(), file)).toMatchObject({ reason: 'expired' });
    expect(await decideResume(api.transport, record(), { size: 1 })).toMatchObject({ kind: 'fresh' });
    await api.transport.abort('U1');
    expect(await decideResume(api.transport, record(), file)).toMatchObject({
      kind: 'fresh',
      reason: 'ABORTED',
    });
  });

  it('takes a READY upload as done, and keeps the record when the API could not be asked', async () => {
    const { api } = await started();
    api.uploads.get('U1')!.status = 'READY';
    expect(await decideResume(api.transport, record(), file)).toMatchObject({ kind: 'ready' });
    const offline = fakeUploadApi({ now: () => T0 });
    offline.transport.confirm = async () => {
      throw new ApiError('NETWORK', 'The request did not reach the gateway.', 0);
    };
    await expect(decideResume(offline.transport, record(), file)).rejects.toThrow(/NETWORK/);
  });
});

describe('FileUpload after a reload', () => {
  const size = 17 * MiB; // 4 parts of 5 MiB, the last 2 MiB

  it('remembers the upload, and a new page sends only the parts S3 does not hold', async () => {
    const api = fakeUploadApi({ now: () => T0 });
    const storage = memoryStorage();
    const pending = () => new PendingUploads(storage, 'alice', () => T0);
    api.failWith((n) => (n === 3 ? { status: 400, etag: null } : undefined));
    const first = new FileUpload(vcf(size), api.transport, { concurrency: 1, pending: pending() });
    await first.start();
    expect(first.snapshot.phase).toBe('interrupted');
    const [entry] = pending().list();
    expect(entry?.record).toMatchObject({ uploadId: 'U1', partCount: 4, partsDone: 2, partSize: 5 * MiB });

    // The page is reloaded: a new engine, a new store over the same localStorage, the same file picked.
    api.failWith(() => undefined);
    api.log.puts.length = 0;
    const again = new FileUpload(vcf(size), api.transport, { pending: pending() });
    const seen: string[] = [];
    again.subscribe((s) => s.resumed && seen.push(`${s.resumed.parts} of ${s.resumed.of}`));
    await again.start();
    expect(again.snapshot.phase).toBe('done');
    expect(api.log.created).toBe(1);
    expect(api.log.puts.sort()).toEqual([3, 4]);
    expect(seen[0]).toBe('2 of 4');
    expect(again.snapshot.resumedFromBytes).toBe(10 * MiB);
    expect(api.log.completed.map((p) => p.partNumber)).toEqual([1, 2, 3, 4]);
    expect(api.uploads.get('U1')?.status).toBe('READY');
    expect(pending().list()).toEqual([]);
  });

  it('announces the file again when the remembered upload was abandoned meanwhile', async () => {
    const api = fakeUploadApi({ now: () => T0 });
    const storage = memoryStorage();
    const pending = new PendingUploads(storage, 'alice', () => T0);
    api.failWith((n) => (n === 2 ? { status: 400, etag: null } : undefined));
    await new FileUpload(vcf(size), api.transport, { concurrency: 1, pending }).start();
    await api.transport.abort('U1');
    api.failWith(() => undefined);
    const again = new FileUpload(vcf(size), api.transport, { pending });
    await again.start();
    expect(again.snapshot).toMatchObject({ phase: 'done', uploadId: 'U2', resumed: null });
    expect(api.log.created).toBe(2);
    expect(pending.list()).toEqual([]);
  });

  it('removing a pending upload abandons it (DELETE) and forgets it', async () => {
    const api = fakeUploadApi({ now: () => T0 });
    const pending = new PendingUploads(memoryStorage(), 'alice', () => T0);
    api.failWith((n) => (n === 2 ? { status: 400, etag: null } : undefined));
    const upload = new FileUpload(vcf(size), api.transport, { concurrency: 1, pending });
    await upload.start();
    expect(pending.list()).toHaveLength(1);
    await upload.cancel();
    expect(api.log.aborted).toEqual(['U1']);
    expect(api.uploads.get('U1')?.status).toBe('ABORTED');
    expect(pending.list()).toEqual([]);
  });

  it('abandons a remembered upload from the list of unfinished ones, also when the API lost it', async () => {
    const api = fakeUploadApi({ now: () => T0 });
    const pending = new PendingUploads(memoryStorage(), 'alice', () => T0);
    await api.transport.createUpload({ fileName: 'big.chr20.vcf.gz', size });
    pending.save('a', record({ uploadId: 'U1' }));
    pending.save('b', record({ uploadId: 'gone' }));
    await abandonPending(api.transport, pending, 'a');
    await abandonPending(api.transport, pending, 'b');
    expect(api.log.aborted).toEqual(['U1', 'gone']);
    expect(pending.list()).toEqual([]);
    pending.save('c', record({ uploadId: 'U1' }));
    api.transport.abort = async () => {
      throw new ApiError('NETWORK', 'The request did not reach the gateway.', 0);
    };
    await expect(abandonPending(api.transport, pending, 'c')).rejects.toThrow();
    expect(pending.list()).toHaveLength(1);
  });
});
