/**
 * Synthetic VCFs for tests, the local walkthrough and benchmarks: deterministic genotypes, any number of
 * samples and records, written as real BGZF (the blocked gzip the services require) without needing
 * bgzip installed. `fault` plants one defect the validator must find at a known line (`recordLine`), and
 * `truncateBgzf` cuts a file the way an interrupted upload does.
 */
import { gzipSync } from 'node:zlib';
import { bgzfBlock, BGZF_BLOCK_INPUT as MAX_BLOCK_INPUT } from '#infra/local/simulator/bgzf';
import { BGZF_EOF } from '#shared/vcf/bgzf-reader';

export { bgzfBlock, bgzfFrame } from '#infra/local/simulator/bgzf';
export { BGZF_EOF };

/**
 * Streams text into BGZF blocks as bgzip does (full 65,280-byte inputs, the EOF block last), handing each
 * block to `sink` as soon as it is made: memory stays at one block whatever is written.
 */
export class BgzfWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly sink: (block: Buffer) => void,
    private readonly level = 6,
  ) {}

  write(data: Buffer | string): void {
    let input = Buffer.isBuffer(data) ? data : Buffer.from(data);
    while (input.length > 0) {
      const take = Math.min(input.length, MAX_BLOCK_INPUT - this.pendingBytes);
      this.pending.push(input.subarray(0, take));
      this.pendingBytes += take;
      input = input.subarray(take);
      if (this.pendingBytes === MAX_BLOCK_INPUT) this.flush();
    }
  }

  /** Writes the last partial block and the EOF block. */
  end(): void {
    this.flush();
    this.sink(BGZF_EOF);
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    this.sink(bgzfBlock(Buffer.concat(this.pending, this.pendingBytes), this.level));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Stored (level 0) BGZF: as large compressed as the text, to make files past a reader's head cheaply. */
export function storedBgzf(text: string): Buffer {
  const blocks: Buffer[] = [];
  const writer = new BgzfWriter((block) => blocks.push(block), 0);
  writer.write(text);
  writer.end();
  return Buffer.concat(blocks);
}

export function bgzip(data: Buffer | string): Buffer {
  const blocks: Buffer[] = [];
  const writer = new BgzfWriter((block) => blocks.push(block));
  writer.write(data);
  writer.end();
  return Buffer.concat(blocks);
}

/** One defect planted at record `at` (0-based); `recordLine(spec, at)` is the line the validator names. */
export type VcfFault =
  /** Record `at` gets the position of the record before it, and that one its own: `at` is out of order. */
  | { kind: 'unsorted'; at: number }
  /** Record `at` lacks its last sample. */
  | { kind: 'fewerSamples'; at: number }
  /** Records from `at` on are on `chromosome` (default: the next one, same naming). */
  | { kind: 'secondChromosome'; at: number; chromosome?: string }
  /** Sample 3 of record `at` has the genotype `genotype` (default `0|x`). */
  | { kind: 'badGenotype'; at: number; genotype?: string };

export interface VcfSpec {
  samples?: number;
  records?: number;
  /** e.g. '20' for hg19 naming or 'chr20' for hg38 naming. */
  chromosome?: string;
  startPosition?: number;
  /** Unphased genotypes (`0/1`) instead of phased ones (`0|1`). */
  unphased?: boolean;
  /** The length given in the chromosome's `##contig` line (none by default). */
  contigLength?: number;
  /** Meta lines after `##fileformat`, e.g. `##reference=file:///ref/GRCh38.fa`. */
  meta?: string[];
  fault?: VcfFault;
}

/** fileformat, meta lines, contig(s), FORMAT, #CHROM. */
const headerLines = (spec: VcfSpec) =>
  (spec.fault?.kind === 'secondChromosome' ? 5 : 4) + (spec.meta?.length ?? 0);

/** The 1-based line of record `index` (0-based) in `vcfText(spec)`. */
export function recordLine(spec: VcfSpec, index: number): number {
  return headerLines(spec) + index + 1;
}

/** The position `vcfText` gives record `index` when no fault moves it. */
export function recordPosition(spec: VcfSpec, index: number): number {
  return (spec.startPosition ?? 60_000) + index * 137;
}

function nextChromosome(chromosome: string): string {
  const prefix = chromosome.startsWith('chr') ? 'chr' : '';
  const number = Number(chromosome.slice(prefix.length));
  return `${prefix}${Number.isInteger(number) && number < 22 ? number + 1 : 1}`;
}

export function vcfText(spec: VcfSpec = {}): string {
  const samples = spec.samples ?? 50;
  const records = spec.records ?? 100;
  const chromosome = spec.chromosome ?? '20';
  const fault = spec.fault;
  const separator = spec.unphased ? '/' : '|';
  const bases = ['A', 'C', 'G', 'T'];
  const second = fault?.kind === 'secondChromosome' ? (fault.chromosome ?? nextChromosome(chromosome)) : null;
  const lines = [
    '##fileformat=VCFv4.2',
    ...(spec.meta ?? []),
    spec.contigLength === undefined
      ? `##contig=<ID=${chromosome}>`
      : `##contig=<ID=${chromosome},length=${spec.contigLength}>`,
    ...(second ? [`##contig=<ID=${second}>`] : []),
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
      .concat(Array.from({ length: samples }, (_, i) => `S${i + 1}`))
      .join('\t'),
  ];
  for (let r = 0; r < records; r++) {
    const ref = bases[r % 4]!;
    const alt = bases[(r + 1) % 4]!;
    let genotypes = Array.from(
      { length: samples },
      (_, s) => `${(r + s) % 2}${separator}${(r * 7 + s) % 3 === 0 ? 1 : 0}`,
    );
    let position = recordPosition(spec, r);
    let contig = chromosome;
    if (fault?.kind === 'unsorted' && r === fault.at - 1) position = recordPosition(spec, fault.at);
    if (fault?.kind === 'unsorted' && r === fault.at) position = recordPosition(spec, fault.at - 1);
    if (fault?.kind === 'fewerSamples' && r === fault.at) genotypes = genotypes.slice(0, -1);
    if (second && fault?.kind === 'secondChromosome' && r >= fault.at) contig = second;
    if (fault?.kind === 'badGenotype' && r === fault.at) genotypes[2] = fault.genotype ?? '0|x';
    lines.push(
      [contig, position, `rs${100_000 + r}`, ref, alt, '.', 'PASS', '.', 'GT', ...genotypes].join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A bgzipped VCF; `gzipOnly` makes plain gzip instead (what the services reject). */
export function makeVcfGz(spec: VcfSpec & { gzipOnly?: boolean } = {}): Buffer {
  const text = vcfText(spec);
  return spec.gzipOnly ? gzipSync(text) : bgzip(text);
}

/** A .tar.gz holding one file `name` with `content`: what some pipelines hand over instead of a VCF. */
export function tarGz(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
  header.write('ustar\0', 257);
  header.write('00', 263);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  body.write(content);
  return gzipSync(Buffer.concat([header, body, Buffer.alloc(1024)]));
}

/** Offsets of the BGZF blocks of `file` (the EOF block included), read from their BSIZE fields. */
export function bgzfBlockOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset + 18 <= file.length; offset += file.readUInt16LE(offset + 16) + 1) {
    offsets.push(offset);
  }
  return offsets;
}

/**
 * What an interrupted upload leaves: `no-eof` drops the EOF block (the file ends at a block boundary),
 * `mid-block` cuts the last data block in half.
 */
export function truncateBgzf(file: Buffer, how: 'no-eof' | 'mid-block'): Buffer {
  const offsets = bgzfBlockOffsets(file);
  const eof = offsets.at(-1)!;
  if (how === 'no-eof') return file.subarray(0, eof);
  const last = offsets.at(-2)!;
  return file.subarray(0, last + Math.floor((eof - last) / 2));
}
