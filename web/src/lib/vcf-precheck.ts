/**
 * What can be told of a picked file before a byte of it is uploaded, from its head (the first MiB) and
 * its tail (the last 256 KiB) only, so it takes milliseconds whatever the file's size: BGZF framing and
 * the EOF block (bgzf-head-tail.ts), the VCF header through the validator's own `checkHeaderLine`, the
 * sample count, the first records' chromosome (valid, one per file) and order, and the evidence of the
 * build — the header's contigs and reference, the chromosome, and the highest position, which is the
 * last record's (read from the tail). Every problem is said by the functions the server's check uses
 * (shared/vcf/), so the console and the server give the same advice for the same cause; a record this
 * cannot judge whole (its columns, alleles, genotypes) ends the reading, and the server's check of the
 * whole file judges it. A file small enough to be read whole (1 MiB, inflating to at most 16 MiB) is
 * checked as far as the server would, and its framing problems are said with the same line count.
 */

import { GZIP_SNIFF_BYTES, isBgzfHeader, isGzip } from '../../../shared/vcf/bgzf-format';
import { notBgzipMessage, notGzipMessage } from '../../../shared/vcf/file-kind';
import { type BuildFacts, type BuildJudgement, judgeBuild } from '../../../shared/vcf/genome-builds';
import { checkHeaderLine, emptyHeaderState, type HeaderState } from '../../../shared/vcf/vcf-header';
import {
  invalidChromosomeProblem,
  MISSING_PART_PROBLEMS,
  mixedChromosomesProblem,
  unsortedProblem,
  VcfInputError,
  type VcfProblem,
} from '../../../shared/vcf/vcf-problems';
import {
  type Bytes,
  concat,
  headBlocks,
  inflateBlock,
  inflateGzipHead,
  readBytes,
  tailEnding,
  truncation,
} from './bgzf-head-tail';

export const HEAD_BYTES = 1024 * 1024;
export const TAIL_BYTES = 256 * 1024;
/** Inflated bytes of the head worth reading: a long header and thousands of records. */
const HEAD_DATA_BYTES = 16 * 1024 * 1024;
/** Record bytes worth judging (a 50,000-sample record is ~200 KB: tens of them). */
const RECORD_DATA_BYTES = 4 * 1024 * 1024;

export type Precheck =
  | {
      ok: true;
      /** Null when the header goes on past what was read (the server's check reads the rest). */
      samples: number | null;
      /** The records' chromosome (null before any record was read). */
      chromosome: string | null;
      recordsRead: number;
      /** The file was small enough to be read whole (what it inflates to, too). */
      wholeFile: boolean;
      /** What bears on the build: header contigs and reference, the chromosome, the highest position. */
      facts: BuildFacts;
      judgement: BuildJudgement;
    }
  | ({ ok: false } & VcfProblem);

export async function precheckVcf(file: Blob): Promise<Precheck> {
  const small = file.size <= HEAD_BYTES;
  const head = await readBytes(file, 0, Math.min(file.size, HEAD_BYTES));
  // Not BGZF at all: said from the first bytes, as the validator says it.
  if (!isBgzfHeader(head, 0)) {
    const problem = isGzip(head)
      ? {
          code: 'NOT_BGZIP' as const,
          message: notBgzipMessage(await inflateGzipHead(head.subarray(0, GZIP_SNIFF_BYTES))),
        }
      : { code: 'NOT_GZIP' as const, message: notGzipMessage(head.subarray(0, 64)) };
    return { ok: false, ...problem };
  }
  const reader = new HeadReader();
  let whole = false;
  try {
    let readTo = 0;
    for await (const block of headBlocks(head, small, HEAD_DATA_BYTES)) {
      reader.push(block.data);
      readTo = block.offset + block.size;
      // A small file is read on for its line count, which a framing problem at its end is said with.
      if (!small && reader.done) break;
    }
    whole = small && readTo === head.length;
    if (whole) reader.finish();
  } catch (error) {
    if (!(error instanceof VcfInputError)) throw error;
    return { ok: false, ...reader.problemOf(error) };
  }
  if (whole) {
    const missing = reader.missingPart();
    if (missing) return { ok: false, ...missing };
  } else {
    const tailStart = Math.max(0, file.size - TAIL_BYTES);
    const tail = await readBytes(file, tailStart, file.size);
    const ending = tailEnding(tail, tailStart);
    const cut = truncation(ending, file.size);
    if (cut) return { ok: false, code: cut.code, message: cut.message };
    if (ending.kind === 'eof' && reader.records.chromosome !== null) {
      const last = await lastRecord(tail, ending.blocks);
      reader.seeLastRecord(last);
    }
  }
  return reader.result(whole);
}

