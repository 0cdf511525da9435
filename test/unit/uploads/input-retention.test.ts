/**
 * How long inputs are kept: the tiers, the tier a hold needs (S3's own day arithmetic), and a tag that
 * ends with the largest tier when holds race.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  lifecycleExpiry,
  RETENTION_TAG,
  retentionFor,
  retentionTiers,
  tagRetention,
} from '#shared/uploads/input-retention';
import type { UploadRecord, UploadStore } from '#shared/uploads/upload-store';

const DAY_MS = 86_400_000;

describe('retention tiers', () => {
  it('doubles from INPUT_EXPIRY_DAYS to sixteen times it', () => {
    expect(retentionTiers(14)).toEqual([14, 28, 56, 112, 224]);
  });

  it("rounds an object's expiry up to midnight UTC, as the lifecycle does", () => {
    expect(lifecycleExpiry(Date.parse('2026-03-01T10:30:00Z'), 14).toISOString()).toBe(
      '2026-03-16T00:00:00.000Z',
    );
    expect(lifecycleExpiry(Date.parse('2026-03-01T00:00:00Z'), 14).toISOString()).toBe(
      '2026-03-15T00:00:00.000Z',
    );
  });

  it('picks the smallest tier that reaches the hold, the longest when none does', () => {
    const createdAt = '2026-03-01T10:30:00Z';
    const at = (days: number) => new Date(Date.parse(createdAt) + days * DAY_MS);
    expect(retentionFor(createdAt, at(28), 14).days).toBe(28);
    expect(retentionFor(createdAt, at(28.5), 14).days).toBe(28); // within the rounding up to midnight
    expect(retentionFor(createdAt, at(29), 14).days).toBe(56);
    expect(retentionFor(createdAt, at(200), 14)).toEqual({
      days: 224,
      expiresAt: new Date('2026-10-12T00:00:00.000Z'),
    });
    expect(retentionFor(createdAt, at(400), 14).days).toBe(224);
  });
});

describe('tagging', () => {
  const upload = {
    uploadId: 'u1',
    owner: 'alice',
    bucket: 'inputs',
    key: 'inputs/alice/u1/a.vcf.gz',
    createdAt: '2026-03-01T10:30:00Z',
  } as UploadRecord;

  function fakes(recorded: number[]) {
    const tagged: string[] = [];
    const s3 = {
      send: async (command: { input: { Tagging: { TagSet: { Key: string; Value: string }[] } } }) => {
        const tag = command.input.Tagging.TagSet[0]!;
        expect(tag.Key).toBe(RETENTION_TAG);
        tagged.push(tag.Value);
        return {};
      },
    } as unknown as S3Client;
    let reads = 0;
    const store = {
      get: async () => ({ ...upload, retentionDays: recorded[Math.min(reads++, recorded.length - 1)] }),
    } as unknown as UploadStore;
    return { tagged, deps: { s3, store, now: () => new Date() } };
  }

  it('tags once when the record holds no longer tier', async () => {
    const { tagged, deps } = fakes([28]);
    await tagRetention(upload, 28, deps);
    expect(tagged).toEqual(['28']);
  });

  it('re-tags with the longer tier a concurrent hold recorded meanwhile, so the largest wins', async () => {
    const { tagged, deps } = fakes([56, 112, 112]);
    await tagRetention(upload, 28, deps);
    expect(tagged).toEqual(['28', '56', '112']);
  });
});
