import { describe, expect, it } from 'vitest';
import { JobStatus as S } from '#shared/jobs/job-status';
import { deriveParentStatus, summarizeChildren } from '#shared/jobs/parent-job-status';

describe("a parent job's derived status", () => {
  it.each([
    ['INCOMPLETE', 2, [S.SUCCEEDED]],
    ['INCOMPLETE', 2, []],
    ['RUNNING', 2, [S.QUEUED, S.SUCCEEDED]],
    ['RUNNING', 3, [S.FAILED, S.CANCEL_REQUESTED, S.SUCCEEDED]],
    ['RUNNING', 2, [S.COPYING_RESULTS, S.WAITING_FOR_SLOT]],
    ['SUCCEEDED', 2, [S.SUCCEEDED, S.SUCCEEDED]],
    ['PARTIAL', 2, [S.SUCCEEDED, S.FAILED]],
    ['PARTIAL', 3, [S.CANCELED, S.SUCCEEDED, S.EXPIRED]],
    ['CANCELED', 2, [S.CANCELED, S.CANCELED]],
    ['FAILED', 2, [S.FAILED, S.CANCELED]],
    ['FAILED', 2, [S.EXPIRED, S.FAILED]],
  ] as const)('is %s for %i planned children in %j', (expected, planned, statuses) => {
    expect(deriveParentStatus(planned, statuses)).toBe(expected);
  });

  it('summarizes the children by status, with those missing', () => {
    expect(summarizeChildren(3, [S.SUCCEEDED, S.RUNNING])).toEqual({
      total: 3,
      byStatus: { SUCCEEDED: 1, RUNNING: 1 },
      missing: 1,
    });
    expect(summarizeChildren(2, [S.FAILED, S.FAILED])).toEqual({
      total: 2,
      byStatus: { FAILED: 2 },
      missing: 0,
    });
  });
});
