/**
 * The multipart uploads in progress, remembered in localStorage so that a reload or a closed tab does not
 * restart tens of GB from zero: one record per file fingerprint (name, size, lastModified) with the
 * upload's id and plan and how many parts were sent. Never a token or a URL (presigned URLs are signed
 * again on resume). Records are kept per signed-in user (another user of the same browser sees none) and
 * forgotten on completion, on abandon, and once older than the inputs bucket's incomplete-upload lifetime,
 * after which S3 has discarded the parts anyway.
 */

/** infra/constructs/storage.ts INCOMPLETE_INPUT_UPLOAD_DAYS (a unit test keeps the two equal). */
export const INCOMPLETE_UPLOAD_DAYS = 7;
const LIFETIME_MS = INCOMPLETE_UPLOAD_DAYS * 24 * 3600_000;
const STORAGE_PREFIX = 'imputation-console.pending-uploads.';

export interface PendingUpload {
  uploadId: string;
  fileName: string;
  size: number;
  partSize: number;
  partCount: number;
  maxPartsPerRequest: number;
  /** When the upload was announced (S3 counts the lifetime from there). */
  createdAt: string;
  /** Parts this browser saw stored, for the list of unfinished uploads (GET …/parts is the truth). */
  partsDone: number;
}

export interface FileIdentity {
  name: string;
  size: number;
  lastModified?: number;
}

/** The same file picked again after a reload has the same name, size and modification time. */
export function fingerprintOf(file: FileIdentity): string {
  return JSON.stringify([file.name, file.size, file.lastModified ?? 0]);
}

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function isExpired(record: PendingUpload, now: number): boolean {
  const created = Date.parse(record.createdAt);
  return !Number.isFinite(created) || now - created >= LIFETIME_MS;
}

export class PendingUploads {
  private readonly key: string;

  constructor(
    private readonly storage: KeyValueStorage | null,
    user: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = STORAGE_PREFIX + user;
  }

  /** Every record still within the lifetime, oldest first; the expired ones are dropped on the way. */
  list(): { fingerprint: string; record: PendingUpload }[] {
    const all = this.read();
    const now = this.now();
    const live = Object.entries(all).filter(([, record]) => !isExpired(record, now));
    if (live.length !== Object.keys(all).length) this.write(Object.fromEntries(live));
    return live
      .map(([fingerprint, record]) => ({ fingerprint, record }))
      .sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
  }

  find(fingerprint: string): PendingUpload | null {
    return this.list().find((entry) => entry.fingerprint === fingerprint)?.record ?? null;
  }

  save(fingerprint: string, record: PendingUpload): void {
    this.write({ ...this.read(), [fingerprint]: record });
  }

  progress(fingerprint: string, partsDone: number): void {
    const all = this.read();
    const record = all[fingerprint];
    if (record && record.partsDone !== partsDone)
      this.write({ ...all, [fingerprint]: { ...record, partsDone } });
  }

  forget(fingerprint: string): void {
    const all = this.read();
    if (!(fingerprint in all)) return;
    delete all[fingerprint];
    this.write(all);
  }

  private read(): Record<string, PendingUpload> {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(this.key) ?? '{}');
      if (!parsed || typeof parsed !== 'object') return {};
      return Object.fromEntries(Object.entries(parsed).filter(([, value]) => isRecord(value)));
    } catch {
      return {};
    }
  }

  private write(all: Record<string, PendingUpload>): void {
    try {
      if (Object.keys(all).length === 0) this.storage?.removeItem(this.key);
      else this.storage?.setItem(this.key, JSON.stringify(all));
    } catch {
      // Storage full or refused (private mode): the upload still runs, it just cannot resume after a reload.
    }
  }
}

function isRecord(value: unknown): value is PendingUpload {
  const r = value as Partial<PendingUpload> | null;
  return (
    typeof r?.uploadId === 'string' &&
    typeof r.fileName === 'string' &&
    typeof r.createdAt === 'string' &&
    [r.size, r.partSize, r.partCount, r.maxPartsPerRequest, r.partsDone].every(Number.isInteger)
  );
}
