import { describe, expect, it } from 'vitest';
import { bgzip, makeVcfGz, vcfText } from '#test/support/vcf-fixtures';
import { hg19, problemOf, validate } from './support';

/** A VCF with its header lines replaced: `lines` then the records of `vcfText`. */
function withHeader(lines: string[], records = 3): Buffer {
  const body = vcfText({ samples: 30, records })
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  return bgzip(`${[...lines, ...body].join('\n')}\n`);
}

const chromLine = (samples: number, names = Array.from({ length: samples }, (_, i) => `S${i + 1}`)) =>
  ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...names].join('\t');

describe('the header: ##fileformat first, then meta lines, then #CHROM', () => {
  it('accepts a bgzipped VCF with 51 samples and reports its summary', async () => {
    const verdict = await validate(makeVcfGz({ samples: 51, records: 120 }));
    expect(verdict.status).toBe('valid');
    expect(verdict.summary).toEqual({ sampleCount: 51, chromosomes: ['20'], records: 120, lines: 124 });
    expect(verdict).toMatchObject({
      facts: {
        samples: 51,
        chromosome: '20',
        records: 120,
        lines: 124,
        chromLine: 4,
        firstRecordLine: 5,
        lastPosition: 60_000 + 119 * 137,
        reference: null,
        contigs: [],
        firstUnphased: null,
      },
    });
  });

  it('refuses a file whose first line is not ##fileformat=VCF…', async () => {
    const problem = problemOf(
      await validate(withHeader(['##source=x', '##fileformat=VCFv4.2', chromLine(30)])),
    );
    expect(problem).toEqual({
      code: 'NOT_VCF',
      line: 1,
      message:
        'The VCF header lacks its first line, ##fileformat=VCFv4.2 (the file starts with "##source=x"): add it at the top, e.g. `(echo \'##fileformat=VCFv4.2\'; gzip -dc file.vcf.gz) | bgzip > fixed.vcf.gz`, and upload fixed.vcf.gz.',
    });
  });

  it('refuses records before any #CHROM line, at the first record', async () => {
    const problem = problemOf(await validate(withHeader(['##fileformat=VCFv4.2', '##x=y'])));
    expect(problem).toMatchObject({ code: 'NO_CHROM_LINE', line: 3 });
  });

  it('refuses a header that ends without a #CHROM line', async () => {
    const problem = problemOf(await validate(bgzip('##fileformat=VCFv4.2\n##x=y\n')));
    expect(problem).toEqual({ code: 'NO_CHROM_LINE', message: 'The VCF header has no #CHROM line.' });
  });

  it('refuses a single-# line that is not #CHROM', async () => {
    const problem = problemOf(
      await validate(withHeader(['##fileformat=VCFv4.2', '#comment', chromLine(30)])),
    );
    expect(problem).toMatchObject({ code: 'BAD_HEADER', line: 2 });
  });

  it('refuses a header line after the #CHROM line', async () => {
    const text = vcfText({ samples: 30, records: 5 }).replace(/\n(20\t60137)/, '\n##late=1\n$1');
    expect(problemOf(await validate(bgzip(text)))).toMatchObject({ code: 'BAD_HEADER', line: 6 });
  });
});

describe('the #CHROM line: fixed columns, FORMAT, unique sample ids', () => {
  it('refuses a #CHROM line separated by spaces, naming the column', async () => {
    const problem = problemOf(
      await validate(withHeader(['##fileformat=VCFv4.2', chromLine(30).replaceAll('\t', ' ')])),
    );
    expect(problem).toMatchObject({ code: 'BAD_HEADER', line: 2 });
    expect(problem.message).toMatch(/column 1 is a line without tabs/);
  });

  it('refuses a misnamed fixed column', async () => {
    const problem = problemOf(
      await validate(withHeader(['##fileformat=VCFv4.2', chromLine(30).replace('FILTER', 'FILT')])),
    );
    expect(problem.message).toMatch(/column 7 is "FILT"/);
  });

  it('refuses samples without a FORMAT column', async () => {
    const problem = problemOf(
      await validate(withHeader(['##fileformat=VCFv4.2', chromLine(30).replace('FORMAT', 'GENO')])),
    );
    expect(problem.message).toMatch(/column 9 of the #CHROM line must be FORMAT/);
  });

  it('refuses two samples with the same id, as the services do', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `S${i + 1}`);
    names[20] = 'S4';
    const problem = problemOf(await validate(withHeader(['##fileformat=VCFv4.2', chromLine(30, names)])));
    expect(problem).toMatchObject({ code: 'DUPLICATE_SAMPLE', line: 2 });
    expect(problem.message).toMatch(/the id S4/);
  });
});

describe("the sample count: within the service's limits (a job rule, judged from the file's facts)", () => {
  it('refuses too few samples with the count in the message, at the #CHROM line', async () => {
    const problem = problemOf(await validate(makeVcfGz({ samples: 5 }), { rules: hg19 }));
    expect(problem).toEqual({
      code: 'TOO_FEW_SAMPLES',
      line: 4,
      message:
        'The file has 5 samples; the service needs at least 20 in each file (fewer cannot be imputed reliably): add samples, or impute them together with others.',
    });
  });

  it('applies the limits it is given (a service with a lower maximum)', async () => {
    const rules = { build: 'hg19' as const, sampleLimits: { min: 2, max: 25 } };
    expect(problemOf(await validate(makeVcfGz({ samples: 30 }), { rules })).message).toBe(
      'The file has 30 samples; the service accepts at most 25: split the samples into several jobs (`bcftools view -S` with a list of sample ids).',
    );
    expect((await validate(makeVcfGz({ samples: 3 }), { rules })).status).toBe('valid');
  });

  it('checks no limit without a job: the file alone has 5 samples, recorded in its facts', async () => {
    const verdict = await validate(makeVcfGz({ samples: 5 }), { rules: undefined });
    expect(verdict).toMatchObject({ status: 'valid', facts: { samples: 5, chromLine: 4 } });
  });
});

describe('the records: at least one', () => {
  it('refuses a header without records', async () => {
    expect(problemOf(await validate(makeVcfGz({ samples: 30, records: 0 })))).toEqual({
      code: 'NO_RECORDS',
      message: 'The file has a header but no variant records.',
    });
  });
});
