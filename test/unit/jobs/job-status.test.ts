import { describe, expect, it } from 'vitest';
import {
  allowedPredecessors,
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isKnownRemoteState,
  isTerminal,
  JobStatus,
  jobStatuses,
  statusFromRemoteState,
} from '#shared/jobs/job-status';

describe('job status transitions', () => {
  it('follows the happy path from QUEUED to SUCCEEDED', () => {
    const path = [
      JobStatus.QUEUED,
      JobStatus.VALIDATING,
      JobStatus.SUBMITTING,
      JobStatus.WAITING_FOR_SLOT,
      JobStatus.SUBMITTING,
      JobStatus.QUEUED_REMOTE,
      JobStatus.RUNNING,
      JobStatus.COPYING_RESULTS,
      JobStatus.SUCCEEDED,
    ];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('never leaves a terminal state', () => {
    for (const from of jobStatuses.filter(isTerminal)) {
      for (const to of jobStatuses) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('can fail from every state that is not terminal', () => {
    for (const from of jobStatuses.filter((s) => !isTerminal(s))) {
      expect(canTransition(from, JobStatus.FAILED)).toBe(true);
    }
  });

  it('cancels before submission directly, after submission through CANCEL_REQUESTED', () => {
    expect(canTransition(JobStatus.WAITING_FOR_SLOT, JobStatus.CANCELED)).toBe(true);
    expect(canTransition(JobStatus.RUNNING, JobStatus.CANCEL_REQUESTED)).toBe(true);
    expect(canTransition(JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED)).toBe(true);
    expect(canTransition(JobStatus.COPYING_RESULTS, JobStatus.CANCELED)).toBe(false);
  });

  it('lists the predecessors of a state for conditional writes', () => {
    expect(allowedPredecessors(JobStatus.SUCCEEDED)).toEqual([JobStatus.COPYING_RESULTS]);
    expect(allowedPredecessors(JobStatus.QUEUED)).toEqual([]);
  });

  it('throws a named error on an illegal move', () => {
    expect(() => assertTransition(JobStatus.SUCCEEDED, JobStatus.RUNNING)).toThrow(IllegalTransitionError);
  });

  it('maps every Cloudgene state code, with 4 and 8 both meaning success', () => {
    expect(statusFromRemoteState(1)).toBe(JobStatus.QUEUED_REMOTE);
    for (const code of [-1, 2, 3]) expect(statusFromRemoteState(code)).toBe(JobStatus.RUNNING);
    for (const code of [4, 8]) expect(statusFromRemoteState(code)).toBe(JobStatus.COPYING_RESULTS);
    for (const code of [5, 9]) expect(statusFromRemoteState(code)).toBe(JobStatus.FAILED);
    expect(statusFromRemoteState(6)).toBe(JobStatus.CANCELED);
    for (const code of [7, 10]) expect(statusFromRemoteState(code)).toBe(JobStatus.EXPIRED);
    expect(() => statusFromRemoteState(42)).toThrow(/Unknown/);
    // The poll checks first, and rides an unknown state out as the service answering badly.
    for (const code of [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      expect(isKnownRemoteState(code)).toBe(true);
      expect(() => statusFromRemoteState(code)).not.toThrow();
    }
    for (const code of [0, 11, 42, -2]) expect(isKnownRemoteState(code)).toBe(false);
  });
});
