/**
 * Each broken input → the exact advice it gets. A message is held to its cause: a truncated file is
 * truncated on disk (not an incomplete upload), a zip or a BCF is not "compress it with bgzip", GRCh38
 * data in a GRCh37 job is a build mix-up (never "remove chr"), and the same file picked twice is a
 * duplicate (not two files to concat). Build cases say which evidence was used.
 */

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type JobInputFile, jobInputProblems } from '#shared/vcf/job-input-rules';
import type { VcfRules } from '#shared/vcf/vcf-problems';
import type { FileVerdict } from '#shared/vcf/vcf-validator';
import { bgzip, makeVcfGz, tarGz, truncateBgzf, type VcfSpec, vcfText } from '#test/support/vcf-fixtures';
import { hg19, validate } from './support';

const hg38: VcfRules = { build: 'hg38', sampleLimits: { min: 20, max: 50_000 } };
const base: VcfSpec = { samples: 30, records: 200 };
const GRCH37_CHR20 = 63_025_520;
const GRCH38_CHR20 = 64_444_167;

/** Every block's deflate data after the header damaged: what a bad disk or copy leaves. */
function damaged(file: Buffer): Buffer {
  const copy = Buffer.from(file);
  for (let i = 40; i < 60; i++) copy[i] = copy[i]! ^ 0xff;
  return copy;
}

