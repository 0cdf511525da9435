/**
 * Synthetic VCFs for tests, the local walkthrough and benchmarks: deterministic genotypes, any number of
 * samples and records, written as real BGZF (the blocked gzip the services require) without needing
 * bgzip installed.
 */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');
const MAX_BLOCK_INPUT = 65_280;

/** One BGZF block: a gzip member whose extra field `BC` records the block's compressed size. */
function bgzfBlock(data: Buffer): Buffer {
  const deflated = deflateRawSync(data, { level: 6 });
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 0, 0]);
  header.writeUInt16LE(header.length + deflated.length + 8 - 1, 16);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, deflated, trailer]);
}

export function bgzip(data: Buffer | string): Buffer {
  const input = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += MAX_BLOCK_INPUT) {
    blocks.push(bgzfBlock(input.subarray(offset, offset + MAX_BLOCK_INPUT)));
  }
  return Buffer.concat([...blocks, BGZF_EOF]);
}

export interface VcfSpec {
  samples?: number;
  records?: number;
  /** e.g. '20' for hg19 naming or 'chr20' for hg38 naming. */
  chromosome?: string;
  startPosition?: number;
}

export function vcfText(spec: VcfSpec = {}): string {
  const samples = spec.samples ?? 50;
  const records = spec.records ?? 100;
  const chromosome = spec.chromosome ?? '20';
  const start = spec.startPosition ?? 60_000;
  const bases = ['A', 'C', 'G', 'T'];
  const lines = [
    '##fileformat=VCFv4.2',
    `##contig=<ID=${chromosome}>`,
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
      .concat(Array.from({ length: samples }, (_, i) => `S${i + 1}`))
      .join('\t'),
  ];
  for (let r = 0; r < records; r++) {
    const ref = bases[r % 4]!;
    const alt = bases[(r + 1) % 4]!;
    const genotypes = Array.from(
      { length: samples },
      (_, s) => `${(r + s) % 2}|${(r * 7 + s) % 3 === 0 ? 1 : 0}`,
    );
    lines.push(
      [chromosome, start + r * 137, `rs${100_000 + r}`, ref, alt, '.', 'PASS', '.', 'GT', ...genotypes].join(
        '\t',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A bgzipped VCF; `gzipOnly` makes plain gzip instead (what the services reject). */
export function makeVcfGz(spec: VcfSpec & { gzipOnly?: boolean } = {}): Buffer {
  const text = vcfText(spec);
  return spec.gzipOnly ? gzipSync(text) : bgzip(text);
}
