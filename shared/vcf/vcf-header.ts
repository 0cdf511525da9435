/**
 * The header rules: `##fileformat=VCF…` first, meta lines, then the `#CHROM` line with the eight fixed
 * columns, FORMAT when there are samples, unique sample ids (the services stop at a duplicate), a sample
 * count within the service's limits and equal to the job's other files. Header lines are few, so they
 * are decoded to strings; records never are (see vcf-record.ts).
 */
import { type SampleLimits, VcfInputError } from './vcf-problems';

const FIXED_COLUMNS = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'] as const;

export interface HeaderState {
  /** The first line was `##fileformat=VCF…`. */
  fileformat: boolean;
  /** Set by the `#CHROM` line: the header is complete. */
  sampleCount: number | null;
}

export interface HeaderRules {
  sampleLimits: SampleLimits;
  /** The sample count of the job's files already validated, to require the same in this one. */
  sameSamplesAs?: { count: number; fileName: string };
}

/** Checks one line read while the header is not complete yet. */
export function checkHeaderLine(text: string, line: number, state: HeaderState, rules: HeaderRules): void {
  if (line === 1 || !state.fileformat) {
    if (!text.startsWith('##fileformat=VCF')) {
      throw new VcfInputError(
        'NOT_VCF',
        'The file does not start with a VCF header (##fileformat=VCFv4.x).',
        line,
      );
    }
    state.fileformat = true;
    return;
  }
  if (text.startsWith('##')) return;
  if (text.startsWith('#CHROM')) {
    state.sampleCount = checkChromLine(text, line, rules);
    return;
  }
  if (text.startsWith('#')) {
    throw new VcfInputError(
      'BAD_HEADER',
      'a header line must start with "##", or be the "#CHROM" line that ends the header.',
      line,
    );
  }
  throw new VcfInputError('NO_CHROM_LINE', 'The VCF header has no #CHROM line.', line);
}

function checkChromLine(text: string, line: number, rules: HeaderRules): number {
  const columns = text.split('\t');
  for (const [index, name] of FIXED_COLUMNS.entries()) {
    if (columns[index] !== name) {
      const found = columns.length === 1 ? 'a line without tabs' : `"${columns[index] ?? ''}"`;
      throw new VcfInputError(
        'BAD_HEADER',
        `the #CHROM line needs the tab-separated columns ${FIXED_COLUMNS.join(' ')}; column ${index + 1} is ${found}.`,
        line,
      );
    }
  }
  if (columns.length > 8 && columns[8] !== 'FORMAT') {
    throw new VcfInputError(
      'BAD_HEADER',
      `column 9 of the #CHROM line must be FORMAT when there are samples; it is "${columns[8]}".`,
      line,
    );
  }
  const samples = Math.max(0, columns.length - 9);
  const seen = new Set<string>();
  for (let index = 9; index < columns.length; index++) {
    const id = columns[index]!;
    if (id.length === 0) {
      throw new VcfInputError('BAD_HEADER', `sample ${index - 8} of the #CHROM line has an empty id.`, line);
    }
    if (seen.has(id)) {
      throw new VcfInputError(
        'DUPLICATE_SAMPLE',
        `two or more samples have the id ${id}: sample ids must be unique.`,
        line,
      );
    }
    seen.add(id);
  }
  const { min, max } = rules.sampleLimits;
  if (samples < min) {
    throw new VcfInputError(
      'TOO_FEW_SAMPLES',
      `The file has ${samples} samples; the services need at least ${min}.`,
      line,
    );
  }
  if (samples > max) {
    throw new VcfInputError(
      'TOO_MANY_SAMPLES',
      `The file has ${samples} samples; the services accept at most ${max}.`,
      line,
    );
  }
  const other = rules.sameSamplesAs;
  if (other && other.count !== samples) {
    throw new VcfInputError(
      'SAMPLE_COUNT_DIFFERS',
      `the file has ${samples} samples where ${other.fileName} has ${other.count}: every file of a job must hold the same samples.`,
      line,
    );
  }
  return samples;
}