/** Where the records stand: the validator's RecordState, as far as this reads it. */
interface RecordsRead {
  chromosome: string | null;
  lastPosition: number;
  count: number;
  /** A record this cannot judge whole was met: the rest is left to the server's check. */
  stopped: boolean;
}

const NEWLINE = 0x0a;
const TAB = 0x09;
const HASH = 0x23;
const utf8 = new TextDecoder();
/** The validator reads CHROM as latin1 (TextDecoder's "latin1" is windows-1252); names are short. */
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, 1024));
const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

/** Lines of the inflated head, one at a time: the header through the validator's rules, then records. */
class HeadReader {
  private header: HeaderState = emptyHeaderState();
  private carry: Bytes = new Uint8Array(0);
  /** Complete lines read: a framing problem is said "after line N" as the validator says it. */
  lines = 0;
  private recordBytes = 0;
  records: RecordsRead = { chromosome: null, lastPosition: 0, count: 0, stopped: false };

  get done(): boolean {
    return this.records.stopped;
  }

  push(data: Bytes): void {
    const bytes = this.carry.length > 0 ? concat([this.carry, data]) : data;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      this.line(bytes, start, end);
      start = end + 1;
    }
    this.carry = bytes.slice(start);
  }

  /** The last line of a whole file may lack its newline. */
  finish(): void {
    if (this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
    this.carry = new Uint8Array(0);
  }

  private line(bytes: Bytes, start: number, end: number): void {
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    this.lines += 1;
    if (this.header.sampleCount === null) {
      checkHeaderLine(utf8.decode(bytes.subarray(start, stop)), this.lines, this.header);
    } else if (!this.records.stopped) {
      this.recordBytes += stop - start;
      if (this.recordBytes > RECORD_DATA_BYTES) this.records.stopped = true;
      else this.record(bytes, start, stop);
    }
  }

  /** CHROM and POS of a record, judged as the validator judges them, once its fixed columns are there. */
  private record(bytes: Bytes, start: number, end: number): void {
    const columns = splitFixed(bytes, start, end, this.header.sampleCount!);
    if (!columns) {
      this.records.stopped = true;
      return;
    }
    const records = this.records;
    const name = latin1(bytes.subarray(start, columns.chromEnd));
    if (name !== records.chromosome) {
      const problem =
        records.chromosome === null
          ? invalidChromosomeProblem(name)
          : mixedChromosomesProblem(name, records.chromosome);
      if (problem) throw new VcfInputError(problem.code, problem.message, this.lines);
      records.chromosome = name;
    }
    if (columns.position < records.lastPosition) {
      const { code, message } = unsortedProblem(columns.position, records.lastPosition);
      throw new VcfInputError(code, message, this.lines);
    }
    records.lastPosition = columns.position;
    records.count += 1;
  }

  /** The tail's last record raises the highest position, when it is the same chromosome's and in order. */
  seeLastRecord(last: { chromosome: string; position: number } | null): void {
    if (last && last.chromosome === this.records.chromosome && last.position > this.records.lastPosition) {
      this.records.lastPosition = last.position;
    }
  }

  problemOf(error: VcfInputError): VcfProblem {
    if (error.line !== undefined) return { code: error.code, message: error.message, line: error.line };
    return {
      code: error.code,
      message: this.lines > 0 ? `after line ${this.lines}, ${error.message}` : error.message,
    };
  }

  missingPart(): VcfProblem | null {
    if (this.header.sampleCount === null) {
      return this.header.fileformat ? MISSING_PART_PROBLEMS.noChromLine : MISSING_PART_PROBLEMS.noLines;
    }
    return this.records.count === 0 && !this.records.stopped ? MISSING_PART_PROBLEMS.noRecords : null;
  }

  result(whole: boolean): Precheck {
    const facts: BuildFacts = {
      chromosome: this.records.chromosome,
      lastPosition: this.records.lastPosition,
      reference: this.header.reference,
      contigs: this.header.contigs,
    };
    return {
      ok: true,
      samples: this.header.sampleCount,
      chromosome: this.records.chromosome,
      recordsRead: this.records.count,
      wholeFile: whole,
      facts,
      judgement: judgeBuild(facts),
    };
  }
}

