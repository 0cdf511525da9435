/**
 * The record rules, checked with a byte scan of the line — no split, no string per field — because a
 * 50,000-sample line is ~200 KB and there are millions of them: the fixed columns are found with
 * `indexOf(TAB)`, CHROM is compared byte-wise with the current chromosome (a string is made only when it
 * changes), POS is parsed in place, and of each sample only the GT sub-field is read (then `indexOf` skips
 * to the next tab; vcf-genotypes.ts). Checks here: the fixed columns, a positive POS not lower than the
 * one before, REF and ALT present and different, the chromosome hook, and the services' rule that a phased file is phased throughout (the first unphased
 * genotype is noted for a job without phasing).
 */
import { countTabs, GenotypeScanner } from './vcf-genotypes';
import { excerpt, sampleColumns, unsortedProblem, VcfInputError } from './vcf-problems';

const TAB = 0x09;
const DOT = 0x2e;
const COMMA = 0x2c;
const ZERO = 0x30;
/** imputationserver reads POS with Integer.parseInt. */
const MAX_POSITION = 2_147_483_647;

export interface RecordState {
  chromosome: string | null;
  lastPosition: number;
  records: number;
  /** The first record is phased with nothing missing: the services then want every record phased. */
  phaseLocked: boolean;
  /** Line of the first record (0 before it). */
  firstRecordLine: number;
  /** The first unphased genotype: a job that asks for no phasing cannot impute the file. */
  firstUnphased: { line: number; sample: number } | null;
}

/** Called for the first record and whenever CHROM differs from the record before; throws to reject. */
export type ChromosomeHook = (name: string, previous: string | null, line: number) => void;

export class RecordScanner {
  private readonly tabs = new Int32Array(9);
  private chromosomeBytes: Buffer | null;
  private readonly genotypes: GenotypeScanner;

  constructor(
    private readonly sampleCount: number,
    readonly state: RecordState,
    private readonly onChromosome: ChromosomeHook,
  ) {
    this.chromosomeBytes = state.chromosome === null ? null : Buffer.from(state.chromosome, 'latin1');
    this.genotypes = new GenotypeScanner(sampleCount);
  }

  scan(b: Buffer, start: number, end: number, line: number): void {
    if (end === start)
      throw new VcfInputError('BAD_RECORD', 'the line is empty: VCF has no blank lines.', line);
    if (b[start] === 0x23) {
      throw new VcfInputError('BAD_HEADER', 'a header line ("#…") after the #CHROM line.', line);
    }
    const n = this.sampleCount;
    const tabs = this.tabs;
    const fixed = n > 0 ? 9 : 7;
    let p = start;
    for (let c = 0; c < fixed; c++) {
      const t = b.indexOf(TAB, p);
      if (t === -1 || t >= end) {
        if (c === 8) {
          throw new VcfInputError('SAMPLE_COUNT_MISMATCH', sampleColumns(0, n), line);
        }
        const columns = countTabs(b, start, end) + 1;
        throw new VcfInputError(
          'BAD_RECORD',
          `${columns} column${columns === 1 ? '' : 's'} where the header has ${n > 0 ? 9 + n : 8} (${n > 0 ? `9 fixed + ${n} samples` : '8 fixed'}): are the columns separated by tabs?`,
          line,
        );
      }
      tabs[c] = t;
      p = t + 1;
    }

    this.checkChromosome(b, start, tabs[0]!, line);
    const position = parsePosition(b, tabs[0]! + 1, tabs[1]!, line);
    if (position < this.state.lastPosition) {
      const unsorted = unsortedProblem(position, this.state.lastPosition);
      throw new VcfInputError(unsorted.code, unsorted.message, line);
    }
    const altCount = checkAlleles(b, tabs[2]! + 1, tabs[3]!, tabs[4]!, line);
    if (n > 0) {
      const genotypes = this.genotypes;
      genotypes.scan(b, tabs[7]! + 1, tabs[8]!, end, altCount, line);
      this.checkPhasing(genotypes.firstUnphased, genotypes.missing, line);
    }
    this.state.lastPosition = position;
    if (this.state.records === 0) this.state.firstRecordLine = line;
    this.state.records += 1;
  }

  private checkChromosome(b: Buffer, start: number, stop: number, line: number): void {
    const length = stop - start;
    if (length === 0) throw new VcfInputError('BAD_RECORD', 'the CHROM column is empty.', line);
    const current = this.chromosomeBytes;
    if (current !== null && current.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (b[start + i] !== current[i]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const name = b.toString('latin1', start, stop);
    this.onChromosome(name, this.state.chromosome, line);
    this.state.chromosome = name;
    this.state.lastPosition = 0;
    this.chromosomeBytes = Buffer.from(name, 'latin1');
  }

  private checkPhasing(firstUnphased: number, missing: boolean, line: number): void {
    if (firstUnphased > 0 && this.state.firstUnphased === null) {
      this.state.firstUnphased = { line, sample: firstUnphased };
    }
    if (this.state.records === 0) {
      this.state.phaseLocked = firstUnphased === 0 && !missing;
    } else if (this.state.phaseLocked && firstUnphased > 0) {
      throw new VcfInputError(
        'PHASING',
        `sample ${firstUnphased} has an unphased genotype ("/") but the first record is phased: the services need a file phased throughout (or unphased, to phase it there).`,
        line,
      );
    }
  }
}

function parsePosition(b: Buffer, start: number, stop: number, line: number): number {
  let value = 0;
  let ok = stop > start && stop - start <= 10;
  for (let i = start; ok && i < stop; i++) {
    const digit = b[i]! - ZERO;
    if (digit < 0 || digit > 9) ok = false;
    else value = value * 10 + digit;
  }
  if (!ok || value < 1 || value > MAX_POSITION) {
    throw new VcfInputError(
      'BAD_POSITION',
      `position "${excerpt(b.toString('latin1', start, stop))}" is not a positive integer (1…${MAX_POSITION}).`,
      line,
    );
  }
  return value;
}

/** REF and ALT present and different; returns the number of ALT alleles (0 for "."). */
function checkAlleles(b: Buffer, refStart: number, refEnd: number, altEnd: number, line: number): number {
  const altStart = refEnd + 1;
  if (refEnd === refStart) throw new VcfInputError('BAD_RECORD', 'the REF column is empty.', line);
  if (altEnd === altStart) throw new VcfInputError('BAD_RECORD', 'the ALT column is empty.', line);
  if (altEnd - altStart === 1 && b[altStart] === DOT) return 0;
  if (refEnd - refStart === altEnd - altStart && b.compare(b, altStart, altEnd, refStart, refEnd) === 0) {
    throw new VcfInputError(
      'BAD_RECORD',
      `REF and ALT are the same (${excerpt(b.toString('latin1', refStart, refEnd))}): the record is malformed.`,
      line,
    );
  }
  let alleles = 1;
  for (let i = altStart; i < altEnd; i++) if (b[i] === COMMA) alleles++;
  return alleles;
}
