/** Helpers of the VCF validator tests: feed a buffer the way an S3 body arrives, and validate it. */
import { Readable } from 'node:stream';
import type { VcfRules } from '#shared/vcf/vcf-problems';
import { type FileVerdict, type ValidateVcfOptions, validateVcf } from '#shared/vcf/vcf-validator';

export const hg19: VcfRules = { build: 'hg19', sampleLimits: { min: 20, max: 50_000 } };

/** The buffer in chunks of `size` bytes (S3 bodies arrive in 16–64 KiB pieces, never aligned to blocks). */
export function chunked(data: Buffer, size = 4096): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );
}

export function validate(
  data: Buffer,
  options: Partial<ValidateVcfOptions> & { chunkSize?: number } = {},
): Promise<FileVerdict> {
  return validateVcf(chunked(data, options.chunkSize), { rules: hg19, ...options });
}

/** The problem of an invalid verdict (fails the test with the verdict otherwise). */
export function problemOf(verdict: FileVerdict) {
  if (verdict.status !== 'invalid')
    throw new Error(`expected an invalid file, got ${JSON.stringify(verdict)}`);
  return verdict.problem;
}

/**
 * Validates in as many calls as it takes when every call pauses as early as it may (after one block),
 * each call reading a range that starts at the cursor's block, as the workflow task does from S3.
 */
export async function validateInSteps(
  data: Buffer,
  options: Partial<ValidateVcfOptions> = {},
): Promise<{ verdict: FileVerdict; calls: number; cursors: string[] }> {
  let resume: ValidateVcfOptions['resume'];
  const cursors: string[] = [];
  for (let calls = 1; ; calls++) {
    const source = chunked(data.subarray(resume?.block ?? 0), 5000);
    const verdict = await validateVcf(source, { rules: hg19, ...options, resume, shouldPause: () => true });
    if (verdict.status !== 'paused') return { verdict, calls, cursors };
    cursors.push(JSON.stringify(verdict.cursor));
    resume = verdict.cursor;
    if (calls > 10_000) throw new Error('no end');
  }
}
