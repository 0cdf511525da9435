/**
 * BGZF in the browser, from the two ends of a picked file only: the blocks at its head, each inflated on
 * its own with DecompressionStream('deflate-raw') and checked against its ISIZE and CRC32 as the
 * validator does (a gzip stream over the whole head would stop at the first member, and hide where a
 * block is damaged); and how the file ends, told from its tail without reading what is between — the
 * EOF block, or, followed from a block header found in the tail, whether the file stops at a block
 * boundary or inside a block. What BGZF is and what is said about it comes from shared/vcf/bgzf-format.ts.
 */
import {
  BGZF_HEADER_LENGTH,
  BGZF_MAX_BLOCK_DATA,
  BGZF_TRAILER_LENGTH,
  bgzfBlockSize,
  corruptBlockMessage,
  endsInsideBlockMessage,
  endsWithBgzfEof,
  endsWithoutEofMessage,
  isBgzfHeader,
} from '../../../shared/vcf/bgzf-format';
import { VcfInputError } from '../../../shared/vcf/vcf-problems';

export type Bytes = Uint8Array<ArrayBuffer>;

/** Bytes `start` to `end` of the file (a slice is read without reading the rest). */
export async function readBytes(file: Blob, start: number, end: number): Promise<Bytes> {
  return new Uint8Array(await file.slice(start, end).arrayBuffer());
}

const SMALLEST_BLOCK = BGZF_HEADER_LENGTH + BGZF_TRAILER_LENGTH + 2;

export interface InflatedBlock {
  offset: number;
  /** Compressed size: the next block starts at `offset + size`. */
  size: number;
  data: Bytes;
}

/**
 * The blocks of `head` (the file's first bytes, at offset 0), inflated in order. With `whole` the head is
 * the whole file and its end is judged as the validator judges it (TRUNCATED); otherwise a block cut by
 * the end of the head is left out. Stops, judging nothing, before inflating past `maxData` bytes: a small
 * file may hold a lot (a block of 64 KiB can deflate to 70 bytes), and the caller has read enough.
 */
export async function* headBlocks(
  head: Bytes,
  whole: boolean,
  maxData: number,
): AsyncGenerator<InflatedBlock> {
  let at = 0;
  let inflated = 0;
  let lastWasEof = false;
  while (head.length - at >= BGZF_HEADER_LENGTH) {
    if (!isBgzfHeader(head, at)) throw corrupt(at, 'no BGZF header where a block should start');
    const size = bgzfBlockSize(head, at);
    if (size < SMALLEST_BLOCK) throw corrupt(at, `BSIZE ${size - 1} is too small`);
    if (head.length - at < size) break;
    if (inflated >= maxData) return;
    const data = await inflateBlock(head.subarray(at, at + size), at);
    inflated += data.length;
    lastWasEof = endsWithBgzfEof(head.subarray(at, at + size)) && size === 28;
    yield { offset: at, size, data };
    at += size;
  }
  if (!whole) return;
  if (at < head.length) throw new VcfInputError('TRUNCATED', endsInsideBlockMessage(head.length, at));
  if (!lastWasEof) throw new VcfInputError('TRUNCATED', endsWithoutEofMessage(head.length));
}

const corrupt = (offset: number, why: string) =>
  new VcfInputError('BGZF_CORRUPT', corruptBlockMessage(offset, why));

/** Inflates one whole block (header to trailer) found at `offset` of the file, and checks it. */
export async function inflateBlock(block: Bytes, offset: number): Promise<Bytes> {
  const trailer = new DataView(block.buffer, block.byteOffset + block.length - BGZF_TRAILER_LENGTH);
  const expectedCrc = trailer.getUint32(0, true);
  const expectedSize = trailer.getUint32(4, true);
  if (expectedSize > BGZF_MAX_BLOCK_DATA) throw corrupt(offset, `ISIZE ${expectedSize} exceeds 64 KiB`);
  let data: Bytes;
  try {
    data = await inflateRaw(block.subarray(BGZF_HEADER_LENGTH, block.length - BGZF_TRAILER_LENGTH));
  } catch (error) {
    // The browser's words for bad deflate data vary (and may be none); zlib's are the server's.
    throw corrupt(offset, (error instanceof Error && error.message) || 'its deflate data is invalid');
  }
  if (data.length !== expectedSize) {
    throw corrupt(offset, `it inflates to ${data.length} bytes where ISIZE says ${expectedSize}`);
  }
  if (crc32(data) !== expectedCrc) throw corrupt(offset, 'CRC32 mismatch');
  return data;
}

