/**
 * What a file that is not a bgzipped VCF is instead, told from its first bytes, so the advice fits the
 * file in hand: compressing a plain VCF with bgzip is right, "compress it with bgzip" for a zip archive,
 * a BCF or a spreadsheet is not. Pure (no Node APIs): the console tells the same from a picked file.
 */
import { NOT_BGZIP_MESSAGE } from './bgzf-format';
import { excerpt } from './vcf-problems';

const startsWith = (bytes: Uint8Array, ...prefix: number[]) => prefix.every((byte, i) => bytes[i] === byte);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** Printable start of the bytes, for a message (control characters shown as "."). */
function shown(bytes: Uint8Array): string {
  const text = Array.from(bytes.subarray(0, 40), (b) =>
    b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.',
  );
  return excerpt(text.join(''), 30);
}

const OTHER_COMPRESSION: ReadonlyArray<[string, number[], string]> = [
  ['bzip2', ascii('BZh'), 'bunzip2'],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'unxz'],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd], 'unzstd'],
];

/** Why a file whose first bytes are not gzip cannot be used, and what to do instead. */
export function notGzipMessage(first: Uint8Array): string {
  if (first.length === 0) return 'The file is empty (0 bytes): upload the bgzipped VCF itself.';
  if (startsWith(first, ...ascii('##fileformat=VCF'))) {
    return 'The file is an uncompressed VCF with a .vcf.gz name: give it back its .vcf name and compress it (`mv file.vcf.gz file.vcf && bgzip file.vcf` writes file.vcf.gz), then upload that.';
  }
  if (startsWith(first, 0x50, 0x4b, 0x03, 0x04)) {
    return 'The file is a zip archive, not a bgzipped VCF: unzip it, then compress the VCF inside with `bgzip` and upload that (the services take .vcf.gz files, not archives).';
  }
  if (startsWith(first, ...ascii('BCF'))) return BCF_MESSAGE;
  for (const [name, magic, tool] of OTHER_COMPRESSION) {
    if (startsWith(first, ...magic)) {
      return `The file is ${name}-compressed, not bgzip-compressed: decompress it (\`${tool}\`), then compress the VCF with \`bgzip\`.`;
    }
  }
  return `The file is neither gzip-compressed nor a VCF (it starts with "${shown(first)}"): upload the bgzipped VCF (.vcf.gz) itself.`;
}

/**
 * Why a gzip file that is not BGZF cannot be used, from what its first bytes inflate to (null when they
 * could not be inflated): recompressing with bgzip is the fix only when it holds a VCF.
 */
export function notBgzipMessage(inflated: Uint8Array | null): string {
  if (inflated === null || inflated.length === 0 || startsWith(inflated, ...ascii('##fileformat=VCF'))) {
    return NOT_BGZIP_MESSAGE;
  }
  if (startsWith(inflated.subarray(257), ...ascii('ustar'))) {
    return 'The file is a gzip-compressed tar archive (.tar.gz), not a bgzipped VCF: extract it (`tar -xzf`), then compress the VCF inside with `bgzip` and upload that.';
  }
  if (startsWith(inflated, ...ascii('BCF'))) return BCF_MESSAGE;
  return `The file is gzip-compressed but holds no VCF (it starts with "${shown(inflated)}"): upload the bgzipped VCF itself.`;
}

const BCF_MESSAGE =
  'The file is BCF (binary VCF), not VCF: convert it with `bcftools view -Oz -o file.vcf.gz file.bcf` and upload the .vcf.gz.';

/** Why decompressed data that does not start with `##fileformat=VCF` cannot be used. */
export function notVcfMessage(firstLine: string): string {
  if (firstLine.startsWith('BCF')) return BCF_MESSAGE;
  if (firstLine.length === 0) {
    return 'The file does not start with a VCF header (##fileformat=VCFv4.x); its first line is empty.';
  }
  const start = Array.from(firstLine.slice(0, 40), (c) => (c >= ' ' && c <= '~' ? c : '.')).join('');
  if (firstLine.startsWith('##') || firstLine.startsWith('#CHROM')) {
    // A VCF that lost its first line (written by hand, or cut by a tool): that line is the fix.
    return `The VCF header lacks its first line, ##fileformat=VCFv4.2 (the file starts with "${excerpt(start, 30)}"): add it at the top, e.g. \`(echo '##fileformat=VCFv4.2'; gzip -dc file.vcf.gz) | bgzip > fixed.vcf.gz\`, and upload fixed.vcf.gz.`;
  }
  return `The file does not start with a VCF header (##fileformat=VCFv4.x); it starts with "${excerpt(start, 30)}": is it a VCF? Genotypes in another format (PLINK, a table) must be converted to VCF first (e.g. \`plink --recode vcf bgz\`).`;
}
