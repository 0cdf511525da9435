/**
 * How a file travels: one PUT up to the threshold, parts above it — of the configured size, grown to whole
 * MiB once a file would need more than S3's 10,000 parts, the last part holding the rest — and the
 * settings that bound all of it to what S3 accepts.
 */
import { describe, expect, it } from 'vitest';
import { parseSettings } from '#shared/settings';
import {
  DEFAULT_MAX_UPLOAD_BYTES,
  GIB,
  MIB,
  S3_MAX_OBJECT_BYTES,
  S3_MAX_PART_BYTES,
  S3_MAX_PARTS,
  S3_MIN_PART_BYTES,
  TIB,
} from '#shared/uploads/s3-limits';
import { partRange, planTransfer } from '#shared/uploads/upload-plan';

const defaults = { UPLOAD_MULTIPART_THRESHOLD_BYTES: 64 * MIB, UPLOAD_PART_SIZE_BYTES: 64 * MIB };

/** Every part of a plan, as partRange lays them out. */
function layout(size: number) {
  const plan = planTransfer(size, defaults);
  if (plan.transfer !== 'multipart') throw new Error('not multipart');
  const parts = Array.from({ length: plan.partCount }, (_, i) => partRange(plan, size, i + 1));
  return { plan, parts };
}

describe('the transfer plan of an upload', () => {
  it('is one PUT up to the threshold, and multipart from one byte above it', () => {
    expect(planTransfer(1, defaults)).toEqual({ transfer: 'single' });
    expect(planTransfer(64 * MIB, defaults)).toEqual({ transfer: 'single' });
    expect(planTransfer(64 * MIB + 1, defaults)).toEqual({
      transfer: 'multipart',
      partSize: 64 * MIB,
      partCount: 2,
    });
    expect(planTransfer(10 * MIB, { ...defaults, UPLOAD_MULTIPART_THRESHOLD_BYTES: 5 * MIB })).toEqual({
      transfer: 'multipart',
      partSize: 64 * MIB,
      partCount: 1,
    });
  });

  it('keeps the configured part size while the file fits 10,000 parts, and gives the last part the rest', () => {
    const size = 20 * GIB + 12_345;
    const { plan, parts } = layout(size);
    expect(plan).toEqual({ transfer: 'multipart', partSize: 64 * MIB, partCount: 321 });
    expect(parts.slice(0, -1).every((part) => part.length === 64 * MIB)).toBe(true);
    expect(parts.at(-1)).toEqual({ offset: 320 * 64 * MIB, length: 12_345 });
    expect(parts.reduce((sum, part) => sum + part.length, 0)).toBe(size);
    // Exactly 10,000 parts of 64 MiB still fit.
    expect(layout(S3_MAX_PARTS * 64 * MIB).plan).toMatchObject({
      partSize: 64 * MIB,
      partCount: S3_MAX_PARTS,
    });
  });

  it('grows the part size to whole MiB once the file would need more than 10,000 parts', () => {
    const justOver = layout(S3_MAX_PARTS * 64 * MIB + 1).plan;
    expect(justOver).toEqual({ transfer: 'multipart', partSize: 65 * MIB, partCount: 9_847 });
    for (const size of [DEFAULT_MAX_UPLOAD_BYTES, 1 * TIB + 7, S3_MAX_OBJECT_BYTES]) {
      const { plan, parts } = layout(size);
      expect(plan.partSize % MIB, String(size)).toBe(0);
      expect(plan.partCount, String(size)).toBeLessThanOrEqual(S3_MAX_PARTS);
      expect(plan.partSize, String(size)).toBeLessThanOrEqual(S3_MAX_PART_BYTES);
      // One MiB smaller would not fit: the growth is the least that does.
      if (plan.partSize > 64 * MIB)
        expect(Math.ceil(size / (plan.partSize - MIB))).toBeGreaterThan(S3_MAX_PARTS);
      expect(
        parts.reduce((sum, part) => sum + part.length, 0),
        String(size),
      ).toBe(size);
      expect(parts.at(-1)!.length).toBeGreaterThan(0);
    }
    expect(layout(S3_MAX_OBJECT_BYTES).plan).toMatchObject({ partSize: 525 * MIB, partCount: 9_987 });
  });

  it('knows only the parts of the plan', () => {
    const plan = { partSize: 5 * MIB, partCount: 3 };
    expect(partRange(plan, 12 * MIB, 3)).toEqual({ offset: 10 * MIB, length: 2 * MIB });
    for (const partNumber of [0, 4, 1.5])
      expect(() => partRange(plan, 12 * MIB, partNumber)).toThrow(RangeError);
  });
});

describe('the upload settings', () => {
  const uploads = (env: Record<string, string>) =>
    parseSettings('uploads', { INPUTS_BUCKET: 'inputs', ...env });

  it('default to a 100 GiB upload, multipart above 64 MiB in 64 MiB parts', () => {
    expect(uploads({})).toMatchObject({
      MAX_UPLOAD_BYTES: 100 * GIB,
      UPLOAD_MULTIPART_THRESHOLD_BYTES: 64 * MIB,
      UPLOAD_PART_SIZE_BYTES: 64 * MIB,
    });
  });

  it('refuse what S3 does not accept: parts under 5 MiB or over 5 GiB, uploads over 5 TiB, one PUT over 5 GiB', () => {
    const refused: Record<string, string>[] = [
      { UPLOAD_PART_SIZE_BYTES: String(S3_MIN_PART_BYTES - MIB) },
      { UPLOAD_PART_SIZE_BYTES: String(S3_MIN_PART_BYTES + 1) },
      { UPLOAD_PART_SIZE_BYTES: String(S3_MAX_PART_BYTES + MIB) },
      { MAX_UPLOAD_BYTES: String(S3_MAX_OBJECT_BYTES + 1) },
      { UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * GIB + 1) },
    ];
    for (const env of refused)
      expect(() => uploads(env), JSON.stringify(env)).toThrow(/Invalid configuration/);
    expect(uploads({ UPLOAD_PART_SIZE_BYTES: String(S3_MIN_PART_BYTES) }).UPLOAD_PART_SIZE_BYTES).toBe(
      5 * MIB,
    );
  });
});