const fileCases: { cause: string; file: () => Buffer; rules?: VcfRules; code: string; advice: string }[] = [
  {
    cause: 'a plain-text VCF named .vcf.gz',
    file: () => Buffer.from(vcfText(base)),
    code: 'NOT_GZIP',
    advice:
      'The file is an uncompressed VCF with a .vcf.gz name: give it back its .vcf name and compress it (`mv file.vcf.gz file.vcf && bgzip file.vcf` writes file.vcf.gz), then upload that.',
  },
  {
    cause: 'a zip archive named .vcf.gz',
    file: () => Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(60)]),
    code: 'NOT_GZIP',
    advice:
      'The file is a zip archive, not a bgzipped VCF: unzip it, then compress the VCF inside with `bgzip` and upload that (the services take .vcf.gz files, not archives).',
  },
  {
    cause: 'a spreadsheet export named .vcf.gz',
    file: () => Buffer.from('sample,rs1,rs2\nS1,AA,AG\n'),
    code: 'NOT_GZIP',
    advice:
      'The file is neither gzip-compressed nor a VCF (it starts with "sample,rs1,rs2.S1,AA,AG."): upload the bgzipped VCF (.vcf.gz) itself.',
  },
  {
    cause: 'an empty file',
    file: () => Buffer.alloc(0),
    code: 'NOT_GZIP',
    advice: 'The file is empty (0 bytes): upload the bgzipped VCF itself.',
  },
  {
    cause: 'plain gzip instead of bgzip',
    file: () => makeVcfGz({ ...base, gzipOnly: true }),
    code: 'NOT_BGZIP',
    advice:
      'The file is gzip- but not bgzip-compressed: recompress it with `gzip -dc file.vcf.gz | bgzip > fixed.vcf.gz` and upload fixed.vcf.gz.',
  },
  {
    cause: 'a .tar.gz holding the VCF',
    file: () => tarGz('cohort.chr20.vcf', vcfText(base)),
    code: 'NOT_BGZIP',
    advice:
      'The file is a gzip-compressed tar archive (.tar.gz), not a bgzipped VCF: extract it (`tar -xzf`), then compress the VCF inside with `bgzip` and upload that.',
  },
  {
    cause: 'a gzipped table',
    file: () => gzipSync('sample,rs1\nS1,AA\n'),
    code: 'NOT_BGZIP',
    advice:
      'The file is gzip-compressed but holds no VCF (it starts with "sample,rs1.S1,AA."): upload the bgzipped VCF itself.',
  },
  {
    cause: 'a BCF (binary VCF)',
    file: () =>
      bgzip(
        Buffer.concat([Buffer.from('BCF\x02\x02\x10\x00\x00\x00'), Buffer.from('##fileformat=VCFv4.2\n')]),
      ),
    code: 'NOT_VCF',
    advice:
      'line 1: The file is BCF (binary VCF), not VCF: convert it with `bcftools view -Oz -o file.vcf.gz file.bcf` and upload the .vcf.gz.',
  },
  {
    cause: 'a bgzipped table that is not a VCF',
    file: () => bgzip('sample,rs1\nS1,AA\n'),
    code: 'NOT_VCF',
    advice:
      'line 1: The file does not start with a VCF header (##fileformat=VCFv4.x); it starts with "sample,rs1": is it a VCF? Genotypes in another format (PLINK, a table) must be converted to VCF first (e.g. `plink --recode vcf bgz`).',
  },
  {
    cause: 'a file cut inside a block on disk',
    file: () => truncateBgzf(makeVcfGz({ samples: 30, records: 4000 }), 'mid-block'),
    code: 'TRUNCATED',
    advice:
      'after line 3794, the file ends inside a compressed block (at byte 33943, in the block starting at byte 33008): the file itself is cut short, as it is on disk, not in transfer (a copy or a compression that did not finish). `bgzip -t file.vcf.gz` shows it; re-create the file from its source, then upload the new file.',
  },
  {
    cause: 'a file cut at a block boundary (no EOF block)',
    file: () => truncateBgzf(makeVcfGz({ samples: 30, records: 4000 }), 'no-eof'),
    code: 'TRUNCATED',
    advice:
      'after line 4004, the file ends at byte 34879 without the BGZF end-of-file block that bgzip writes last: the file itself is cut short at a block boundary, as it is on disk, or its writer did not finish. `bgzip -t file.vcf.gz` shows it; re-create the file from its source (`bcftools view -Oz` or `bgzip`), then upload the new file.',
  },
  {
    cause: 'a damaged block',
    file: () => damaged(makeVcfGz(base)),
    code: 'BGZF_CORRUPT',
    advice: 'the compressed block at byte 0 is damaged (',
  },
  {
    cause: 'unsorted positions',
    file: () => makeVcfGz({ ...base, fault: { kind: 'unsorted', at: 50 } }),
    code: 'UNSORTED',
    advice:
      'line 55: position 66713 after 66850: the file is not sorted by position; sort it with `bcftools sort -Oz -o sorted.vcf.gz file.vcf.gz` and upload sorted.vcf.gz.',
  },
  {
    cause: 'a record with a sample column missing',
    file: () => makeVcfGz({ ...base, fault: { kind: 'fewerSamples', at: 10 } }),
    code: 'SAMPLE_COUNT_MISMATCH',
    advice:
      'line 15: 29 sample columns where the #CHROM line names 30 samples: every record needs one column per sample (a line cut short, or columns joined by spaces instead of tabs); re-create the file from its source.',
  },
  {
    cause: 'GRCh38 data (chr20 with GRCh38’s contig length) in a GRCh37 job',
    file: () => makeVcfGz({ ...base, chromosome: 'chr20', contigLength: GRCH38_CHR20 }),
    code: 'BUILD_MISMATCH',
    advice:
      "line 5: The file looks like GRCh38/hg38 data: its ##contig line gives chr20 64,444,167 bp, GRCh38's length (63,025,520 in GRCh37). But the build of the input data chosen for the job is GRCh37/hg19. The job's build must match the data: choose GRCh38/hg38 as the build of the input data (the service lifts the data over to its panel's build where they differ), or lift the data over to GRCh37 yourself first. Renaming the chromosomes would not change the positions.",
  },
  {
    cause: 'GRCh38 positions without "chr" in a GRCh37 job (naming fits, positions do not)',
    file: () => makeVcfGz({ ...base, startPosition: 63_100_000 }),
    code: 'BUILD_MISMATCH',
    advice:
      "line 5: The file looks like GRCh38/hg38 data: its records reach position 63,127,263 on chromosome 20, past that chromosome's end in GRCh37 (63,025,520 bp). But the build of the input data chosen for the job is GRCh37/hg19. The job's build must match the data: choose GRCh38/hg38 as the build of the input data (the service lifts the data over to its panel's build where they differ), or lift the data over to GRCh37 yourself first. Renaming the chromosomes would not change the positions.",
  },
  {
    cause: 'a GRCh38 ##reference in a GRCh37 job',
    file: () =>
      makeVcfGz({
        ...base,
        chromosome: 'chr20',
        meta: ['##reference=file:///data/ref/GRCh38_full_analysis_set_plus_decoy_hla.fa'],
      }),
    code: 'BUILD_MISMATCH',
    advice:
      'line 6: The file looks like GRCh38/hg38 data: its ##reference line names GRCh38 ("file:///data/ref/GRCh38_full_analysis_set_plus_decoy_hla.fa"). But the build of the input data chosen for the job is GRCh37/hg19. The job\'s build must match the data: choose GRCh38/hg38 as the build of the input data (the service lifts the data over to its panel\'s build where they differ), or lift the data over to GRCh37 yourself first. Renaming the chromosomes would not change the positions.',
  },
  {
    cause: 'GRCh37 data named the UCSC way (chr20, GRCh37’s contig length): the one case for a rename',
    file: () => makeVcfGz({ ...base, chromosome: 'chr20', contigLength: GRCH37_CHR20 }),
    code: 'CHROMOSOME_NAMING',
    advice:
      'line 5: The file is GRCh37/hg19 data — its ##contig line gives chr20 63,025,520 bp, GRCh37\'s length (64,444,167 in GRCh38) — but names the chromosome chr20, where the services want GRCh37 data named 20. Rename it: put the line "chr20 20" in map.txt and run `bcftools annotate --rename-chrs map.txt -Oz -o renamed.vcf.gz file.vcf.gz`.',
  },
  {
    cause: 'GRCh38 data without "chr" in a GRCh38 job',
    file: () => makeVcfGz({ ...base, contigLength: GRCH38_CHR20 }),
    rules: hg38,
    code: 'CHROMOSOME_NAMING',
    advice:
      'line 5: The file is GRCh38/hg38 data — its ##contig line gives chromosome 20 64,444,167 bp, GRCh38\'s length (63,025,520 in GRCh37) — but names the chromosome 20, where the services want GRCh38 data named chr20. Rename it: put the line "20 chr20" in map.txt and run `bcftools annotate --rename-chrs map.txt -Oz -o renamed.vcf.gz file.vcf.gz`.',
  },
  {
    cause: '"chr" names and no evidence of the build in a GRCh37 job: no rename offered blindly',
    file: () => makeVcfGz({ ...base, chromosome: 'chr20' }),
    code: 'BUILD_UNCONFIRMED',
    advice:
      'line 5: The file names its chromosome chr20, as the services expect of GRCh38/hg38 data, but the build of the input data chosen for the job is GRCh37/hg19 (named 20). Nothing else in the file tells its build (no ##contig lengths or ##reference of a known build, and its positions fit both). Find out which build the data is before changing anything: if it is GRCh38, choose GRCh38/hg38 as the build of the input data; renaming the chromosome to 20 is right only for GRCh37 data.',
  },
  {
    cause:
      'positions past GRCh37’s end under a GRCh37 header (a header kept through a liftover), named as GRCh37',
    file: () => makeVcfGz({ ...base, contigLength: GRCH37_CHR20, startPosition: 63_100_000 }),
    code: 'BUILD_MISMATCH',
    advice:
      "line 5: The file looks like GRCh38/hg38 data: its records reach position 63,127,263 on chromosome 20, past that chromosome's end in GRCh37 (63,025,520 bp). Its header says otherwise (its ##contig line gives chromosome 20 63,025,520 bp, GRCh37's length (64,444,167 in GRCh38)), as a header kept through a liftover would, but records past a chromosome's end in GRCh37 cannot be GRCh37 data. But the build of the input data chosen for the job is GRCh37/hg19. The job's build must match the data: choose GRCh38/hg38 as the build of the input data (the service lifts the data over to its panel's build where they differ), or lift the data over to GRCh37 yourself first. Renaming the chromosomes would not change the positions.",
  },
  {
    cause: 'a header that contradicts itself (GRCh37 contig length, a GRCh38 reference), named as GRCh37',
    file: () => makeVcfGz({ ...base, contigLength: GRCH37_CHR20, meta: ['##reference=GRCh38.fa'] }),
    code: 'BUILD_UNCONFIRMED',
    advice:
      'line 6: The file\'s evidence of its build conflicts: its ##contig line gives chromosome 20 63,025,520 bp, GRCh37\'s length (64,444,167 in GRCh38); and its ##reference line names GRCh38 ("GRCh38.fa"). Find out which build the data is before submitting, and choose it as the build of the input data (the build of the input data chosen for the job is GRCh37/hg19 now).',
  },
];

