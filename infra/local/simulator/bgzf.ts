/**
 * bgzip for the simulator's result files: the text cut into blocks of at most 65,280 bytes, each deflated
 * as its own gzip member whose `BC` extra field records the block's size, and the empty end-of-file block
 * last (SAM spec §4.1) — what htslib (`bcftools`, `tabix`) and `zcat` read. Synchronous: the files it
 * packs are small.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { BGZF_EOF } from '#shared/vcf/bgzf-reader';

/** bgzip's block input: the deflated block with header and trailer must fit BSIZE's 16 bits. */
export const BGZF_BLOCK_INPUT = 65_280;

/** One BGZF block: a gzip member whose extra field `BC` records the block's compressed size. */
export function bgzfBlock(data: Buffer, level = 6): Buffer {
  return bgzfFrame(data, deflateRawSync(data, { level }));
}

/** The BGZF header and trailer around `data` already deflated (raw) as `deflated`. */
export function bgzfFrame(data: Buffer, deflated: Buffer): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 0, 0]);
  header.writeUInt16LE(header.length + deflated.length + 8 - 1, 16);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, deflated, trailer]);
}

export function bgzip(text: string): Buffer {
  const data = Buffer.from(text);
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += BGZF_BLOCK_INPUT)
    blocks.push(bgzfBlock(data.subarray(at, at + BGZF_BLOCK_INPUT)));
  blocks.push(BGZF_EOF);
  return Buffer.concat(blocks);
}
