import { describe, expect, it } from 'vitest';
import { type FileCursor, fileCursorSchema, validateVcf } from '#shared/vcf/vcf-validator';
import { fileCheckpointSchema, validationDeadline } from '#shared/workflow/validate-input';
import { withSettings } from '#test/support/settings';
import {
  bgzfBlockOffsets,
  bgzip,
  makeVcfGz,
  truncateBgzf,
  type VcfFault,
  vcfText,
} from '#test/support/vcf-fixtures';
import { hg19, validate, validateInSteps } from './support';

const many = { samples: 60, records: 4000 };

describe('resuming from a checkpoint gives the verdict of one pass', () => {
  it('validates a valid many-block file in one call per block, with the same summary', async () => {
    const file = makeVcfGz(many);
    const once = await validate(file);
    const steps = await validateInSteps(file);
    expect(once.status).toBe('valid');
    expect(steps.verdict.status).toBe('valid');
    expect(steps.verdict.summary).toEqual(once.summary);
    // One call per data block, give or take the block a call resumes in.
    expect(steps.calls).toBeGreaterThan(bgzfBlockOffsets(file).length / 2);
  });

  it.each<[string, VcfFault]>([
    ['unsorted', { kind: 'unsorted', at: 3100 }],
    ['fewer samples', { kind: 'fewerSamples', at: 2500 }],
    ['mixed chromosomes', { kind: 'secondChromosome', at: 3900 }],
    ['bad genotype', { kind: 'badGenotype', at: 1234 }],
  ])('finds the same problem at the same line when resumed (%s)', async (_, fault) => {
    const file = makeVcfGz({ ...many, fault });
    const once = await validate(file);
    const steps = await validateInSteps(file);
    expect(once.status).toBe('invalid');
    expect(steps.calls).toBeGreaterThan(3);
    expect(steps.verdict).toMatchObject({
      status: 'invalid',
      problem: (once as { problem: unknown }).problem,
    });
  });

  it('finds a truncated end when resumed', async () => {
    const file = truncateBgzf(makeVcfGz(many), 'no-eof');
    const steps = await validateInSteps(file);
    expect(steps.verdict).toMatchObject({ status: 'invalid', problem: { code: 'TRUNCATED' } });
    expect(steps.verdict.summary.records).toBe(many.records);
  });

  it('resumes inside a header of thousands of meta lines and across a #CHROM line of 20,000 samples', async () => {
    const meta = Array.from({ length: 4000 }, (_, i) => `##contig=<ID=alt${i},length=${1000 + i}>\n`).join(
      '',
    );
    const text = vcfText({ samples: 20_000, records: 30 }).replace('##FORMAT', `${meta}##FORMAT`);
    const steps = await validateInSteps(bgzip(text));
    expect(steps.verdict.status).toBe('valid');
    expect(steps.verdict.summary).toMatchObject({ sampleCount: 20_000, records: 30, lines: 4034 });
    expect(steps.cursors.some((c) => JSON.parse(c).sampleCount === null)).toBe(true);
  });
});

/** `data` in 512-byte chunks, failing like a dropped connection once `failAt` bytes were delivered. */
function breaking(data: Buffer, failAt: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; i < data.length; i += 512) {
      if (i >= failAt) throw new Error('socket hang up');
      yield data.subarray(i, i + 512);
    }
  })();
}

describe('a source that breaks mid-file is resumed from the last line start read', () => {
  it.each<[string, VcfFault | undefined]>([
    ['valid', undefined],
    ['unsorted near the end', { kind: 'unsorted', at: 3900 }],
  ])('pauses with the reason and resumes to the verdict of one pass (%s)', async (_, fault) => {
    const file = makeVcfGz({ ...many, fault });
    const once = await validate(file);
    const half = Math.floor(file.length / 2);
    const first = await validateVcf(breaking(file, half), { rules: hg19 });
    expect(first).toMatchObject({ status: 'paused', interrupted: 'socket hang up' });
    const cursor = (first as { cursor: FileCursor }).cursor;
    expect(cursor.block).toBeLessThan(half);
    expect(cursor.block).toBeGreaterThan(half / 2);
    const rest = await validate(file.subarray(cursor.block), { resume: cursor });
    expect(rest.status).toBe(once.status);
    expect(rest.summary).toEqual(once.summary);
    if (fault) expect(rest).toMatchObject({ problem: (once as { problem: unknown }).problem });
  });

  it('throws when it breaks before a whole block was read (the invocation is retried instead)', async () => {
    const file = makeVcfGz(many);
    const firstBlock = file.readUInt16LE(16) + 1;
    expect(firstBlock).toBeGreaterThan(512);
    await expect(validateVcf(breaking(file, 512), { rules: hg19 })).rejects.toThrow(/socket hang up/);
  });
});

describe('the checkpoint is small and parsed strictly', () => {
  it('is a BGZF virtual offset, a line number and the checks’ state, under 400 bytes of JSON', async () => {
    const { cursors } = await validateInSteps(makeVcfGz(many));
    const cursor = fileCursorSchema.parse(JSON.parse(cursors[5]!));
    expect(Object.keys(cursor).sort()).toEqual(
      [
        'block',
        'chromLine',
        'chromosome',
        'contigs',
        'firstRecordLine',
        'firstUnphased',
        'reference',
        'fileformat',
        'lastPosition',
        'line',
        'phaseLocked',
        'records',
        'sampleCount',
        'within',
      ].sort(),
    );
    expect(bgzfBlockOffsets(makeVcfGz(many))).toContain(cursor.block);
    // What the header says of the build rides along too (at most 30 ##contig lengths, a 300-character reference).
    expect(Math.max(...cursors.map((c) => c.length))).toBeLessThan(400);
  });

  it('rejects a tampered checkpoint instead of resuming from nonsense', () => {
    expect(() => fileCheckpointSchema.parse({ invocations: 1, cursor: { block: -1 } })).toThrow();
  });
});

describe('the time budget of one invocation', () => {
  it('stops 60 s before the Lambda would time out', () => {
    expect(validationDeadline({ getRemainingTimeInMillis: () => 900_000 }, 0)).toBe(840_000);
  });

  it('keeps half of a short remaining time', () => {
    expect(validationDeadline({ getRemainingTimeInMillis: () => 60_000 }, 0)).toBe(30_000);
  });

  it('is capped by VALIDATION_BUDGET_MS', async () => {
    await withSettings({ VALIDATION_BUDGET_MS: 1500 }, () => {
      expect(validationDeadline({ getRemainingTimeInMillis: () => 900_000 }, 0)).toBe(1500);
    });
  });
});