const advice = (verdict: FileVerdict) => {
  if (verdict.status !== 'invalid') throw new Error(`expected an invalid file, got ${verdict.status}`);
  const { problem } = verdict;
  return {
    code: problem.code,
    text: problem.line === undefined ? problem.message : `line ${problem.line}: ${problem.message}`,
  };
};

describe('each broken file gets the advice for its own cause', () => {
  it.each(fileCases)('$cause → $code', async ({ file, rules, code, advice: expected }) => {
    const found = advice(await validate(file(), { rules: rules ?? hg19 }));
    expect(found.code).toBe(code);
    if (code === 'BGZF_CORRUPT') {
      expect(found.text.startsWith(expected)).toBe(true);
      expect(found.text).toMatch(
        /the file itself is corrupt \(`bgzip -t file\.vcf\.gz` shows it\); re-create it/,
      );
    } else {
      expect(found.text).toBe(expected);
    }
  });

  it('accepts each build with its own naming and evidence', async () => {
    const ok = [
      [makeVcfGz({ ...base, chromosome: 'chr20', contigLength: GRCH38_CHR20 }), hg38],
      [makeVcfGz({ ...base, contigLength: GRCH37_CHR20 }), hg19],
      [makeVcfGz({ ...base, chromosome: 'chr20', meta: ['##reference=GRCh38.fa'] }), hg38],
      [makeVcfGz(base), hg19],
      [makeVcfGz({ ...base, chromosome: 'chr20' }), hg38],
    ] as const;
    for (const [file, rules] of ok) expect((await validate(file, { rules })).status).toBe('valid');
  });
});

