/**
 * The refresh signal of job answers: the next scheduled check after now, counted along the workflow's
 * own backoff from the last recorded change, and null for finished jobs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextCheckAt, nextScheduledCheck } from '#shared/jobs/next-check';
import { stubSettings } from '#test/support/settings';

const at = (iso: string) => new Date(iso);
const policy = { initialSeconds: 30, maxSeconds: 900 };

describe('nextScheduledCheck', () => {
  beforeEach(() => stubSettings({ WORKFLOW_TIME_SCALE: 1 }));
  afterEach(() => vi.unstubAllEnvs());

  it('is the first poll after a change, plus the time to record its answer', () => {
    const next = nextScheduledCheck(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:10Z'), policy);
    expect(next.toISOString()).toBe('2026-01-01T00:00:31.000Z');
  });

  it('follows the doubling waits while nothing changed (30, 60, 120 s …)', () => {
    // Polls at +30, +90, +210, +450 s: at +100 s the next one is at +210 s.
    const next = nextScheduledCheck(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:40Z'), policy);
    expect(next.toISOString()).toBe('2026-01-01T00:03:31.000Z');
  });

  it('stays on the capped wait for a change long ago, and is always after now', () => {
    const now = at('2026-01-03T00:00:00Z');
    const next = nextScheduledCheck(at('2026-01-01T00:00:00Z'), now, policy);
    expect(next.getTime()).toBeGreaterThan(now.getTime());
    expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(901_000);
  });

  it('scales with WORKFLOW_TIME_SCALE like the workflow does', () => {
    stubSettings({ WORKFLOW_TIME_SCALE: 30 });
    const next = nextScheduledCheck(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.500Z'), policy);
    expect(next.toISOString()).toBe('2026-01-01T00:00:02.000Z');
  });
});

describe('nextCheckAt', () => {
  beforeEach(() => stubSettings({ WORKFLOW_TIME_SCALE: 1 }));
  afterEach(() => vi.unstubAllEnvs());
  const now = at('2026-01-01T00:10:00Z');

  it('is null once the job is finished', () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED'] as const)
      expect(nextCheckAt({ status, statusChangedAt: '2026-01-01T00:00:00Z' }, now)).toBeNull();
  });

  it('counts a running job from its last recorded change at the service', () => {
    const job = {
      status: 'RUNNING' as const,
      statusChangedAt: '2026-01-01T00:00:00Z',
      remote: { state: 2, messages: [], checkedAt: '2026-01-01T00:09:50Z' },
    };
    expect(nextCheckAt(job, now)).toBe('2026-01-01T00:10:21.000Z');
  });

  it('uses the slot-wait schedule while waiting for a slot', () => {
    stubSettings({ WORKFLOW_TIME_SCALE: 1, SLOT_WAIT_INITIAL_SECONDS: 60 });
    const job = { status: 'WAITING_FOR_SLOT' as const, statusChangedAt: '2026-01-01T00:09:30Z' };
    expect(nextCheckAt(job, now)).toBe('2026-01-01T00:10:31.000Z');
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
