/**
 * The vocabulary of input validation: why a file is refused (a machine code and a sentence for the
 * researcher), where (the 1-based line, as an editor or `zcat | sed -n` shows it), and the rules that
 * depend on the job rather than the file (build, sample limits, phasing). The services apply the same
 * rules only after a job took a slot; the messages follow theirs and say how to fix the file.
 */

export type GenomeBuild = 'hg19' | 'hg38';

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
  | 'CHROMOSOME_NAMING'
  | 'INVALID_CHROMOSOME'
  | 'MIXED_CHROMOSOMES'
  | 'CHROMOSOME_IN_TWO_FILES'
  | 'NO_GENOTYPES'
  | 'BAD_GENOTYPE'
  | 'PHASING';

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

/** Every check on a chromosome name on its own: the build's naming, then the services' list. */
export function chromosomeNameProblem(
  name: string,
  build: GenomeBuild,
): { code: 'CHROMOSOME_NAMING' | 'INVALID_CHROMOSOME'; message: string } | null {
  const prefixed = name.startsWith('chr');
  if (build === 'hg38' && !prefixed) {
    return {
      code: 'CHROMOSOME_NAMING',
      message: `Build hg38 needs chromosome names with the "chr" prefix (chr20); the file uses ${name}.`,
    };
  }
  if (build === 'hg19' && prefixed) {
    return {
      code: 'CHROMOSOME_NAMING',
      message: `Build hg19 needs chromosome names without the "chr" prefix (20); the file uses ${name}.`,
    };
  }
  if (!VALID_CHROMOSOMES.has(prefixed ? name.slice(3) : name)) {
    const valid = build === 'hg38' ? 'chr1…chr22, chrX, chrMT' : '1…22, X, MT';
    return {
      code: 'INVALID_CHROMOSOME',
      message: `chromosome ${excerpt(name)} is not one the services impute (${valid}).`,
    };
  }
  return null;
}

/** Shortens a piece of the file for a message (a field can be megabytes of garbage). */
export function excerpt(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