async function inputFile(fileName: string, spec: VcfSpec, extra: Partial<JobInputFile> = {}) {
  const verdict = await validate(makeVcfGz(spec), { rules: undefined });
  if (verdict.status !== 'valid') throw new Error(`${fileName} should be valid on its own`);
  return { fileName, facts: verdict.facts, ...extra };
}

describe('the files of a job together', () => {
  it('tells the same file picked twice as a duplicate, not two files to concat', async () => {
    const a = await inputFile('cohort.chr20.vcf.gz', base, { size: 5000, etag: '"abc"' });
    const b = await inputFile('cohort.chr20 (1).vcf.gz', base, { size: 5000, etag: '"abc"' });
    expect(jobInputProblems([a, b], hg19)).toEqual([
      {
        fileName: 'cohort.chr20 (1).vcf.gz',
        problem: {
          code: 'DUPLICATE_FILE',
          message:
            'this is the same file as cohort.chr20.vcf.gz (30 samples, chromosome 20, 200 variants): it was picked twice; remove one of them.',
        },
      },
    ]);
  });

  it('says only "looks like" the same file when the bytes may differ (other ETags), with the merge for two cohorts', async () => {
    const a = await inputFile('batch1.chr20.vcf.gz', base, { size: 5000, etag: '"one"' });
    const b = await inputFile('batch2.chr20.vcf.gz', base, { size: 5000, etag: '"two"' });
    expect(jobInputProblems([a, b], hg19)[0]!.problem.message).toBe(
      'this looks like the same file as batch1.chr20.vcf.gz (the same size, 30 samples, chromosome 20, 200 variants): if it was picked twice, remove one of them; if the two hold different samples, join them into one with `bcftools merge` (both indexed).',
    );
  });

  it('tells two different files of one chromosome apart from a duplicate', async () => {
    const a = await inputFile('a.chr20.vcf.gz', base);
    const b = await inputFile('b.chr20.vcf.gz', { ...base, startPosition: 9_000_000 });
    expect(jobInputProblems([a, b], hg19)).toEqual([
      {
        fileName: 'b.chr20.vcf.gz',
        problem: {
          code: 'CHROMOSOME_IN_TWO_FILES',
          line: 5,
          message:
            'chromosome 20 is also in a.chr20.vcf.gz: the services need all of a chromosome in one file; join them into one: `bcftools concat -a` when they hold different variants of the same samples, `bcftools merge` when they hold other samples (both indexed), and upload the result.',
        },
      },
    ]);
  });

  it('refuses files with different samples, at the #CHROM line of the later one', async () => {
    const a = await inputFile('a.chr20.vcf.gz', base);
    const b = await inputFile('b.chr21.vcf.gz', { ...base, samples: 31, chromosome: '21' });
    expect(jobInputProblems([a, b], hg19)).toEqual([
      {
        fileName: 'b.chr21.vcf.gz',
        problem: {
          code: 'SAMPLE_COUNT_DIFFERS',
          line: 4,
          message:
            'the file has 31 samples where a.chr20.vcf.gz has 30: every file of a job must hold the same samples (one file per chromosome of one cohort).',
        },
      },
    ]);
  });

  it('refuses a mix of builds before submission, naming the files of each', async () => {
    const a = await inputFile('a.chr20.vcf.gz', { ...base, contigLength: GRCH37_CHR20 });
    const b = await inputFile('b.chr21.vcf.gz', { ...base, chromosome: 'chr21', contigLength: 46_709_983 });
    const problems = jobInputProblems([a, b], hg19);
    expect(problems.map((p) => [p.fileName, p.problem.code])).toEqual([
      [null, 'BUILDS_MIXED'],
      ['b.chr21.vcf.gz', 'BUILD_MISMATCH'],
    ]);
    expect(problems[0]!.problem.message).toBe(
      "The job's files are of two builds (GRCh37/hg19: a.chr20.vcf.gz; GRCh38/hg38: b.chr21.vcf.gz). All files of a job must be of one build: lift the others over, or submit each build as its own job.",
    );
  });

  it('judges a job without phasing from the first unphased genotype the check noted', async () => {
    const a = await inputFile('a.chr20.vcf.gz', { ...base, unphased: true });
    expect(jobInputProblems([a], { ...hg19, phasing: 'no_phasing' })).toEqual([
      {
        fileName: 'a.chr20.vcf.gz',
        problem: {
          code: 'PHASING',
          line: 5,
          message:
            'sample 1 has an unphased genotype ("/") and the job asks for no phasing: choose a phasing algorithm (eagle or beagle), or upload phased data.',
        },
      },
    ]);
    expect(jobInputProblems([a], { ...hg19, phasing: 'eagle' })).toEqual([]);
  });
});
