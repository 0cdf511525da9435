/**
 * Reads a submitted VCF's decompressed bytes once, as they stream in, and keeps only what the simulated
 * service needs: the header's sample ids (capped), the chromosome, counts per chunk and per QC verdict,
 * the first problem the services would report (in imputationserver's VcfFileUtil words), and a bounded
 * sample of sites — the first ones and a reservoir — to impute around. Lines are handled in place where
 * they arrive; only the head of a line that spans chunks is copied (64 KiB at most), a record's first ten
 * columns are all it decodes, and the sample header is split as it streams, so memory stays flat for
 * any file and any sample count.
 */
import { seededRandom } from './seeded-random';
import { bareChromosome, chunkOf, classifySite } from './site-qc';
import type { CapturedSite, SubmittedVcf } from './types';

const NEWLINE = 0x0a;
const TAB = 0x09;
const HEAD_LIMIT = 64 * 1024;
/** The services refuse more samples than this, so no more ids are worth keeping. */
export const MAX_SAMPLES = 50_000;
const FIRST_SITES = 200;
const RESERVOIR_SITES = 200;
const LISTED_SITES = 1000;
const MAX_ID_BYTES = 1024;

const MALFORMED_HEADER =
  'Your input file has a malformed header: We never saw the required CHROM header line (starting with one #) for the input VCF file';

/** How the file was compressed, which decides what the index step (after the scan) says. */
export type Compression = 'bgzf' | 'gzip' | 'plain';

/** The `#CHROM` line split on tabs as it streams: the columns are counted, the sample ids kept (capped). */
class HeaderColumns {
  columns = 0;
  readonly ids: string[] = [];
  duplicate: string | undefined;
  private readonly seen = new Set<string>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(bytes: Buffer, start: number, end: number): void {
    for (let at = start; at < end; ) {
      const tab = bytes.indexOf(TAB, at);
      const stop = tab === -1 || tab >= end ? end : tab;
      this.keep(bytes.subarray(at, stop));
      if (stop === end) return;
      this.column();
      at = stop + 1;
    }
  }

  end(): void {
    this.column();
  }

  private keep(piece: Buffer): void {
    const room = MAX_ID_BYTES - this.pendingBytes;
    if (room <= 0 || piece.length === 0) return;
    this.pending.push(Buffer.from(piece.subarray(0, room)));
    this.pendingBytes += Math.min(room, piece.length);
  }

  private column(): void {
    const name = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').replace(/\r$/, '');
    this.pending = [];
    this.pendingBytes = 0;
    if (this.columns++ < 9 || this.ids.length >= MAX_SAMPLES) return;
    if (this.seen.has(name)) this.duplicate ??= name;
    this.seen.add(name);
    this.ids.push(name);
  }
}

/** The first ten columns of a record (CHROM … the first sample): all any check needs, whatever the line's length. */
function firstColumns(buffer: Buffer, start: number, end: number): string[] {
  let prefixEnd = end;
  for (let at = start, tabs = 0; ; at++) {
    const tab = buffer.indexOf(TAB, at);
    if (tab === -1 || tab >= end) break;
    at = tab;
    if (++tabs === 10) {
      prefixEnd = tab;
      break;
    }
  }
  return buffer.toString('latin1', start, prefixEnd).replace(/\r$/, '').split('\t');
}

export class VcfScanner {
  /** A problem was found that ends the service's reading: nothing more is worth scanning. */
  stopped = false;
  private readonly summary: SubmittedVcf;
  private mode: 'line' | 'header' | 'skip' = 'line';
  private head: Buffer[] = [];
  private headBytes = 0;
  private header: HeaderColumns | undefined;
  private headerSeen = false;
  private lastPosition = -1;
  private unsorted: string | undefined;
  private readonly chunks = new Map<number, { sites: number; passed: number }>();
  private readonly firstSites: CapturedSite[] = [];
  private readonly reservoir: CapturedSite[] = [];
  private sitesSeen = 0;
  private readonly random = seededRandom(0x5eed);

  constructor(name: string) {
    this.summary = {
      name,
      samples: [],
      sampleCount: 0,
      snps: 0,
      phased: true,
      chunks: [],
      excluded: {},
      typedOnly: 0,
      strandAmbiguous: 0,
      excludedSites: [],
      typedOnlySites: [],
      sites: [],
    };
  }

  /** Decompressed bytes of the file, in order. */
  feed(data: Buffer): void {
    for (let at = 0; at < data.length && !this.stopped; ) {
      const newline = data.indexOf(NEWLINE, at);
      const end = newline === -1 ? data.length : newline;
      if (this.mode === 'header') this.header?.push(data, at, end);
      else if (this.mode === 'line') {
        if (this.headBytes === 0 && newline !== -1) this.line(data, at, end);
        else this.keep(data, at, end, newline !== -1);
      }
      if (newline === -1) return;
      if (this.mode === 'header') this.endHeader();
      this.mode = 'line';
      at = newline + 1;
    }
  }

  /**
   * The summary, with the problem the service reports first: reading the file (`readError`: the
   * compressed stream broke off, and its last line is not a line), then indexing it.
   */
  finish(compression: Compression, readError?: string): SubmittedVcf {
    if (!this.stopped && this.mode === 'header' && !readError) this.endHeader();
    if (!this.stopped && this.headBytes > 0 && !readError) this.keep(Buffer.alloc(0), 0, 0, true);
    const summary = this.summary;
    if (!summary.problem && readError) summary.problem = readError;
    if (!summary.problem && !this.headerSeen) summary.problem = MALFORMED_HEADER;
    if (!summary.problem && compression !== 'bgzf' && summary.snps > 0) {
      summary.problem =
        'The provided VCF file is malformed. Error during index creation: the file is not compressed with bgzip (BGZF).';
    }
    if (!summary.problem && this.unsorted) {
      summary.problem = `The provided VCF file is malformed. Error during index creation: Input file is not sorted by start position. \n${this.unsorted}`;
    }
    summary.chunks = [...this.chunks].map(([chunk, counts]) => ({ chunk, ...counts }));
    summary.sites = [...this.firstSites, ...this.reservoir].sort((a, b) => a.position - b.position);
    return summary;
  }

