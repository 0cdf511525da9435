/**
 * Which genome build a VCF's data is, judged from what the file itself carries, and the advice that
 * follows when the job says otherwise. A wrong answer here is wrong science: stripping "chr" from GRCh38
 * data would submit GRCh38 positions as GRCh37. So the build is judged from evidence — the header's
 * `##contig` lengths (they differ between builds for every chromosome but MT), its `##reference`, and
 * positions past a chromosome's end in one build — and each piece of evidence is named in the advice.
 * Chromosome naming (`chr20` or `20`) is only what the services expect of each build, not evidence of
 * the data's build, so a rename is offered only when the evidence confirms the job's build.
 *
 * Pure (no Node APIs): the console runs the same judgement on the first blocks of a picked file.
 */

export type GenomeBuild = 'hg19' | 'hg38';

/** How a researcher reads each build's name; "the build of the input data" in the console. */
export const BUILD_LABELS: Readonly<Record<GenomeBuild, string>> = {
  hg19: 'GRCh37/hg19',
  hg38: 'GRCh38/hg38',
};

const ASSEMBLY: Readonly<Record<GenomeBuild, string>> = { hg19: 'GRCh37', hg38: 'GRCh38' };
const OTHER: Readonly<Record<GenomeBuild, GenomeBuild>> = { hg19: 'hg38', hg38: 'hg19' };

/** Chromosome lengths (bp) of the primary assemblies, keyed without a "chr" prefix. */
const LENGTHS: Readonly<Record<GenomeBuild, Readonly<Record<string, number>>>> = {
  hg19: {
    '1': 249_250_621,
    '2': 243_199_373,
    '3': 198_022_430,
    '4': 191_154_276,
    '5': 180_915_260,
    '6': 171_115_067,
    '7': 159_138_663,
    '8': 146_364_022,
    '9': 141_213_431,
    '10': 135_534_747,
    '11': 135_006_516,
    '12': 133_851_895,
    '13': 115_169_878,
    '14': 107_349_540,
    '15': 102_531_392,
    '16': 90_354_753,
    '17': 81_195_210,
    '18': 78_077_248,
    '19': 59_128_983,
    '20': 63_025_520,
    '21': 48_129_895,
    '22': 51_304_566,
    X: 155_270_560,
    Y: 59_373_566,
  },
  hg38: {
    '1': 248_956_422,
    '2': 242_193_529,
    '3': 198_295_559,
    '4': 190_214_555,
    '5': 181_538_259,
    '6': 170_805_979,
    '7': 159_345_973,
    '8': 145_138_636,
    '9': 138_394_717,
    '10': 133_797_422,
    '11': 135_086_622,
    '12': 133_275_309,
    '13': 114_364_328,
    '14': 107_043_718,
    '15': 101_991_189,
    '16': 90_338_345,
    '17': 83_257_441,
    '18': 80_373_285,
    '19': 58_617_616,
    '20': 64_444_167,
    '21': 46_709_983,
    '22': 50_818_468,
    X: 156_040_895,
    Y: 57_227_415,
  },
};

/** `##reference` values that name a build: file names and accessions of the common reference FASTAs. */
const REFERENCE_PATTERNS: ReadonlyArray<[GenomeBuild, RegExp]> = [
  ['hg38', /GRCh38|hg38|GCA_000001405\.(1[5-9]|2\d)|assembly38|\bb38\b/i],
  ['hg19', /GRCh37|hg19|hs37d5|human_g1k_v37|\bb37\b|NCBI37|GCA_000001405\.([1-9]|1[0-4])\b|assembly19/i],
];

/** What a file says that bears on its build (read from its header and records). */
export interface BuildFacts {
  /** The one chromosome of the records (null when the file has none). */
  chromosome: string | null;
  /** The highest position of the records on it (the last one: records are sorted). */
  lastPosition: number;
  /** The `##reference=` value, if any. */
  reference: string | null;
  /** `##contig` lines with a length. */
  contigs: ReadonlyArray<{ name: string; length: number }>;
}

export interface BuildEvidence {
  build: GenomeBuild;
  source: 'positions' | 'contigs' | 'reference';
  /** A clause for the advice, e.g. `its ##contig line gives chr20 64,444,167 bp, GRCh38's length (63,025,520 in GRCh37)`. */
  says: string;
}

