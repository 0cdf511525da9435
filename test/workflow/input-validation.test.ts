import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '#shared/jobs/job-status';
import { withSettings } from '#test/support/settings';
import { makeVcfGz, recordLine, truncateBgzf, type VcfSpec } from '#test/support/vcf-fixtures';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;

beforeAll(async () => {
  h = await startWorkflowHarness();
  // These tests are about the job's own validation step: no upload check settles the files first.
  h.uploadChecks = 'skipped';
});
afterAll(() => h?.close());

const submissionsOf = (serviceUser: string) => h.sim.jobs.filter((j) => j.user === serviceUser);

/** The job's validation result as the state machine kept it in the execution's output. */
const validationOf = (execution: { output?: unknown }) =>
  (execution.output as { validation?: { outcome: string; invocations?: number } } | undefined)?.validation;

/** Runs a job to its end and checks it failed in VALIDATING without reaching the service. */
async function expectRefused(user: string, files: { name: string; vcf?: VcfSpec; raw?: Buffer }[]) {
  const caller = await h.userWithToken(user);
  const before = submissionsOf(caller.serviceUser).length;
  const jobId = await h.createJob(caller, { files });
  const execution = await h.sfn.waitForJob(jobId);
  const job = await h.job(caller, jobId);
  expect(job.status).toBe(JobStatus.FAILED);
  expect(job.error?.code).toBe('INPUT_INVALID');
  expect(job.events.map((e) => e.to)).toEqual([JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.FAILED]);
  expect(submissionsOf(caller.serviceUser).length).toBe(before);
  return { job, execution, message: job.error!.message };
}

const spec: VcfSpec = { samples: 30, records: 400 };

describe('input validation reads every input whole before submission', () => {
  it.each<[string, VcfSpec, RegExp]>([
    [
      'an unsorted file',
      { ...spec, fault: { kind: 'unsorted', at: 321 } },
      /^input\.chr20\.vcf\.gz: line 326: position \d+ after \d+: the file is not sorted by position; sort it with `bcftools sort -Oz -o sorted\.vcf\.gz file\.vcf\.gz`/,
    ],
    [
      'a record with fewer samples',
      { ...spec, fault: { kind: 'fewerSamples', at: 250 } },
      /^input\.chr20\.vcf\.gz: line 255: 29 sample columns where the #CHROM line names 30 samples: /,
    ],
    [
      'a file with two chromosomes',
      { ...spec, fault: { kind: 'secondChromosome', at: 300 } },
      /^input\.chr20\.vcf\.gz: line 306: chromosome 21 after 20: the services need one chromosome per file/,
    ],
    [
      'an unparseable genotype',
      { ...spec, fault: { kind: 'badGenotype', at: 399 } },
      /^input\.chr20\.vcf\.gz: line 404: sample 3 \(column 12\) has the genotype "0\|x"/,
    ],
  ])('fails %s in VALIDATING, naming the line, and the service never sees it', async (_, vcf, message) => {
    const result = await expectRefused('vera', [{ name: 'input.chr20.vcf.gz', vcf }]);
    expect(result.message).toMatch(message);
    expect(`line ${recordLine(vcf, vcf.fault!.at)}`).toBe(/line \d+/.exec(result.message)?.[0]);
  });

  it('fails a truncated upload (no BGZF end-of-file block)', async () => {
    const raw = truncateBgzf(makeVcfGz(spec), 'no-eof');
    const { message } = await expectRefused('vera', [{ name: 'cut.chr20.vcf.gz', raw }]);
    expect(message).toMatch(
      /^cut\.chr20\.vcf\.gz: after line 404, the file ends at byte \d+ without the BGZF end-of-file block/,
    );
  });

  it('fails a job whose two files hold the same chromosome, naming both files', async () => {
    const { message } = await expectRefused('walt', [
      { name: 'part1.chr20.vcf.gz', vcf: spec },
      { name: 'part2.chr20.vcf.gz', vcf: { ...spec, startPosition: 9_000_000 } },
    ]);
    expect(message).toBe(
      'part2.chr20.vcf.gz: line 5: chromosome 20 is also in part1.chr20.vcf.gz: the services need all of a chromosome in one file; join them into one: `bcftools concat -a` when they hold different variants of the same samples, `bcftools merge` when they hold other samples (both indexed), and upload the result.',
    );
  });

  it('lists one problem per invalid file of a job', async () => {
    const { message } = await expectRefused('walt', [
      { name: 'a.chr20.vcf.gz', vcf: { ...spec, fault: { kind: 'unsorted', at: 10 } } },
      { name: 'b.chr21.vcf.gz', vcf: { ...spec, chromosome: '21' } },
      { name: 'c.chr22.vcf.gz', vcf: { ...spec, chromosome: '22', samples: 31 } },
    ]);
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^a\.chr20\.vcf\.gz: line 15: position/),
      // a.chr20 is invalid on its own, so c.chr22 is compared with the first valid file.
      'c.chr22.vcf.gz: line 4: the file has 31 samples where b.chr21.vcf.gz has 30: every file of a job must hold the same samples (one file per chromosome of one cohort).',
    ]);
  });

  it('submits a valid job of two files (chr20 and chr21) and succeeds', async () => {
    const xena = await h.userWithToken('xena');
    const jobId = await h.createJob(xena, {
      files: [
        { name: 'study.chr20.vcf.gz', vcf: spec },
        { name: 'study.chr21.vcf.gz', vcf: { ...spec, chromosome: '21' } },
      ],
    });
    const execution = await h.sfn.waitForJob(jobId);
    const job = await h.job(xena, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.events.find((e) => e.to === JobStatus.SUBMITTING)?.detail).toBe(
      '2 input file(s) valid: 30 samples, chromosome(s) 20, 21, 800 variants',
    );
    expect(h.sim.job(job.externalJobId!).files.map((f) => f.name)).toEqual([
      'study.chr20.vcf.gz',
      'study.chr21.vcf.gz',
    ]);
    // One invocation per file, each in its own branch of the Map.
    expect(validationOf(execution)).toEqual({ outcome: 'VALID', invocations: 2 });
  });
});

