/**
 * The arithmetic of an upload, kept free of the browser so it is tested on its own: which file names the
 * API takes, which parts are still missing after an interruption, how part requests are batched, how long
 * to wait before a retry, and the speed and time left shown beside the progress bar.
 */

/** Why the API would refuse this file name (same rules as shared/uploads/uploads.ts), or null. */
export function fileNameProblem(name: string): string | null {
  if (!name.endsWith('.vcf.gz')) return 'must end in .vcf.gz (a bgzipped VCF)';
  if (name.length < 8 || name.length > 200) return 'must be 8 to 200 characters long';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    return 'may contain only letters, digits, ".", "_" and "-", starting with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain ".."';
  return null;
}

export interface PartRange {
  partNumber: number;
  start: number;
  end: number;
}

/** Byte range of each part (1-based), the last one shorter. */
export function partRanges(size: number, partSize: number, partCount: number): PartRange[] {
  const ranges: PartRange[] = [];
  for (let n = 1; n <= partCount; n += 1) {
    const start = (n - 1) * partSize;
    ranges.push({ partNumber: n, start, end: Math.min(size, start + partSize) });
  }
  return ranges;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

/**
 * Parts still to send: those not stored yet, or stored with a size that differs from the plan (a part
 * cut short is sent again).
 */
export function missingParts(ranges: readonly PartRange[], stored: readonly StoredPart[]): PartRange[] {
  const done = new Map(stored.map((part) => [part.partNumber, part]));
  return ranges.filter((range) => done.get(range.partNumber)?.size !== range.end - range.start);
}

/** Splits part numbers into requests of at most `max` (the API's maxPartsPerRequest). */
export function batches<T>(items: readonly T[], max: number): T[][] {
  const size = Math.max(1, max);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 20 s. */
export function retryDelayMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(20_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** HTTP statuses of a part PUT worth retrying (network failure is 0). */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/**
 * Speed over a sliding window of progress samples, and the time left at that speed: steadier than the
 * rate of the last event and quick to follow a change.
 */
export class TransferRate {
  private samples: { at: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 5_000) {}

  record(bytes: number, at: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Bytes per second, or null before there is enough to say. */
  bytesPerSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  secondsLeft(remaining: number): number | null {
    const rate = this.bytesPerSecond();
    return rate && rate > 0 ? remaining / rate : null;
  }
}
