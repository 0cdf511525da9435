/**
 * BGZF framing, read block by block from a byte stream (an S3 body, possibly a range starting at a block).
 * Each block is a gzip member whose `BC` extra field gives its size, so a block can be cut out, inflated
 * on its own (at most 64 KiB) and checked against its CRC32 and ISIZE without a gunzip stream that would
 * hide where it is. Knowing each block's compressed offset is what makes validation resumable (BGZF
 * virtual offsets), and the 28-byte end-of-file block is how a truncated upload is told from a whole one.
 * Memory: at most one block of input (plus the chunk it arrived in) and one inflated block at a time.
 */
import { constants, crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import {
  BGZF_EOF_BYTES,
  corruptBlockMessage,
  endsInsideBlockMessage,
  endsWithoutEofMessage,
  GZIP_SNIFF_BYTES,
  BGZF_HEADER_LENGTH as HEADER_LENGTH,
  isBgzfHeader,
  isGzip,
  BGZF_MAX_BLOCK_DATA as MAX_BLOCK_DATA,
  BGZF_TRAILER_LENGTH as TRAILER_LENGTH,
} from './bgzf-format';
import { notBgzipMessage, notGzipMessage } from './file-kind';
import { VcfInputError } from './vcf-problems';

/** The empty block bgzip writes last (bgzf-format.ts), as a Buffer for writers and comparisons here. */
export const BGZF_EOF = Buffer.from(BGZF_EOF_BYTES);

export interface BgzfBlock {
  /** Offset of the block's first byte in the compressed file. */
  offset: number;
  /** Compressed size (BSIZE + 1). */
  size: number;
  /** The inflated bytes (empty for an EOF block). */
  data: Buffer;
}

export interface BgzfReadStats {
  /** Most compressed bytes held at once while waiting for a whole block. */
  peakPendingBytes: number;
  compressedBytes: number;
  decompressedBytes: number;
}

/** Plain gzip: what its first bytes inflate to says whether bgzip is the fix (file-kind.ts). */
function notBgzip(first: Buffer): VcfInputError {
  let inflated: Buffer | null = null;
  try {
    // A few KiB of input inflate to at most a few MiB; a cut-off stream still yields what it holds.
    inflated = gunzipSync(first.subarray(0, GZIP_SNIFF_BYTES), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    inflated = null;
  }
  return new VcfInputError('NOT_BGZIP', notBgzipMessage(inflated));
}

function notGzip(first: Buffer): VcfInputError {
  return new VcfInputError('NOT_GZIP', notGzipMessage(first));
}

function corrupt(offset: number, why: string): VcfInputError {
  return new VcfInputError('BGZF_CORRUPT', corruptBlockMessage(offset, why));
}

/** Cuts out, inflates and checks the block at `at` of `bytes`, which holds at least its `size` bytes. */
function decodeBlock(bytes: Buffer, at: number, size: number, offset: number): Buffer {
  const trailer = at + size - TRAILER_LENGTH;
  const expectedCrc = bytes.readUInt32LE(trailer);
  const expectedSize = bytes.readUInt32LE(trailer + 4);
  if (expectedSize > MAX_BLOCK_DATA) throw corrupt(offset, `ISIZE ${expectedSize} exceeds 64 KiB`);
  let data: Buffer;
  try {
    data = inflateRawSync(bytes.subarray(at + HEADER_LENGTH, trailer), { maxOutputLength: MAX_BLOCK_DATA });
  } catch (error) {
    throw corrupt(offset, (error as Error).message);
  }
  if (data.length !== expectedSize) {
    throw corrupt(offset, `it inflates to ${data.length} bytes where ISIZE says ${expectedSize}`);
  }
  if (crc32(data) !== expectedCrc) throw corrupt(offset, 'CRC32 mismatch');
  return data;
}

/**
 * Yields the blocks of `source`, which starts at compressed offset `startOffset` (0, or a block offset
 * from a checkpoint). Throws a VcfInputError for anything that is not whole, well-formed BGZF.
 */
export async function* readBgzfBlocks(
  source: AsyncIterable<Uint8Array>,
  startOffset = 0,
  stats?: BgzfReadStats,
): AsyncGenerator<BgzfBlock> {
  let chunks: Buffer[] = [];
  let buffered = 0;
  /** Bytes needed before the next block can be cut: a header first, then the whole block. */
  let needed = HEADER_LENGTH;
  let offset = startOffset;
  let lastWasEof = false;

  for await (const chunk of source) {
    if (chunk.byteLength === 0) continue;
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    buffered += chunk.byteLength;
    if (stats) {
      stats.compressedBytes += chunk.byteLength;
      if (buffered > stats.peakPendingBytes) stats.peakPendingBytes = buffered;
    }
    if (buffered < needed) continue;

    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    let at = 0;
    while (buffered - at >= HEADER_LENGTH) {
      if (!isBgzfHeader(bytes, at)) {
        if (offset === 0) throw isGzip(bytes) ? notBgzip(bytes) : notGzip(bytes);
        throw corrupt(offset, 'no BGZF header where a block should start');
      }
      const size = bytes.readUInt16LE(at + 16) + 1;
      if (size < HEADER_LENGTH + TRAILER_LENGTH + 2) throw corrupt(offset, `BSIZE ${size - 1} is too small`);
      if (buffered - at < size) {
        needed = size;
        break;
      }
      const data = decodeBlock(bytes, at, size, offset);
      lastWasEof = size === BGZF_EOF.length && bytes.compare(BGZF_EOF, 0, size, at, at + size) === 0;
      if (stats) stats.decompressedBytes += data.length;
      yield { offset, size, data };
      offset += size;
      at += size;
      needed = HEADER_LENGTH;
    }
    chunks = at === buffered ? [] : [bytes.subarray(at, buffered)];
    buffered -= at;
  }

  if (buffered > 0) {
    const rest = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    if (offset === 0 && !isGzip(rest)) throw notGzip(rest);
    if (offset === 0 && (rest.length < HEADER_LENGTH || !isBgzfHeader(rest, 0))) throw notBgzip(rest);
    throw new VcfInputError('TRUNCATED', endsInsideBlockMessage(offset + buffered, offset));
  }
  if (offset === 0) throw notGzip(Buffer.alloc(0));
  if (!lastWasEof) {
    throw new VcfInputError('TRUNCATED', endsWithoutEofMessage(offset));
  }
}