export interface BuildJudgement {
  /** The build all evidence agrees on; null without evidence or when it conflicts. */
  build: GenomeBuild | null;
  evidence: BuildEvidence[];
  /** Pieces of evidence point to both builds. */
  conflict: boolean;
}

const bare = (name: string) => (name.startsWith('chr') ? name.slice(3) : name);
/** `chr20`, or `chromosome 20` (a bare number reads as a count). */
const called = (name: string) => (name.startsWith('chr') ? name : `chromosome ${name}`);
const bp = (value: number) => value.toLocaleString('en-US');

/** The build the lengths of the header's `##contig` lines are, with the file's own chromosome as example. */
function contigEvidence(facts: BuildFacts): BuildEvidence[] {
  const votes: Record<GenomeBuild, { name: string; length: number }[]> = { hg19: [], hg38: [] };
  for (const contig of facts.contigs) {
    for (const build of ['hg19', 'hg38'] as const) {
      if (LENGTHS[build][bare(contig.name)] === contig.length) votes[build].push(contig);
    }
  }
  return (['hg19', 'hg38'] as const).flatMap((build) => {
    const matching = votes[build];
    if (matching.length === 0) return [];
    const example = matching.find((c) => c.name === facts.chromosome) ?? matching[0]!;
    const other = LENGTHS[OTHER[build]][bare(example.name)]!;
    const more = matching.length > 1 ? ` (and ${matching.length - 1} more of its ##contig lengths)` : '';
    return [
      {
        build,
        source: 'contigs' as const,
        says: `its ##contig line gives ${called(example.name)} ${bp(example.length)} bp, ${ASSEMBLY[build]}'s length (${bp(other)} in ${ASSEMBLY[OTHER[build]]})${more}`,
      },
    ];
  });
}

function positionEvidence(facts: BuildFacts): BuildEvidence[] {
  const chromosome = facts.chromosome;
  if (chromosome === null) return [];
  const name = bare(chromosome);
  return (['hg19', 'hg38'] as const).flatMap((build) => {
    const own = LENGTHS[build][name];
    const other = LENGTHS[OTHER[build]][name];
    if (own === undefined || other === undefined) return [];
    if (facts.lastPosition <= other || facts.lastPosition > own) return [];
    return [
      {
        build,
        source: 'positions' as const,
        says: `its records reach position ${bp(facts.lastPosition)} on ${called(chromosome)}, past that chromosome's end in ${ASSEMBLY[OTHER[build]]} (${bp(other)} bp)`,
      },
    ];
  });
}

function referenceEvidence(facts: BuildFacts): BuildEvidence[] {
  if (!facts.reference) return [];
  const named = REFERENCE_PATTERNS.filter(([, pattern]) => pattern.test(facts.reference!));
  if (named.length !== 1) return [];
  const build = named[0]![0];
  const shown = facts.reference.length > 60 ? `…${facts.reference.slice(-57)}` : facts.reference;
  return [{ build, source: 'reference', says: `its ##reference line names ${ASSEMBLY[build]} ("${shown}")` }];
}

/**
 * The build the evidence shows. Positions past a chromosome's end in one build are decisive: records
 * cannot lie about where they are, while a header can be stale (one kept through a liftover says the old
 * build). Without them the header's evidence counts, and evidence for both builds is a conflict.
 */
export function judgeBuild(facts: BuildFacts): BuildJudgement {
  const positions = positionEvidence(facts);
  const header = [...contigEvidence(facts), ...referenceEvidence(facts)];
  const evidence = [...positions, ...header];
  if (positions.length > 0) {
    const build = positions[0]!.build;
    return { build, evidence, conflict: header.some((e) => e.build !== build) };
  }
  const builds = new Set(header.map((e) => e.build));
  return { build: builds.size === 1 ? header[0]!.build : null, evidence, conflict: builds.size > 1 };
}

/** `a; b and c` */
function clauses(evidence: readonly BuildEvidence[]): string {
  const says = evidence.map((e) => e.says);
  return says.length <= 1 ? (says[0] ?? '') : `${says.slice(0, -1).join('; ')}; and ${says.at(-1)}`;
}

const namedFor = (build: GenomeBuild, chromosome: string) =>
  build === 'hg38' ? `chr${bare(chromosome)}` : bare(chromosome);