  /** Ends the reading with the service's message. */
  fail(problem: string): void {
    this.summary.problem ??= problem;
    this.stopped = true;
  }

  /** Part of a line: kept up to 64 KiB; a longer line is decided on its head (a header goes on streaming). */
  private keep(data: Buffer, start: number, end: number, complete: boolean): void {
    const take = Math.min(end - start, HEAD_LIMIT - this.headBytes);
    if (take > 0) {
      this.head.push(Buffer.from(data.subarray(start, start + take)));
      this.headBytes += take;
    }
    if (!complete && this.headBytes < HEAD_LIMIT) return;
    const joined = Buffer.concat(this.head, this.headBytes);
    this.head = [];
    this.headBytes = 0;
    if (complete) {
      this.line(joined, 0, joined.length);
      return;
    }
    if (joined.toString('latin1', 0, 6) === '#CHROM') {
      this.header = new HeaderColumns();
      this.header.push(joined, 0, joined.length);
      this.header.push(data, start + take, end);
      this.mode = 'header';
    } else {
      this.line(joined, 0, joined.length);
      this.mode = 'skip';
    }
  }

  private line(buffer: Buffer, start: number, end: number): void {
    if (end === start) return;
    if (buffer[start] === 0x23) {
      if (buffer.toString('latin1', start, start + 6) !== '#CHROM') return;
      this.header = new HeaderColumns();
      this.header.push(buffer, start, end);
      this.endHeader();
      return;
    }
    this.record(buffer, start, end);
  }

  private endHeader(): void {
    const header = this.header;
    if (!header) return;
    header.end();
    this.header = undefined;
    this.headerSeen = true;
    this.summary.samples = header.ids;
    this.summary.sampleCount = Math.max(0, header.columns - 9);
    if (header.duplicate !== undefined) {
      this.fail(`Two individuals or more have the following ID: ${header.duplicate}`);
    }
  }

  private record(buffer: Buffer, start: number, end: number): void {
    const fields = this.headerSeen ? firstColumns(buffer, start, end) : [];
    const problem = this.headerSeen ? this.problemOf(fields) : MALFORMED_HEADER;
    if (problem) {
      this.fail(problem);
      return;
    }
    const [chromosome = '', positionText = '', id = '.', ref = '', alt = ''] = fields;
    const summary = this.summary;
    const position = Number(positionText);
    if (fields[9]?.includes('/')) summary.phased = false;
    if (position < this.lastPosition && this.unsorted === undefined) {
      this.unsorted = `We saw a record with a start of ${chromosome}:${position} after a record with a start of ${chromosome}:${this.lastPosition}`;
    }
    summary.snps++;
    const chunk = chunkOf(position);
    const counts = this.chunks.get(chunk) ?? { sites: 0, passed: 0 };
    counts.sites++;
    this.chunks.set(chunk, counts);
    const verdict = classifySite({ position, ref, alt, filter: fields[6] ?? '.' }, this.lastPosition);
    this.lastPosition = position;
    const alleles = [ref, alt].sort().join('');
    if (alleles === 'AT' || alleles === 'CG') summary.strandAmbiguous++;
    const name = `${chromosome}:${position}:${ref}:${alt}`;
    if (verdict === 'typed-only') {
      summary.typedOnly++;
      if (summary.typedOnlySites.length < LISTED_SITES) summary.typedOnlySites.push(name);
      this.capture({ position, id, ref, alt, typedOnly: true });
    } else if (verdict === 'match') {
      counts.passed++;
      this.capture({ position, id, ref, alt });
    } else {
      summary.excluded[verdict] = (summary.excluded[verdict] ?? 0) + 1;
      if (summary.excludedSites.length < LISTED_SITES) summary.excludedSites.push(`${name}\t${verdict}\t-`);
    }
  }

  /** What the services' reader stops at in a record, in its words (VcfFileUtil). */
  private problemOf(fields: string[]): string | undefined {
    if (fields.length < 3) return 'The provided VCF file is not tab-delimited';
    const [chromosome = '', positionText = '', id = '.', ref = '', alt = ''] = fields;
    this.summary.chromosome ??= chromosome;
    if (bareChromosome(chromosome) !== bareChromosome(this.summary.chromosome)) {
      return 'The provided VCF file contains more than one chromosome. Please split your input VCF file by chromosome';
    }
    if (!/^\d{1,10}$/.test(positionText)) return `For input string: "${positionText}"`;
    if (ref === alt) {
      return `The provided VCF file is malformed at variation ${id}: reference allele (${ref}) and alternate allele  (${alt}) are the same.`;
    }
    return undefined;
  }

  /** The first sites, then a reservoir sample (algorithm R) of the rest. */
  private capture(site: CapturedSite): void {
    this.sitesSeen++;
    if (this.firstSites.length < FIRST_SITES) {
      this.firstSites.push(site);
    } else if (this.reservoir.length < RESERVOIR_SITES) {
      this.reservoir.push(site);
    } else {
      const slot = Math.floor(this.random() * (this.sitesSeen - FIRST_SITES));
      if (slot < RESERVOIR_SITES) this.reservoir[slot] = site;
    }
  }
}
