/**
 * What New job says about its files' checks and what they mean for the job: the pick-time summary, the
 * server's outcome in words, a file that cannot be used holding the submit, the server's build advice
 * for a build the file's evidence contradicts, an INPUT_INVALID answer as its list of problems, and the
 * earlier uploads listed once per file.
 */
import { describe, expect, it } from 'vitest';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { ApiError, inputProblems } from '../../../web/src/api/api-error';
import type { Upload } from '../../../web/src/api/client';
import {
  distinctUploads,
  type FileRow,
  jobFiles,
  type PrecheckPassed,
  precheckSummary,
  serverCheckWords,
} from '../../../web/src/lib/file-checks';
import { precheckVcf } from '../../../web/src/lib/vcf-precheck';

async function passed(spec: Parameters<typeof makeVcfGz>[0]): Promise<PrecheckPassed> {
  const result = await precheckVcf(new Blob([new Uint8Array(makeVcfGz(spec))]));
  if (!result.ok) throw new Error(result.message);
  return result;
}

const row = (over: Partial<FileRow> & Pick<FileRow, 'check'>): FileRow => ({
  key: over.fileName ?? 'a',
  fileName: 'a.chr20.vcf.gz',
  size: 1000,
  phase: 'done',
  uploadId: 'U1',
  serverCheck: null,
  ...over,
});

describe('what a picked file is said to hold', () => {
  it('names samples, chromosome and the build its evidence shows', async () => {
    const grch38 = await passed({ samples: 30, records: 50, chromosome: 'chr20', contigLength: 64_444_167 });
    expect(precheckSummary(grch38)).toBe(
      "30 samples · chromosome chr20 · looks like GRCh38/hg38 (its ##contig line gives chr20 64,444,167 bp, GRCh38's length (63,025,520 in GRCh37))",
    );
    expect(precheckSummary(await passed({ samples: 1, records: 5 }))).toBe(
      '1 sample · chromosome 20 · nothing in its header or positions tells its build',
    );
  });

  it('puts the server’s outcome in words', () => {
    const at = '2026-01-01T00:00:00Z';
    expect(serverCheckWords(null)).toBeNull();
    expect(serverCheckWords({ status: 'CHECKING', startedAt: at })?.text).toBe('Checking the whole file…');
    expect(
      serverCheckWords({
        status: 'VALID',
        checkedAt: at,
        samples: 30,
        chromosome: '20',
        variants: 4000,
        build: 'hg19',
        buildEvidence: [],
      }),
    ).toEqual({
      tone: 'ok',
      text: 'Whole file checked: 30 samples · chromosome 20 · 4,000 variants · GRCh37/hg19',
    });
    expect(
      serverCheckWords({
        status: 'INVALID',
        checkedAt: at,
        code: 'UNSORTED',
        line: 55,
        message: 'position …',
      }),
    ).toEqual({ tone: 'danger', text: 'line 55: position …' });
  });
});