/**
 * Raw deflate data → its bytes; more than a block can hold is refused rather than read on. Written
 * straight into the stream (a Blob's stream costs ~1.4 ms a block in Chromium, this ~0.1 ms).
 */
async function inflateRaw(deflated: Bytes): Promise<Bytes> {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // Their failures are the reader's too, which reports them.
  writer.write(deflated).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > BGZF_MAX_BLOCK_DATA) {
      await reader.cancel();
      throw new Error(`it inflates to more than ${BGZF_MAX_BLOCK_DATA} bytes`);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

/**
 * What the start of a plain gzip stream inflates to (what it holds: a VCF, a tar archive, …); the bytes
 * given are a cut-off stream, so whatever came out before the error is the answer. Null when nothing did.
 */
export async function inflateGzipHead(compressed: Bytes): Promise<Bytes | null> {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  writer.write(compressed).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch {
    // The stream ends where the bytes were cut: what came before it is kept.
  }
  const inflated = concat(chunks);
  return inflated.length > 0 ? inflated : null;
}

export function concat(
  chunks: readonly Uint8Array[],
  total = chunks.reduce((n, c) => n + c.length, 0),
): Bytes {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** gzip's CRC-32 (what each BGZF trailer holds). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * How the file ends, from its last bytes (`tail`, starting at byte `tailStart` of a file of `tail`'s end):
 * the whole blocks found at the end (offsets in `tail`), and whether the last is the EOF block, the file
 * stops after a block that is not, or inside one. `unknown` when no chain of block headers reaches the
 * end: the whole-file check will say where the damage is, the tail cannot.
 */
export type TailEnding =
  | { kind: 'eof' | 'no-eof'; blocks: { at: number; size: number }[] }
  | { kind: 'inside-block'; blockStart: number; blocks: { at: number; size: number }[] }
  | { kind: 'unknown' };

export function tailEnding(tail: Bytes, tailStart: number): TailEnding {
  for (let candidate = 0; candidate + BGZF_HEADER_LENGTH <= tail.length; candidate++) {
    if (tail[candidate] !== 0x1f || !isBgzfHeader(tail, candidate)) continue;
    const ending = followBlocks(tail, candidate, tailStart);
    if (ending) return ending;
  }
  return endsWithBgzfEof(tail) ? { kind: 'eof', blocks: [] } : { kind: 'unknown' };
}

/** Follows block sizes from `at` to the end of `tail`; null when a header is missing on the way. */
function followBlocks(tail: Bytes, at: number, tailStart: number): TailEnding | null {
  const blocks: { at: number; size: number }[] = [];
  for (let q = at; ; ) {
    if (q === tail.length) {
      const last = blocks.at(-1)!;
      const eof = last.size === 28 && endsWithBgzfEof(tail);
      return { kind: eof ? 'eof' : 'no-eof', blocks };
    }
    if (tail.length - q < BGZF_HEADER_LENGTH)
      return { kind: 'inside-block', blockStart: tailStart + q, blocks };
    if (!isBgzfHeader(tail, q)) return null;
    const size = bgzfBlockSize(tail, q);
    if (size < SMALLEST_BLOCK) return null;
    if (q + size > tail.length) return { kind: 'inside-block', blockStart: tailStart + q, blocks };
    blocks.push({ at: q, size });
    q += size;
  }
}

/** The TRUNCATED problem a tail shows, if any (said as the validator says it, without its line count). */
export function truncation(ending: TailEnding, fileSize: number): VcfInputError | null {
  if (ending.kind === 'inside-block') {
    return new VcfInputError('TRUNCATED', endsInsideBlockMessage(fileSize, ending.blockStart));
  }
  if (ending.kind === 'no-eof') return new VcfInputError('TRUNCATED', endsWithoutEofMessage(fileSize));
  return null;
}
