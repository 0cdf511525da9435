import { describe, expect, it } from 'vitest';
import { isImputedResult } from '#shared/workflow/finish-job';
import { MAX_RESULT_NAME, resultFilesToCopy } from '#shared/workflow/poll-job';
import { submissionMayStillAppear } from '#shared/workflow/submit-job';

const file = (name: string, hash = `h-${name}`) => ({ name, hash, size: '1 kB' });

describe('which listed result files are copied', () => {
  it('skips the service log parameter and anything marked admin-only or not downloadable', () => {
    const { files, skipped } = resultFilesToCopy([
      { name: 'output', files: [file('chr_20.zip'), file('qc_report.txt')] },
      { name: 'cloudgene_logs', files: [file('job.txt'), file('std.out')] },
      { name: 'internal', adminOnly: true, files: [file('debug.txt')] },
      { name: 'workspace', download: false, files: [file('tmp.bin')] },
    ]);
    expect(files.map((f) => f.name)).toEqual(['chr_20.zip', 'qc_report.txt']);
    expect(files.every((f) => f.param === 'output')).toBe(true);
    expect(skipped).toBe(4);
  });

  it(`skips a name or key longer than ${MAX_RESULT_NAME} characters: it would only bloat the job`, () => {
    const { files, skipped } = resultFilesToCopy([
      {
        name: 'output',
        files: [
          file('chr_20.zip'),
          file('x'.repeat(MAX_RESULT_NAME + 1)),
          file('ok.txt', 'h'.repeat(10_000)),
        ],
      },
    ]);
    expect(files.map((f) => f.name)).toEqual(['chr_20.zip']);
    expect(skipped).toBe(2);
  });

  it('keeps two parameters that list the same name apart, and drops an exact repeat', () => {
    const { files } = resultFilesToCopy([
      { name: 'output', files: [file('report.txt', 'a'), file('report.txt', 'a')] },
      { name: 'statistics', files: [file('report.txt', 'b')] },
    ]);
    expect(files).toEqual([
      { name: 'report.txt', hash: 'a', size: '1 kB', param: 'output' },
      { name: 'report.txt', hash: 'b', size: '1 kB', param: 'statistics', target: 'statistics/report.txt' },
    ]);
  });
});

describe('what counts as an imputed result', () => {
  it.each([
    ['chr_20.zip', true],
    ['CHR_X.ZIP', true],
    ['chr20.dose.vcf.gz', true],
    ['qc_report.txt', false],
    ['chr20.info.gz', false],
    ['statistics/lift-over.txt', false],
  ])('%s → %s', (name, imputed) => {
    expect(isImputedResult(name)).toBe(imputed);
  });
});

describe('whether a cancelled submission may still appear at the service', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
  const job = (fields: { submissionAttemptAt?: string; submissionAttemptEndedAt?: string }) =>
    fields as unknown as Parameters<typeof submissionMayStillAppear>[0];
  const now = Date.UTC(2026, 0, 1) + 10 * 60_000;

  it.each([
    ['no attempt was ever marked', {}, false],
    ['an upload under way for 10 minutes', { submissionAttemptAt: at(0) }, true],
    [
      'an upload marked 17 minutes ago (no task runs that long)',
      { submissionAttemptAt: at(-7 * 60_000) },
      false,
    ],
    [
      'an answer lost 30 s ago',
      { submissionAttemptAt: at(0), submissionAttemptEndedAt: at(10 * 60_000 - 30_000) },
      true,
    ],
    [
      'an answer lost 2 minutes ago',
      { submissionAttemptAt: at(0), submissionAttemptEndedAt: at(8 * 60_000) },
      false,
    ],
    [
      'a new upload after an earlier lost answer',
      { submissionAttemptAt: at(9 * 60_000), submissionAttemptEndedAt: at(0) },
      true,
    ],
  ])('%s → %s', (_, fields, expected) => {
    expect(submissionMayStillAppear(job(fields), now)).toBe(expected);
  });
});
