/**
 * The header rules: `##fileformat=VCF…` first, meta lines, then the `#CHROM` line with the eight fixed
 * columns, FORMAT when there are samples, and unique sample ids (the services stop at a duplicate). It also
 * keeps what the header says of the build (`##reference`, `##contig` lengths) for genome-builds.ts. Sample
 * limits and the same samples in every file are job rules (job-input-rules.ts). Header lines are few, so
 * they are decoded to strings; records never are (see vcf-record.ts). Pure: the console uses it too.
 */
import { notVcfMessage } from './file-kind';
import { parseContigLine } from './genome-builds';
import { isImputableChromosome, MISSING_PART_PROBLEMS, VcfInputError } from './vcf-problems';

/** Enough for the chromosomes of a whole-genome header (1–22, X, Y, MT), named either way. */
export const MAX_CONTIGS_KEPT = 30;

const FIXED_COLUMNS = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'] as const;

export interface HeaderState {
  /** The first line was `##fileformat=VCF…`. */
  fileformat: boolean;
  /** Set by the `#CHROM` line: the header is complete. */
  sampleCount: number | null;
  /** Line of the `#CHROM` line (0 until read). */
  chromLine: number;
  /** The `##reference=` value, shortened to 300 characters. */
  reference: string | null;
  /** `##contig` lines with a length (the first MAX_CONTIGS_KEPT). */
  contigs: { name: string; length: number }[];
}

export const emptyHeaderState = (): HeaderState => ({
  fileformat: false,
  sampleCount: null,
  chromLine: 0,
  reference: null,
  contigs: [],
});

/** Checks one line read while the header is not complete yet. */
export function checkHeaderLine(text: string, line: number, state: HeaderState): void {
  if (line === 1 || !state.fileformat) {
    if (!text.startsWith('##fileformat=VCF')) throw new VcfInputError('NOT_VCF', notVcfMessage(text), line);
    state.fileformat = true;
    return;
  }
  if (text.startsWith('##')) {
    keepBuildHints(text, state);
    return;
  }
  if (text.startsWith('#CHROM')) {
    state.sampleCount = checkChromLine(text, line);
    state.chromLine = line;
    return;
  }
  if (text.startsWith('#')) {
    throw new VcfInputError(
      'BAD_HEADER',
      'a header line must start with "##", or be the "#CHROM" line that ends the header.',
      line,
    );
  }
  const { code, message } = MISSING_PART_PROBLEMS.noChromLine;
  throw new VcfInputError(code, message, line);
}

function checkChromLine(text: string, line: number): number {
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
        `two or more samples have the id ${id}: sample ids must be unique; rename them (\`bcftools reheader -s new-names.txt -o renamed.vcf.gz file.vcf.gz\`, new-names.txt holding one name per sample in file order).`,
        line,
      );
    }
    seen.add(id);
  }
  return samples;
}

function keepBuildHints(text: string, state: HeaderState): void {
  if (text.startsWith('##reference=') && state.reference === null) {
    state.reference = text.slice('##reference='.length, '##reference='.length + 300);
    return;
  }
  const contig = parseContigLine(text);
  // Only the chromosomes' own lengths tell a build; alt, random and decoy contigs are many and say nothing.
  if (contig && isBuildContig(contig.name) && state.contigs.length < MAX_CONTIGS_KEPT) {
    state.contigs.push({ name: contig.name.slice(0, 256), length: contig.length });
  }
}

const isBuildContig = (name: string) => isImputableChromosome(name) || name === 'Y' || name === 'chrY';
