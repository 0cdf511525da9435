/**
 * What BGZF is, byte for byte, and what is said when a file is not it: the block header htslib accepts,
 * the end-of-file block, and the advice for plain gzip, a damaged block and a file cut short. Pure (bytes
 * as Uint8Array, no Node APIs): the validator reads whole files with it (bgzf-reader.ts), and the console
 * reads the head and the tail of a picked file with it, so both say the same thing for the same cause.
 */

/** The empty block bgzip writes last (SAM spec §4.1.2); htslib warns when it is missing. */
export const BGZF_EOF_BYTES: Uint8Array = Uint8Array.from([
  0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0x1b, 0, 0x03, 0, 0, 0, 0, 0, 0,
  0, 0, 0,
]);

export const BGZF_HEADER_LENGTH = 18;
export const BGZF_TRAILER_LENGTH = 8;
/** Most bytes one block inflates to. */
export const BGZF_MAX_BLOCK_DATA = 65_536;

const u16 = (bytes: Uint8Array, at: number) => (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);

export const isGzip = (bytes: Uint8Array, at = 0): boolean => bytes[at] === 0x1f && bytes[at + 1] === 0x8b;

/** The header htslib accepts: gzip, deflate, FEXTRA, XLEN 6 with the `BC` subfield of length 2 first. */
export function isBgzfHeader(bytes: Uint8Array, at: number): boolean {
  return (
    at + BGZF_HEADER_LENGTH <= bytes.length &&
    isGzip(bytes, at) &&
    bytes[at + 2] === 0x08 &&
    ((bytes[at + 3] ?? 0) & 0x04) !== 0 &&
    u16(bytes, at + 10) === 6 &&
    bytes[at + 12] === 0x42 &&
    bytes[at + 13] === 0x43 &&
    u16(bytes, at + 14) === 2
  );
}

/** The whole block's size (BSIZE + 1) from the header at `at`. */
export const bgzfBlockSize = (bytes: Uint8Array, at: number): number => u16(bytes, at + 16) + 1;

/** Whether `bytes` ends with the EOF block. */
export function endsWithBgzfEof(bytes: Uint8Array): boolean {
  const start = bytes.length - BGZF_EOF_BYTES.length;
  return start >= 0 && BGZF_EOF_BYTES.every((byte, i) => bytes[start + i] === byte);
}

export const NOT_BGZIP_MESSAGE =
  'The file is gzip- but not bgzip-compressed: recompress it with `gzip -dc file.vcf.gz | bgzip > fixed.vcf.gz` and upload fixed.vcf.gz.';

/** How many compressed bytes of a plain gzip file are inflated to tell what it holds. */
export const GZIP_SNIFF_BYTES = 2048;

/**
 * A damaged block. The upload carried the file's bytes as they are (its length is checked, and its
 * checksum when the client gave one), so the damage is in the file itself, not in the transfer.
 */
export const corruptBlockMessage = (offset: number, why: string): string =>
  `the compressed block at byte ${offset} is damaged (${why}): the file itself is corrupt (\`bgzip -t file.vcf.gz\` shows it); re-create it from its source, or restore an intact copy.`;

/** The file ends at byte `end`, inside the block that starts at byte `blockStart`. */
export const endsInsideBlockMessage = (end: number, blockStart: number): string =>
  `the file ends inside a compressed block (at byte ${end}, in the block starting at byte ${blockStart}): the file itself is cut short, as it is on disk, not in transfer (a copy or a compression that did not finish). \`bgzip -t file.vcf.gz\` shows it; re-create the file from its source, then upload the new file.`;

/** The file ends at byte `end`, after a whole block that is not the EOF block. */
export const endsWithoutEofMessage = (end: number): string =>
  `the file ends at byte ${end} without the BGZF end-of-file block that bgzip writes last: the file itself is cut short at a block boundary, as it is on disk, or its writer did not finish. \`bgzip -t file.vcf.gz\` shows it; re-create the file from its source (\`bcftools view -Oz\` or \`bgzip\`), then upload the new file.`;
