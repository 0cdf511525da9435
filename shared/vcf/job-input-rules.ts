/**
 * The rules that depend on the job rather than on a file alone, judged from each file's facts (what its
 * check found, vcf-facts.ts) so that no file is read again for them: the service's sample limits, the
 * build of the input data (genome-builds.ts), a job without phasing, and the rules across a job's files —
 * the same file picked twice, the same samples everywhere, one chromosome in one file, one build. Each
 * problem names its file and line and carries the fix for its own cause.
 */
import { BUILD_LABELS, buildProblem, type GenomeBuild, judgeBuild } from './genome-builds';
import type { VcfFacts } from './vcf-facts';
import type { SampleLimits, VcfProblem, VcfRules } from './vcf-problems';

export interface JobInputFile {
  fileName: string;
  facts: VcfFacts;
  /** Bytes of the upload, and its S3 ETag: together they tell the same file uploaded twice. */
  size?: number;
  etag?: string;
}

export interface JobInputProblem {
  /** Null for a problem of the job's files together. */
  fileName: string | null;
  problem: VcfProblem;
}

export function sampleLimitProblem(facts: VcfFacts, limits: SampleLimits): VcfProblem | null {
  const { samples, chromLine: line } = facts;
  if (samples < limits.min) {
    return {
      code: 'TOO_FEW_SAMPLES',
      line,
      message: `The file has ${samples} sample${samples === 1 ? '' : 's'}; the service needs at least ${limits.min} in each file (fewer cannot be imputed reliably): add samples, or impute them together with others.`,
    };
  }
  if (samples > limits.max) {
    return {
      code: 'TOO_MANY_SAMPLES',
      line,
      message: `The file has ${samples} samples; the service accepts at most ${limits.max}: split the samples into several jobs (\`bcftools view -S\` with a list of sample ids).`,
    };
  }
  return null;
}

function phasingProblem(facts: VcfFacts, phasing: string | undefined): VcfProblem | null {
  if (phasing !== 'no_phasing' || facts.firstUnphased === null) return null;
  const { line, sample } = facts.firstUnphased;
  return {
    code: 'PHASING',
    line,
    message: `sample ${sample} has an unphased genotype ("/") and the job asks for no phasing: choose a phasing algorithm (eagle or beagle), or upload phased data.`,
  };
}

/** The problems of one file against the job's rules, in the order a researcher fixes them. */
export function fileRuleProblems(facts: VcfFacts, rules: VcfRules): VcfProblem[] {
  const build = buildProblem(facts, rules.build);
  return [
    sampleLimitProblem(facts, rules.sampleLimits),
    build ? { ...build, line: facts.firstRecordLine } : null,
    phasingProblem(facts, rules.phasing),
  ].filter((problem): problem is VcfProblem => problem !== null);
}

/** Two uploads of one file: the same bytes (size and ETag), or the same content as the check saw it. */
function sameFile(a: JobInputFile, b: JobInputFile): boolean {
  if (a.size !== undefined && b.size !== undefined && a.size !== b.size) return false;
  if (a.etag && b.etag && a.etag === b.etag) return true;
  const [x, y] = [a.facts, b.facts];
  return (
    x.samples === y.samples &&
    x.chromosome === y.chromosome &&
    x.records === y.records &&
    x.lines === y.lines &&
    x.lastPosition === y.lastPosition
  );
}

/** Every problem of a job's files, each file's own first, then those between files. */
export function jobInputProblems(files: readonly JobInputFile[], rules: VcfRules): JobInputProblem[] {
  const problems: JobInputProblem[] = [];
  const builds = new Map<GenomeBuild, string[]>();
  files.forEach((file, index) => {
    for (const problem of fileRuleProblems(file.facts, rules))
      problems.push({ fileName: file.fileName, problem });
    const judged = judgeBuild(file.facts).build;
    if (judged) builds.set(judged, [...(builds.get(judged) ?? []), file.fileName]);

    const earlier = files.slice(0, index);
    const twin = earlier.find((other) => sameFile(other, file));
    if (twin) {
      const what = `${file.facts.samples} samples, chromosome ${file.facts.chromosome}, ${file.facts.records} variants`;
      const sameBytes = twin.etag !== undefined && twin.etag === file.etag;
      problems.push({
        fileName: file.fileName,
        problem: {
          code: 'DUPLICATE_FILE',
          message: sameBytes
            ? `this is the same file as ${twin.fileName} (${what}): it was picked twice; remove one of them.`
            : `this looks like the same file as ${twin.fileName} (the same size, ${what}): if it was picked twice, remove one of them; if the two hold different samples, join them into one with \`bcftools merge\` (both indexed).`,
        },
      });
      return;
    }
    const first = earlier[0];
    if (first && first.facts.samples !== file.facts.samples) {
      problems.push({
        fileName: file.fileName,
        problem: {
          code: 'SAMPLE_COUNT_DIFFERS',
          line: file.facts.chromLine,
          message: `the file has ${file.facts.samples} samples where ${first.fileName} has ${first.facts.samples}: every file of a job must hold the same samples (one file per chromosome of one cohort).`,
        },
      });
    }
    const sameChromosome = earlier.find((other) => other.facts.chromosome === file.facts.chromosome);
    if (sameChromosome) {
      problems.push({
        fileName: file.fileName,
        problem: {
          code: 'CHROMOSOME_IN_TWO_FILES',
          line: file.facts.firstRecordLine,
          message: `chromosome ${file.facts.chromosome} is also in ${sameChromosome.fileName}: the services need all of a chromosome in one file; join them into one: \`bcftools concat -a\` when they hold different variants of the same samples, \`bcftools merge\` when they hold other samples (both indexed), and upload the result.`,
        },
      });
    }
  });
  if (builds.size > 1) {
    const listed = [...builds].map(([build, names]) => `${BUILD_LABELS[build]}: ${names.join(', ')}`);
    problems.unshift({
      fileName: null,
      problem: {
        code: 'BUILDS_MIXED',
        message: `The job's files are of two builds (${listed.join('; ')}). All files of a job must be of one build: lift the others over, or submit each build as its own job.`,
      },
    });
  }
  return problems;
}

/** What a job's files were found to hold, shown on its page. */
export interface InputChecks {
  samples: number;
  chromosomes: string[];
  variants: number;
  /** The build the files' own evidence agrees on; null without evidence. */
  build: GenomeBuild | null;
  /** That evidence, one clause per piece (of the first file that has any). */
  buildEvidence: string[];
}

export function summarizeChecks(facts: readonly VcfFacts[]): InputChecks {
  const judgements = facts.map((f) => judgeBuild(f));
  const builds = new Set(judgements.map((j) => j.build));
  const build = builds.size === 1 ? (judgements[0]?.build ?? null) : null;
  return {
    samples: facts[0]?.samples ?? 0,
    chromosomes: facts.map((f) => f.chromosome),
    variants: facts.reduce((sum, f) => sum + f.records, 0),
    build,
    buildEvidence: build ? (judgements.find((j) => j.build)?.evidence.map((e) => e.says) ?? []) : [],
  };
}

/** `<file name>: line N: why` — one line of a job's INPUT_INVALID message. */
export function describeInputProblem({ fileName, problem }: JobInputProblem): string {
  const where = problem.line === undefined ? problem.message : `line ${problem.line}: ${problem.message}`;
  return fileName === null ? where : `${fileName}: ${where}`;
}
