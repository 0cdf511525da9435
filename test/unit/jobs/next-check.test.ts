/**
 * The refresh signal of job answers: the first watcher run after the job's next look (its watch, on its
 * item), and null for finished jobs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobWatch } from '#shared/jobs/job-watch';
import { nextCheckAt } from '#shared/jobs/next-check';
import { stubSettings } from '#test/support/settings';

const at = (iso: string) => new Date(iso);
const watch = (kind: JobWatch['kind'], nextAt: string): JobWatch => ({
  kind,
  nextAt,
  since: '2026-01-01T00:00:00Z',
  baseWaitSeconds: 30,
  count: 1,
});

describe('nextCheckAt', () => {
  beforeEach(() => stubSettings({ WORKFLOW_TIME_SCALE: 1 }));
  afterEach(() => vi.unstubAllEnvs());
  const now = at('2026-01-01T00:10:00Z');

  it('is null once the job is finished', () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'] as const)
      expect(nextCheckAt({ status, statusChangedAt: '2026-01-01T00:00:00Z' }, now)).toBeNull();
  });

  it("is the first watcher run after the job's next poll, read from its item", () => {
    const job = {
      status: 'RUNNING' as const,
      statusChangedAt: '2026-01-01T00:00:00Z',
      watch: watch('POLL', '2026-01-01T00:12:00Z'),
    };
    // The run that polls it comes within a minute of that time, and takes a few seconds to record.
    expect(nextCheckAt(job, now)).toBe('2026-01-01T00:13:05.000Z');
  });

  it('is the next watcher run for a look already due, or a job waiting for its service to come back', () => {
    const due = {
      status: 'WAITING_FOR_SLOT' as const,
      statusChangedAt: '2026-01-01T00:00:00Z',
      watch: watch('SLOT', '2026-01-01T00:09:00Z'),
    };
    expect(nextCheckAt(due, now)).toBe('2026-01-01T00:11:05.000Z');
    const waiting = {
      status: 'WAITING_FOR_SERVICE' as const,
      statusChangedAt: '2026-01-01T00:00:00Z',
      watch: watch('SERVICE', '2026-01-01T05:00:00Z'),
    };
    expect(nextCheckAt(waiting, now)).toBe('2026-01-01T00:11:05.000Z');
  });

  it('scales with WORKFLOW_TIME_SCALE like the watcher does locally', () => {
    stubSettings({ WORKFLOW_TIME_SCALE: 30 });
    const job = {
      status: 'RUNNING' as const,
      statusChangedAt: '2026-01-01T00:00:00Z',
      watch: watch('POLL', '2026-01-01T00:10:01Z'),
    };
    expect(nextCheckAt(job, now)).toBe('2026-01-01T00:10:03.167Z');
  });

  it('says "in a few seconds" for a young state the workflow leaves by itself', () => {
    for (const status of ['QUEUED', 'VALIDATING', 'SUBMITTING', 'COPYING_RESULTS'] as const)
      expect(nextCheckAt({ status, statusChangedAt: '2026-01-01T00:09:59Z' }, now)).toBe(
        '2026-01-01T00:10:02.000Z',
      );
  });

  it('asks less often the longer such a state lasts (a large input validating), at most once a minute', () => {
    const nextFor = (changed: string) => nextCheckAt({ status: 'VALIDATING', statusChangedAt: changed }, now);
    expect(nextFor('2026-01-01T00:09:00Z')).toBe('2026-01-01T00:10:15.000Z');
    expect(nextFor('2026-01-01T00:00:00Z')).toBe('2026-01-01T00:11:00.000Z');
  });
});
