/**
 * Deterministic contents of configured (`resultFiles`) result files, generated on the fly: any size,
 * constant memory, fast enough for multi-GB benchmarks. Block i of a file is a 64 KiB pseudo-random block
 * (from the file's seed) stamped with i, so every byte is reproducible and a test or benchmark can
 * recompute the expected SHA-256. (A job's own results are real files: job-results.ts.)
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 64 * 1024;
const blockCache = new Map<string, Buffer>();

function seedBlock(seed: string): Buffer {
  let block = blockCache.get(seed);
  if (!block) {
    block = Buffer.alloc(BLOCK);
    for (let offset = 0, counter = 0; offset < BLOCK; offset += 32, counter++) {
      createHash('sha256').update(`${seed}:${counter}`).digest().copy(block, offset);
    }
    if (blockCache.size > 256) blockCache.clear();
    blockCache.set(seed, block);
  }
  return block;
}

export function* resultChunks(seed: string, size: number): Generator<Buffer> {
  const base = seedBlock(seed);
  for (let index = 0, sent = 0; sent < size; index++) {
    const length = Math.min(BLOCK, size - sent);
    const chunk = Buffer.from(base.subarray(0, length));
    if (length >= 8) chunk.writeBigUInt64LE(BigInt(index), 0);
    sent += length;
    yield chunk;
  }
}

export function resultStream(seed: string, size: number): Readable {
  return Readable.from(resultChunks(seed, size), { objectMode: false });
}

export function resultSha256(seed: string, size: number): string {
  const hash = createHash('sha256');
  for (const chunk of resultChunks(seed, size)) hash.update(chunk);
  return hash.digest('hex');
}

/** Human-readable size as Cloudgene shows it ("314 MB", "760 bytes"). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value)} ${units[unit]}`;
}