const MAX_POSITION = 2_147_483_647;

/**
 * CHROM's end and POS of a record with every column the #CHROM line names, REF and ALT present and
 * different; null for any other record (the validator then has its own word for it).
 */
function splitFixed(bytes: Bytes, start: number, end: number, samples: number) {
  const expected = samples > 0 ? 9 + samples : 8;
  // Only the first five tabs' places are kept: a record may have 50,000 columns.
  const tabs = [0, 0, 0, 0, 0];
  let columns = 1;
  for (let at = bytes.indexOf(TAB, start); at !== -1 && at < end; at = bytes.indexOf(TAB, at + 1)) {
    if (columns <= tabs.length) tabs[columns - 1] = at;
    columns += 1;
    if (columns > expected) return null;
  }
  if (bytes[start] === HASH || columns !== expected || tabs[0] === start) return null;
  const [chromEnd, posEnd, idEnd, refEnd, altEnd] = tabs as [number, number, number, number, number];
  const position = parsePosition(bytes, chromEnd + 1, posEnd);
  const ref = bytes.subarray(idEnd + 1, refEnd);
  const alt = bytes.subarray(refEnd + 1, altEnd);
  if (position === null || ref.length === 0 || alt.length === 0 || sameBytes(ref, alt)) return null;
  return { chromEnd, position };
}

function parsePosition(bytes: Bytes, start: number, end: number): number | null {
  if (end <= start || end - start > 10) return null;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value >= 1 && value <= MAX_POSITION ? value : null;
}

/** CHROM and POS of the file's last record, from the whole blocks at the end of its tail. */
async function lastRecord(
  tail: Bytes,
  blocks: readonly { at: number; size: number }[],
): Promise<{ chromosome: string; position: number } | null> {
  const inflated: Bytes[] = [];
  // From the last block back, until the data holds the start of the last line.
  for (let index = blocks.length - 1; index >= 0; index--) {
    const { at, size } = blocks[index]!;
    try {
      inflated.unshift(await inflateBlock(tail.subarray(at, at + size), at));
    } catch {
      return null; // a damaged block at the end: the server's check says where
    }
    const data = concat(inflated);
    let end = data.length;
    while (end > 0 && (data[end - 1] === NEWLINE || data[end - 1] === 0x0d)) end--;
    const start = data.lastIndexOf(NEWLINE, end - 1);
    if (end === 0 || start === -1) continue;
    const line = latin1(data.subarray(start + 1, end)).split('\t', 3);
    const position = Number(line[1]);
    return line.length === 3 && Number.isInteger(position) ? { chromosome: line[0]!, position } : null;
  }
  return null;
}

/** Size and SHA-256 of the first and last 64 KiB: the same file picked twice has the same. */
export async function contentFingerprint(file: Blob): Promise<string> {
  const edge = 64 * 1024;
  const head = await readBytes(file, 0, Math.min(file.size, edge));
  const tail =
    file.size > edge ? await readBytes(file, Math.max(edge, file.size - edge), file.size) : new Uint8Array(0);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat([head, tail])));
  return `${file.size}:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
