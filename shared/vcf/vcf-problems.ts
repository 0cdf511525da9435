/**
 * The vocabulary of input validation: why a file is refused (a machine code and a sentence for the
 * researcher), where (the 1-based line, as an editor or `gzip -dc | sed -n` shows it), and the rules that
 * depend on the job rather than the file (build, sample limits, phasing). The services apply the same
 * rules only after a job took a slot; the messages follow theirs and say how to fix the file.
 */

import type { BuildProblemCode, GenomeBuild } from './genome-builds';

export type { GenomeBuild } from './genome-builds';

export type VcfProblemCode =
  | 'NOT_GZIP'
  | 'NOT_BGZIP'
  | 'BGZF_CORRUPT'
  | 'TRUNCATED'
  | 'NOT_VCF'
  | 'NO_CHROM_LINE'
  | 'BAD_HEADER'
  | 'DUPLICATE_SAMPLE'
  | 'TOO_FEW_SAMPLES'
  | 'TOO_MANY_SAMPLES'
  | 'SAMPLE_COUNT_DIFFERS'
  | 'NO_RECORDS'
  | 'LINE_TOO_LONG'
  | 'BAD_RECORD'
  | 'SAMPLE_COUNT_MISMATCH'
  | 'BAD_POSITION'
  | 'UNSORTED'
  | BuildProblemCode
  | 'BUILDS_MIXED'
  | 'INVALID_CHROMOSOME'
  | 'MIXED_CHROMOSOMES'
  | 'CHROMOSOME_IN_TWO_FILES'
  | 'DUPLICATE_FILE'
  | 'NO_GENOTYPES'
  | 'BAD_GENOTYPE'
  | 'PHASING'
  /** The check of the file reached its caps (VALIDATION_MAX_*): too large to check here. */
  | 'CHECK_LIMIT';

export interface VcfProblem {
  code: VcfProblemCode;
  message: string;
  /** 1-based line of the file (header lines count) where the problem is; absent for whole-file problems. */
  line?: number;
}

/** Thrown by the readers and checkers; the validator turns it into the file's verdict. */
export class VcfInputError extends Error {
  override name = 'VcfInputError';
  constructor(
    readonly code: VcfProblemCode,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export function formatProblem(problem: VcfProblem): string {
  return problem.line === undefined ? problem.message : `line ${problem.line}: ${problem.message}`;
}

export interface SampleLimits {
  min: number;
  max: number;
}

/** The services' defaults (imputationserver's --minSamples/--maxSamples); a catalog entry may narrow them. */
export const SAMPLE_LIMITS: Readonly<SampleLimits> = { min: 20, max: 50_000 };

/** What a file is checked against besides the VCF format itself. */
export interface VcfRules {
  build: GenomeBuild;
  sampleLimits: SampleLimits;
  /** `no_phasing` makes unphased genotypes an error (the service would ask for a phasing algorithm). */
  phasing?: string;
}

/** Chromosomes the services impute (imputationserver's list), compared without a `chr` prefix. */
const VALID_CHROMOSOMES = new Set([...Array.from({ length: 23 }, (_, i) => String(i + 1)), 'X', 'MT']);

export const isImputableChromosome = (name: string): boolean =>
  VALID_CHROMOSOMES.has(name.startsWith('chr') ? name.slice(3) : name);

/**
 * A chromosome the services do not impute, whatever the build: the build's naming is a job rule
 * (genome-builds.ts), judged with the build's evidence once the whole file is read.
 */
export function invalidChromosomeProblem(
  name: string,
): { code: 'INVALID_CHROMOSOME'; message: string } | null {
  if (isImputableChromosome(name)) return null;
  return {
    code: 'INVALID_CHROMOSOME',
    message: `chromosome ${excerpt(name)} is not one the services impute (1…22, X, MT; chr1…chr22, chrX, chrMT for GRCh38/hg38).`,
  };
}

/** A record on another chromosome than the records before it. */
export function mixedChromosomesProblem(
  name: string,
  previous: string,
): { code: 'MIXED_CHROMOSOMES'; message: string } {
  return {
    code: 'MIXED_CHROMOSOMES',
    message: `chromosome ${excerpt(name)} after ${previous}: the services need one chromosome per file; split it: \`bcftools index file.vcf.gz\`, then for each chromosome \`bcftools view -r <chromosome> -Oz -o <chromosome>.vcf.gz file.vcf.gz\`.`,
  };
}

/** A record whose position is lower than the one before it. */
export function unsortedProblem(position: number, previous: number): { code: 'UNSORTED'; message: string } {
  return {
    code: 'UNSORTED',
    message: `position ${position} after ${previous}: the file is not sorted by position; sort it with \`bcftools sort -Oz -o sorted.vcf.gz file.vcf.gz\` and upload sorted.vcf.gz.`,
  };
}

/** What a whole file lacks when it ends before a part every VCF has (said where its end is known). */
export const MISSING_PART_PROBLEMS = {
  noLines: {
    code: 'NOT_VCF',
    message: 'The file is bgzip-compressed but holds no lines at all: re-create it from its source.',
  },
  noChromLine: { code: 'NO_CHROM_LINE', message: 'The VCF header has no #CHROM line.' },
  noRecords: { code: 'NO_RECORDS', message: 'The file has a header but no variant records.' },
} as const satisfies Record<string, VcfProblem>;

/** A record whose sample columns are not those of the #CHROM line. */
export function sampleColumns(found: number, expected: number): string {
  const cause =
    found < expected
      ? 'a line cut short, or columns joined by spaces instead of tabs'
      : 'a record with extra columns, or a #CHROM line that lacks sample names';
  return `${found} sample column${found === 1 ? '' : 's'} where the #CHROM line names ${expected} samples: every record needs one column per sample (${cause}); re-create the file from its source.`;
}

/** Shortens a piece of the file for a message (a field can be megabytes of garbage). */
export function excerpt(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
