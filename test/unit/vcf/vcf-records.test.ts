import { describe, expect, it } from 'vitest';
import {
  bgzip,
  makeVcfGz,
  recordLine,
  recordPosition,
  type VcfSpec,
  vcfText,
} from '#test/support/vcf-fixtures';
import { problemOf, validate } from './support';

const base: VcfSpec = { samples: 30, records: 200 };

/** `vcfText(base)` with record `index` (0-based) rewritten by `edit` (its tab-separated columns). */
function editRecord(index: number, edit: (columns: string[]) => string[], spec: VcfSpec = base): Buffer {
  const lines = vcfText(spec).split('\n');
  const at = recordLine(spec, index) - 1;
  lines[at] = edit(lines[at]!.split('\t')).join('\t');
  return bgzip(lines.join('\n'));
}

describe('sorting: positions never decrease within the chromosome', () => {
  it('names the first record out of order, both positions and the fix', async () => {
    const spec: VcfSpec = { ...base, fault: { kind: 'unsorted', at: 150 } };
    const problem = problemOf(await validate(makeVcfGz(spec)));
    expect(problem).toEqual({
      code: 'UNSORTED',
      line: recordLine(spec, 150),
      message: `position ${recordPosition(spec, 149)} after ${recordPosition(spec, 150)}: the file is not sorted by position; sort it with \`bcftools sort -Oz -o sorted.vcf.gz file.vcf.gz\` and upload sorted.vcf.gz.`,
    });
  });

  it('accepts equal positions (split multi-allelic sites)', async () => {
    const file = editRecord(10, (c) => [c[0]!, String(recordPosition(base, 9)), ...c.slice(2)]);
    expect((await validate(file)).status).toBe('valid');
  });
});