describe('input validation resumes from a checkpoint when its time budget runs out', () => {
  const many: VcfSpec = { samples: 40, records: 6000 };

  const withBudget = <T>(ms: number, run: () => Promise<T>) =>
    withSettings({ VALIDATION_BUDGET_MS: ms }, run);

  it('validates a many-block job over several invocations and submits it', async () => {
    const yves = await h.userWithToken('yves');
    const { jobId, execution } = await withBudget(0, async () => {
      const id = await h.createJob(yves, {
        files: [
          { name: 'big.chr20.vcf.gz', vcf: many },
          { name: 'big.chr21.vcf.gz', vcf: { ...many, chromosome: '21' } },
        ],
      });
      return { jobId: id, execution: await h.sfn.waitForJob(id) };
    });
    const job = await h.job(yves, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(validationOf(execution)?.invocations).toBeGreaterThan(10);
    expect(submissionsOf(yves.serviceUser)).toHaveLength(1);
  });

  it('finds a problem near the end of a resumed file at the same line as in one pass', async () => {
    const vcf: VcfSpec = { ...many, fault: { kind: 'unsorted', at: 5800 } };
    const { message, execution } = await withBudget(0, () =>
      expectRefused('zoe', [{ name: 'late.chr20.vcf.gz', vcf }]),
    );
    expect(message).toMatch(new RegExp(`^late\\.chr20\\.vcf\\.gz: line ${recordLine(vcf, 5800)}: position`));
    expect(validationOf(execution)?.invocations).toBeGreaterThan(5);
  });
});

// Last in the file: its own harness points the functions' settings at its own simulator.
describe('input validation checks the files side by side', () => {
  it('reads the files of a job in overlapping branches, so the job takes the time of its largest file', async () => {
    // The file's own harness stops watching: its watcher would use this harness's emulators (the settings
    // and SDK clients are the process's) and write to them after they closed.
    await h.watcher.pause();
    const spans: { index: number; start: number; end: number }[] = [];
    const real = (await import('#functions/workflow/validate-input')).handler;
    const parallel = await startWorkflowHarness({
      handlers: {
        async validateInput(event, context) {
          const index = (event as { index?: number }).index;
          const start = performance.now();
          try {
            return await real(event, context as never);
          } finally {
            if (index !== undefined) spans.push({ index, start, end: performance.now() });
          }
        },
      },
    });
    try {
      parallel.uploadChecks = 'skipped';
      const wren = await parallel.userWithToken('wren');
      const many: VcfSpec = { samples: 40, records: 4000 };
      const jobId = await parallel.createJob(wren, {
        files: ['20', '21', '22'].map((chromosome) => ({
          name: `cohort.chr${chromosome}.vcf.gz`,
          vcf: { ...many, chromosome },
        })),
      });
      await parallel.sfn.waitForJob(jobId);
      expect((await parallel.job(wren, jobId)).status).toBe(JobStatus.SUCCEEDED);
      expect(spans.map((span) => span.index).sort()).toEqual([0, 1, 2]);
      // Every branch started before any other ended: the three files were read at the same time.
      const lastStart = Math.max(...spans.map((span) => span.start));
      const firstEnd = Math.min(...spans.map((span) => span.end));
      expect(lastStart).toBeLessThan(firstEnd);
    } finally {
      await parallel.close();
    }
  });
});