describe('the files of the job being made', () => {
  it('holds the submit while a file is checked or uploaded, or cannot be used', async () => {
    const ok = await passed({ samples: 30, records: 50 });
    const refused = { state: 'refused' as const, problem: { code: 'NOT_GZIP', message: 'The file is …' } };
    expect(
      jobFiles([row({ check: { state: 'checking' }, phase: null, uploadId: null })], [], 'hg19'),
    ).toMatchObject({
      busy: true,
      uploadIds: [],
    });
    expect(
      jobFiles([row({ check: { state: 'passed', result: ok }, phase: 'uploading' })], [], 'hg19').busy,
    ).toBe(true);
    const files = jobFiles(
      [
        row({ key: '1', fileName: 'bad.vcf.gz', check: refused, phase: null, uploadId: null }),
        row({
          key: '2',
          fileName: 'late.vcf.gz',
          check: { state: 'passed', result: ok },
          serverCheck: { status: 'INVALID', checkedAt: '', code: 'UNSORTED', line: 9, message: '…' },
        }),
        row({ key: '3', fileName: 'gone.vcf.gz', check: refused, phase: 'canceled' }),
      ],
      [],
      'hg19',
    );
    expect(files).toMatchObject({ busy: false, unusable: ['bad.vcf.gz', 'late.vcf.gz'], uploadIds: ['U1'] });
  });

  it('gives the server’s build advice for a build the file contradicts, and none once they agree', async () => {
    const grch38 = await passed({ samples: 30, records: 50, chromosome: 'chr20', contigLength: 64_444_167 });
    const rows = [row({ check: { state: 'passed', result: grch38 } })];
    const [advice] = jobFiles(rows, [], 'hg19').buildAdvice;
    expect(advice?.message).toMatch(/^The file looks like GRCh38\/hg38 data: its ##contig line gives chr20/);
    expect(advice?.message).toContain('But the build of the input data chosen for the job is GRCh37/hg19.');
    expect(jobFiles(rows, [], 'hg38').buildAdvice).toEqual([]);
    const unconfirmed = await passed({ samples: 30, records: 50, chromosome: 'chr20' });
    expect(
      jobFiles([row({ check: { state: 'passed', result: unconfirmed } })], [], 'hg19').buildAdvice[0]
        ?.message,
    ).toMatch(/^The file names its chromosome chr20, as the services expect of GRCh38\/hg38 data/);
  });
});

describe('a job refused for its files (422 INPUT_INVALID)', () => {
  it('is read as its list of problems, one per file and cause', () => {
    const error = new ApiError('INPUT_INVALID', 'a: line 5: …\nb: …', 422, undefined, {
      problems: [
        { fileName: 'a.vcf.gz', code: 'BUILD_MISMATCH', line: 5, message: 'The file looks like …' },
        { fileName: null, code: 'BUILDS_MIXED', message: "The job's files are of two builds …" },
      ],
    });
    expect(inputProblems(error)).toEqual([
      { fileName: 'a.vcf.gz', line: 5, message: 'The file looks like …' },
      { fileName: null, message: "The job's files are of two builds …" },
    ]);
    expect(inputProblems(new ApiError('VALIDATION_FAILED', '', 400))).toEqual([]);
  });
});

describe('earlier uploads', () => {
  const upload = (id: string, createdAt: string, over: Partial<Upload> = {}): Upload => ({
    uploadId: id,
    fileName: 'cohort.chr20.vcf.gz',
    size: 1000,
    status: 'READY',
    transfer: 'single',
    sha256: null,
    createdAt,
    confirmedAt: createdAt,
    expiresAt: createdAt,
    uploadUrlExpiresAt: createdAt,
    check: null,
    ...over,
  });
  const valid = (variants: number) => ({
    status: 'VALID' as const,
    checkedAt: '',
    samples: 30,
    chromosome: '20',
    variants,
    build: null,
    buildEvidence: [],
  });

  it('lists the same file once, the newest, unless an older one is chosen, and not one picked here', () => {
    const old = upload('A', '2026-01-01T00:00:00Z', { check: valid(100) });
    const again = upload('B', '2026-01-02T00:00:00Z', { check: valid(100) });
    const other = upload('C', '2026-01-03T00:00:00Z', { check: valid(101) });
    const renamed = upload('D', '2026-01-04T00:00:00Z', { fileName: 'x.chr20.vcf.gz' });
    expect(distinctUploads([old, again, other, renamed], []).map((u) => u.uploadId)).toEqual(['D', 'C', 'B']);
    expect(distinctUploads([old, again], ['A']).map((u) => u.uploadId)).toEqual(['A']);
    const unchecked = upload('E', '2026-01-05T00:00:00Z');
    expect(distinctUploads([old, unchecked], []).map((u) => u.uploadId)).toEqual(['E']);
    const pickedHere = [{ fileName: 'cohort.chr20.vcf.gz', size: 1000, uploadId: 'Z' }];
    expect(distinctUploads([old, renamed], [], pickedHere).map((u) => u.uploadId)).toEqual(['D']);
  });
});