describe('columns: every record has 9 + the header’s samples', () => {
  it('names a record with fewer sample columns than the #CHROM line and the likely cause', async () => {
    const spec: VcfSpec = { ...base, fault: { kind: 'fewerSamples', at: 77 } };
    expect(problemOf(await validate(makeVcfGz(spec)))).toEqual({
      code: 'SAMPLE_COUNT_MISMATCH',
      line: recordLine(spec, 77),
      message:
        '29 sample columns where the #CHROM line names 30 samples: every record needs one column per sample (a line cut short, or columns joined by spaces instead of tabs); re-create the file from its source.',
    });
  });

  it('names a record with more samples', async () => {
    const problem = problemOf(await validate(editRecord(3, (c) => [...c, '0|0', '1|1'])));
    expect(problem).toMatchObject({
      line: recordLine(base, 3),
      message:
        '32 sample columns where the #CHROM line names 30 samples: every record needs one column per sample (a record with extra columns, or a #CHROM line that lacks sample names); re-create the file from its source.',
    });
  });

  it('names a record without samples at all', async () => {
    const problem = problemOf(await validate(editRecord(3, (c) => c.slice(0, 9))));
    expect(problem.message).toMatch(/^0 sample columns where the #CHROM line names 30 samples: /);
  });

  it('names a record separated by spaces, not tabs', async () => {
    const lines = vcfText(base).split('\n');
    lines[recordLine(base, 5) - 1] = lines[recordLine(base, 5) - 1]!.replaceAll('\t', ' ');
    const problem = problemOf(await validate(bgzip(lines.join('\n'))));
    expect(problem).toMatchObject({ code: 'BAD_RECORD', line: recordLine(base, 5) });
    expect(problem.message).toMatch(/^1 column where the header has 39 .*separated by tabs/);
  });

  it('refuses a blank line among the records', async () => {
    const lines = vcfText(base).split('\n');
    lines.splice(recordLine(base, 5) - 1, 0, '');
    expect(problemOf(await validate(bgzip(lines.join('\n'))))).toMatchObject({
      code: 'BAD_RECORD',
      line: recordLine(base, 5),
    });
  });

  it('accepts CRLF line ends and a last line without a newline', async () => {
    const text = vcfText(base).replaceAll('\n', '\r\n').replace(/\r\n$/, '');
    expect((await validate(bgzip(text))).status).toBe('valid');
  });
});

describe('POS, REF and ALT', () => {
  it.each(['0', '-5', '12a', '', '99999999999'])('refuses the position "%s"', async (position) => {
    const problem = problemOf(await validate(editRecord(4, (c) => [c[0]!, position, ...c.slice(2)])));
    expect(problem).toMatchObject({ code: 'BAD_POSITION', line: recordLine(base, 4) });
    expect(problem.message).toContain(`position "${position}" is not a positive integer`);
  });

  it('refuses a record whose REF and ALT are the same', async () => {
    const problem = problemOf(await validate(editRecord(4, (c) => [...c.slice(0, 4), c[3]!, ...c.slice(5)])));
    expect(problem.message).toMatch(/REF and ALT are the same/);
  });

  it('refuses an empty REF', async () => {
    const problem = problemOf(await validate(editRecord(4, (c) => [...c.slice(0, 3), '', ...c.slice(4)])));
    expect(problem.message).toBe('the REF column is empty.');
  });
});

describe('chromosomes: one per file, named for the build, in one file of the job', () => {
  it('names the first record of a second chromosome and how to split the file', async () => {
    const spec: VcfSpec = { ...base, fault: { kind: 'secondChromosome', at: 120 } };
    expect(problemOf(await validate(makeVcfGz(spec)))).toEqual({
      code: 'MIXED_CHROMOSOMES',
      line: recordLine(spec, 120),
      message:
        'chromosome 21 after 20: the services need one chromosome per file; split it: `bcftools index file.vcf.gz`, then for each chromosome `bcftools view -r <chromosome> -Oz -o <chromosome>.vcf.gz file.vcf.gz`.',
    });
  });

  it('accepts chr-prefixed names for hg38 and names without for hg19 (the mix-ups are in advice.test.ts)', async () => {
    const hg38 = { build: 'hg38' as const, sampleLimits: { min: 20, max: 50_000 } };
    expect((await validate(makeVcfGz({ ...base, chromosome: 'chr20' }), { rules: hg38 })).status).toBe(
      'valid',
    );
    expect((await validate(makeVcfGz(base))).status).toBe('valid');
  });

  it('refuses a chromosome the services do not impute', async () => {
    const problem = problemOf(await validate(makeVcfGz({ ...base, chromosome: 'Y' })));
    expect(problem).toMatchObject({ code: 'INVALID_CHROMOSOME', line: 5 });
  });
});

describe('genotypes: GT first in FORMAT, parseable, allele indexes within the ALT count', () => {
  it('names the sample and line of an unparseable genotype', async () => {
    const spec: VcfSpec = { ...base, fault: { kind: 'badGenotype', at: 33 } };
    const problem = problemOf(await validate(makeVcfGz(spec)));
    expect(problem).toMatchObject({ code: 'BAD_GENOTYPE', line: recordLine(spec, 33) });
    expect(problem.message).toMatch(/^sample 3 \(column 12\) has the genotype "0\|x"/);
  });

  it.each(['0|2', '3/0'])(
    'refuses the allele index in %s when the record has one ALT allele',
    async (genotype) => {
      const spec: VcfSpec = { ...base, fault: { kind: 'badGenotype', at: 33, genotype } };
      expect(problemOf(await validate(makeVcfGz(spec))).message).toBe(
        `sample 3 (column 12) has the genotype "${genotype}" but the record has 1 ALT allele.`,
      );
    },
  );

  it.each(['', '0 1', '0||1', '.1', '0|', 'A/C'])('refuses the genotype "%s"', async (genotype) => {
    const spec: VcfSpec = { ...base, fault: { kind: 'badGenotype', at: 7, genotype } };
    expect(problemOf(await validate(makeVcfGz(spec))).code).toBe('BAD_GENOTYPE');
  });

  it.each(['./.', '.', '1', '0', '.|1', '0|1:0.98', '1/1/0', '|0|1'])(
    'accepts the genotype "%s"',
    async (genotype) => {
      const spec: VcfSpec = { ...base, unphased: true, fault: { kind: 'badGenotype', at: 7, genotype } };
      expect((await validate(makeVcfGz(spec))).status).toBe('valid');
    },
  );

  it('accepts allele indexes up to the number of ALT alleles', async () => {
    const file = editRecord(9, (c) => [...c.slice(0, 4), 'C,G,T', ...c.slice(5, 9), '3|2', ...c.slice(10)]);
    expect((await validate(file)).status).toBe('valid');
  });

  it('accepts FORMAT fields after GT and skips them', async () => {
    const file = editRecord(9, (c) => [
      ...c.slice(0, 8),
      'GT:DS:GP',
      ...c.slice(9).map((g) => `${g}:1.0:0,1,0`),
    ]);
    expect((await validate(file)).status).toBe('valid');
  });

  it('refuses a FORMAT whose first key is not GT', async () => {
    const problem = problemOf(await validate(editRecord(9, (c) => [...c.slice(0, 8), 'DS', ...c.slice(9)])));
    expect(problem).toMatchObject({ code: 'NO_GENOTYPES', line: recordLine(base, 9) });
    expect(problem.message).toMatch(/FORMAT column is "DS": GT must be its first key/);
  });
});

describe("phasing: the services' rules", () => {
  it('refuses an unphased record in a file whose first record is phased', async () => {
    const spec: VcfSpec = { ...base, fault: { kind: 'badGenotype', at: 50, genotype: '0/1' } };
    const problem = problemOf(await validate(makeVcfGz(spec)));
    expect(problem).toMatchObject({ code: 'PHASING', line: recordLine(spec, 50) });
    expect(problem.message).toMatch(/^sample 3 has an unphased genotype .* the first record is phased/);
  });

  it('accepts an unphased file, and refuses it when the job asks for no phasing', async () => {
    const file = makeVcfGz({ ...base, unphased: true });
    expect((await validate(file)).status).toBe('valid');
    const rules = { build: 'hg19' as const, sampleLimits: { min: 20, max: 50_000 }, phasing: 'no_phasing' };
    expect(problemOf(await validate(file, { rules }))).toMatchObject({ code: 'PHASING', line: 5 });
  });
});
