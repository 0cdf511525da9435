/**
 * A fake of the upload routes and S3 for the console's upload engine: it keeps the uploads it announced
 * (PENDING, READY, ABORTED) and the parts it received, answers unknown ids and abandoned uploads as the
 * API does (ApiError 404 / 409), logs every call, and can fail PUTs or go offline on demand. Its answers
 * are typed by the generated contract, so a route change breaks these tests' build too.
 */
import { ApiError } from '../../../web/src/api/api-error';
import type { PutResult, UploadRecord, UploadTransport } from '../../../web/src/lib/upload-transport';

export const MiB = 1024 * 1024;

export function uploadView(change: Partial<UploadRecord> & Pick<UploadRecord, 'uploadId'>): UploadRecord {
  return {
    fileName: 'big.chr20.vcf.gz',
    size: 0,
    status: 'PENDING',
    transfer: 'multipart',
    sha256: null,
    confirmedAt: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    expiresAt: '2025-01-31T00:00:00.000Z',
    uploadUrlExpiresAt: '2025-01-01T00:15:00.000Z',
    ...change,
  };
}

export function fakeUploadApi(options: {
  partSize?: number;
  maxPartsPerRequest?: number;
  single?: boolean;
  now?: () => number;
}) {
  const partSize = options.partSize ?? 5 * MiB;
  const now = options.now ?? (() => Date.now());
  const uploads = new Map<string, UploadRecord & { partCount: number }>();
  const stored = new Map<string, Map<number, { size: number; etag: string }>>();
  const log = {
    created: 0,
    signed: [] as number[][],
    puts: [] as number[],
    listed: 0,
    confirmed: 0,
    aborted: [] as string[],
    completed: [] as { partNumber: number; etag: string }[],
  };
  let online = true;
  let onlineWaiters: (() => void)[] = [];
  let failures: (partNumber: number) => PutResult | undefined = () => undefined;
  let singleBody: Blob | null = null;
  const own = (id: string) => {
    const upload = uploads.get(id);
    if (!upload) throw new ApiError('UPLOAD_NOT_FOUND', `no upload ${id}`, 404);
    return upload;
  };
  /** As the API: parts of a READY upload are gone (409 UPLOAD_COMPLETED); complete is answered again. */
  const pendingOwn = (id: string, completing = false) => {
    const upload = own(id);
    if (upload.status === 'ABORTED') throw new ApiError('UPLOAD_ABORTED', 'abandoned', 409);
    if (upload.status === 'READY' && !completing) throw new ApiError('UPLOAD_COMPLETED', 'complete', 409);
    return upload;
  };
  const partsOf = (id: string) => stored.get(id) ?? new Map();
  const transport: UploadTransport = {
    createUpload: async ({ fileName, size }) => {
      log.created += 1;
      const uploadId = `U${log.created}`;
      const partCount = Math.ceil(size / partSize);
      const createdAt = new Date(now()).toISOString();
      const uploadUrlExpiresAt = new Date(now() + 15 * 60_000).toISOString();
      const upload = uploadView({ uploadId, fileName, size, createdAt, uploadUrlExpiresAt });
      if (options.single) {
        uploads.set(uploadId, { ...upload, transfer: 'single', partCount: 1 });
        return {
          upload: { ...upload, transfer: 'single' },
          transfer: 'single',
          uploadUrl: `https://s3/single/${uploadId}`,
          method: 'PUT',
          headers: { 'x-amz-checksum': 'c' },
        };
      }
      uploads.set(uploadId, { ...upload, partCount });
      stored.set(uploadId, new Map());
      return {
        upload,
        transfer: 'multipart',
        multipart: { partSize, partCount, maxPartsPerRequest: options.maxPartsPerRequest ?? 3 },
      };
    },
    signParts: async (id, partNumbers) => {
      pendingOwn(id);
      log.signed.push(partNumbers);
      const expires = now() + 15 * 60_000;
      const url = (n: number) =>
        `https://s3/part/${id}/${n}?X-Amz-Expires=${expires}&sig=${log.signed.length}`;
      return {
        parts: partNumbers.map((n) => ({ partNumber: n, url: url(n), headers: {} })),
        expiresAt: new Date(expires).toISOString(),
      };
    },
    listParts: async (id) => {
      pendingOwn(id);
      log.listed += 1;
      const parts = [...partsOf(id)].sort(([a], [b]) => a - b);
      return { parts: parts.map(([partNumber, p]) => ({ partNumber, ...p, checksumSha256: null })) };
    },
    complete: async (id, parts) => {
      const upload = pendingOwn(id, true);
      log.completed = parts;
      const have = partsOf(id);
      const ok =
        parts.length === upload.partCount &&
        parts.every(
          (p) => have.get(p.partNumber)?.etag === p.etag && (p.size ?? 0) === have.get(p.partNumber)?.size,
        );
      if (ok) upload.status = 'READY';
      const { partCount: _, ...view } = upload;
      return { upload: view, problem: ok ? null : 'parts do not match' };
    },
    confirm: async (id) => {
      log.confirmed += 1;
      const upload = own(id);
      if (upload.transfer === 'single' && singleBody?.size === upload.size) upload.status = 'READY';
      const { partCount: _, ...view } = upload;
      return view;
    },
    abort: async (id) => {
      log.aborted.push(id);
      const upload = own(id);
      if (upload.status === 'READY') throw new ApiError('UPLOAD_COMPLETED', 'complete', 409);
      upload.status = 'ABORTED';
      stored.delete(id);
    },
    put: async (url, _headers, body, onProgress) => {
      if (url.includes('/single/')) {
        const upload = uploads.get(url.split('/').pop() ?? '');
        log.puts.push(1);
        if (!upload || now() > Date.parse(upload.uploadUrlExpiresAt)) return { status: 403, etag: null };
        const failure = failures(1);
        if (failure) return failure;
        onProgress(body.size);
        singleBody = body;
        return { status: 200, etag: '"single"' };
      }
      const [path = '', query = ''] = url.split('?');
      const [id = '', part = ''] = path.split('/').slice(-2);
      const n = Number(part);
      log.puts.push(n);
      if (!online) return { status: 0, etag: null };
      // S3 refuses a presigned URL past its expiry, by S3's clock.
      if (now() > Number(new URLSearchParams(query).get('X-Amz-Expires'))) return { status: 403, etag: null };
      const failure = failures(n);
      if (failure) return failure;
      onProgress(body.size);
      const etag = `"etag-${n}-${body.size}"`;
      stored.get(id)?.set(n, { size: body.size, etag });
      return { status: 200, etag };
    },
    sleep: async () => undefined,
    now,
    isOnline: () => online,
    whenOnline: () => new Promise((resolve) => onlineWaiters.push(resolve)),
  };
  return {
    transport,
    uploads,
    log,
    partsOf,
    partCount: (size: number) => Math.ceil(size / partSize),
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

/** A file as the engine sees one: a Blob with a name (and, from a picker, a modification time). */
export const vcf = (size: number, name = 'big.chr20.vcf.gz', lastModified = 1_700_000_000_000) =>
  Object.assign(new Blob([new Uint8Array(size)]), { name, lastModified });

/** localStorage's part the store uses, in memory. */
export function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}