export type BuildProblemCode = 'BUILD_MISMATCH' | 'BUILD_UNCONFIRMED' | 'CHROMOSOME_NAMING';

/**
 * Whether a file of these facts can go to a job whose input data is declared `jobBuild`, and if not,
 * why and what to do: a different build is named as such (never "rename the chromosomes"); a rename is
 * advised only when the evidence confirms the job's build; evidence that conflicts, or naming that
 * suggests the other build without any evidence, asks the researcher to find out first.
 */
export function buildProblem(
  facts: BuildFacts,
  jobBuild: GenomeBuild,
  judgement: BuildJudgement = judgeBuild(facts),
): { code: BuildProblemCode; message: string } | null {
  const chromosome = facts.chromosome;
  if (chromosome === null) return null;
  const expected = namedFor(jobBuild, chromosome);
  const namingFits = chromosome === expected;
  const declared = `the build of the input data chosen for the job is ${BUILD_LABELS[jobBuild]}`;

  if (judgement.build !== null && judgement.build !== jobBuild) {
    const data = judgement.build;
    const supporting = judgement.evidence.filter((e) => e.build === data);
    const against = judgement.evidence.filter((e) => e.build !== data);
    const stale =
      against.length > 0
        ? ` Its header says otherwise (${clauses(against)}), as a header kept through a liftover would, but records past a chromosome's end in ${ASSEMBLY[jobBuild]} cannot be ${ASSEMBLY[jobBuild]} data.`
        : '';
    return {
      code: 'BUILD_MISMATCH',
      message:
        `The file looks like ${BUILD_LABELS[data]} data: ${clauses(supporting)}.${stale} But ${declared}. ` +
        `The job's build must match the data: choose ${BUILD_LABELS[data]} as the build of the input data (the ` +
        `service lifts the data over to its panel's build where they differ), or lift the data over to ` +
        `${ASSEMBLY[jobBuild]} yourself first. Renaming the chromosomes would not change the positions.`,
    };
  }
  if (judgement.build === null && judgement.conflict) {
    const rename = namingFits
      ? ''
      : `; renaming the chromosome to ${expected} is right only for ${ASSEMBLY[jobBuild]} data`;
    return {
      code: 'BUILD_UNCONFIRMED',
      message:
        `The file's evidence of its build conflicts: ${clauses(judgement.evidence)}. Find out which build the ` +
        `data is before submitting, and choose it as the build of the input data (${declared} now)${rename}.`,
    };
  }
  if (namingFits) return null;
  if (judgement.build === jobBuild) {
    const mapping = `${chromosome} ${expected}`;
    const supporting = judgement.evidence.filter((e) => e.build === jobBuild);
    return {
      code: 'CHROMOSOME_NAMING',
      message:
        `The file is ${BUILD_LABELS[jobBuild]} data — ${clauses(supporting)} — but names the chromosome ` +
        `${chromosome}, where the services want ${ASSEMBLY[jobBuild]} data named ${expected}. Rename it: put the line ` +
        `"${mapping}" in map.txt and run \`bcftools annotate --rename-chrs map.txt -Oz -o renamed.vcf.gz file.vcf.gz\`.`,
    };
  }
  const suggested = OTHER[jobBuild];
  const unknown =
    'Nothing else in the file tells its build (no ##contig lengths or ##reference of a known build, and its positions fit both)';
  return {
    code: 'BUILD_UNCONFIRMED',
    message:
      `The file names its chromosome ${chromosome}, as the services expect of ${BUILD_LABELS[suggested]} data, but ${declared} (named ${expected}). ` +
      `${unknown}. Find out which build the data is before changing anything: if it is ${ASSEMBLY[suggested]}, ` +
      `choose ${BUILD_LABELS[suggested]} as the build of the input data; renaming the chromosome to ${expected} is right only for ${ASSEMBLY[jobBuild]} data.`,
  };
}

/** Parses a `##contig=<ID=…,length=…>` line (other keys and quoted values allowed); null otherwise. */
export function parseContigLine(text: string): { name: string; length: number } | null {
  if (!text.startsWith('##contig=<')) return null;
  const id = /[<,]ID=([^,>]+)/.exec(text)?.[1];
  const length = /[<,]length=(\d{1,10})[,>]/.exec(text)?.[1];
  if (!id || !length) return null;
  return { name: id, length: Number(length) };
}
