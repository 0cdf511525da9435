import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchema } from '#shared/api/responses';
import {
  InvalidCursorError,
  type JobRecord,
  type JobRepository,
  JobTransitionConflict,
  jobRepository,
} from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { JOB_EVENTS_KEPT_FIRST, MAX_JOB_EVENTS } from '#shared/jobs/job-update-expressions';
import { toJobView } from '#shared/jobs/job-view';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';

let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
let repository: JobRepository;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  repository = jobRepository();
});
afterAll(() => emulators.close());

const newJob = (owner: string, jobId: string, overrides: Partial<JobRecord> = {}): JobRecord =>
  jobRecord({ jobId, owner, name: `job ${jobId}`, ...overrides });

describe('job repository', () => {
  it('creates a job once; a retried create with the same id is refused', async () => {
    expect(await repository.create(newJob('alice', '01JOB0000000000000000000A1'))).toBe(true);
    expect(await repository.create(newJob('alice', '01JOB0000000000000000000A1'))).toBe(false);
  });

  it("finds a job only under its owner's partition", async () => {
    expect(await repository.get('alice', '01JOB0000000000000000000A1')).toMatchObject({ owner: 'alice' });
    expect(await repository.get('mallory', '01JOB0000000000000000000A1')).toBeUndefined();
  });

  it('moves a job only along legal edges and appends each move to its history', async () => {
    const id = '01JOB0000000000000000000B1';
    await repository.create(newJob('alice', id));
    const validating = await repository.transition('alice', id, JobStatus.VALIDATING, {
      detail: 'checking 1 file',
    });
    expect(validating.status).toBe(JobStatus.VALIDATING);
    expect(validating.events.map((e) => e.to)).toEqual([JobStatus.QUEUED, JobStatus.VALIDATING]);
    await expect(repository.transition('alice', id, JobStatus.SUCCEEDED)).rejects.toBeInstanceOf(
      JobTransitionConflict,
    );
    // The same move twice (a retried task) is refused the second time.
    await expect(repository.transition('alice', id, JobStatus.VALIDATING)).rejects.toBeInstanceOf(
      JobTransitionConflict,
    );
    await repository.transition('alice', id, JobStatus.FAILED, {
      set: { error: { code: 'INPUT_INVALID', message: 'bad' } },
    });
    const failed = await repository.get('alice', id);
    expect(failed).toMatchObject({ status: JobStatus.FAILED, error: { code: 'INPUT_INVALID' } });
    expect(failed?.events).toHaveLength(3);
  });

  it("cannot move another user's job", async () => {
    await expect(
      repository.transition('mallory', '01JOB0000000000000000000A1', JobStatus.CANCELED),
    ).rejects.toBeInstanceOf(JobTransitionConflict);
    expect((await repository.get('alice', '01JOB0000000000000000000A1'))?.status).toBe(JobStatus.QUEUED);
  });

  it('updates fields only while the job is in an expected state', async () => {
    const id = '01JOB0000000000000000000C1';
    await repository.create(newJob('alice', id, { status: JobStatus.RUNNING }));
    expect(await repository.update('alice', id, { externalJobId: 'job-1' }, [JobStatus.RUNNING])).toBe(true);
    expect(await repository.update('alice', id, { externalJobId: 'job-2' }, [JobStatus.QUEUED])).toBe(false);
    expect((await repository.get('alice', id))?.externalJobId).toBe('job-1');
  });

  it('lists newest first with cursor pagination and a status filter', async () => {
    const owner = 'paging-user';
    for (let i = 0; i < 7; i++) {
      await repository.create(
        newJob(owner, `01PAGE00000000000000000${String(i).padStart(3, '0')}`, {
          status: i % 2 === 0 ? JobStatus.QUEUED : JobStatus.SUCCEEDED,
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await repository.list(owner, { limit: 3, cursor });
      seen.push(...page.jobs.map((job) => job.jobId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect([...seen].sort().reverse()).toEqual(seen);
    const succeeded = await repository.list(owner, { limit: 10, status: JobStatus.SUCCEEDED });
    expect(succeeded.jobs.map((j) => j.status)).toEqual([
      JobStatus.SUCCEEDED,
      JobStatus.SUCCEEDED,
      JobStatus.SUCCEEDED,
    ]);
  });

  it('lets exactly one of many racing transitions through; the others get the typed conflict', async () => {
    const id = '01JOB0000000000000000000D1';
    await repository.create(newJob('alice', id));
    const racers = Array.from({ length: 8 }, (_, i) =>
      repository.transition('alice', id, JobStatus.VALIDATING, {
        from: [JobStatus.QUEUED],
        detail: `racer ${i}`,
        set: { externalJobId: `racer-${i}` },
      }),
    );
    const settled = await Promise.allSettled(racers);
    const won = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(won).toHaveLength(1);
    for (const result of settled.filter((r) => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(JobTransitionConflict);
    }
    // The winner's move, once: no loser appended an event or overwrote a field.
    const stored = await repository.get('alice', id);
    expect(stored?.events.map((event) => event.to)).toEqual([JobStatus.QUEUED, JobStatus.VALIDATING]);
    expect(stored?.externalJobId).toBe(won[0]!.externalJobId);
    expect(stored?.events[1]?.detail).toBe(won[0]!.events[1]?.detail);
  });

  it('binds an Idempotency-Key once when many requests race for it', async () => {
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        repository.claimIdempotencyKey('alice', 'racing-key', { jobId: `job-${i}`, requestHash: 'same' }),
      ),
    );
    expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
    const winner = claims.find((claim) => claim.claimed)!.jobId;
    expect(new Set(claims.map((claim) => claim.jobId))).toEqual(new Set([winner]));
  });

  it('deletes a job only in an allowed state, and reports a missing one', async () => {
    const id = '01JOB0000000000000000000E1';
    await repository.create(newJob('alice', id, { status: JobStatus.RUNNING }));
    expect(await repository.delete('alice', id, [JobStatus.SUCCEEDED, JobStatus.FAILED])).toBe(false);
    expect(await repository.get('alice', id)).toBeDefined();
    expect(await repository.delete('alice', id, [JobStatus.RUNNING])).toBe(true);
    expect(await repository.delete('alice', id, [JobStatus.RUNNING])).toBe(false);
    expect(await repository.get('alice', id)).toBeUndefined();
  });

  it('keeps per-file copy outcomes apart, also on a job without the map, and not on a deleted job', async () => {
    const id = '01JOB0000000000000000000F1';
    await repository.create(newJob('alice', id, { status: JobStatus.COPYING_RESULTS }));
    const outcome = (name: string) =>
      ({ status: 'UNAVAILABLE', name, code: 'DOWNLOAD_NOT_FOUND', reason: 'gone', at: 'now' }) as const;
    const recorded = await Promise.all(
      [0, 1, 2].map((index) => repository.recordCopyOutcome('alice', id, index, outcome(`f${index}`))),
    );
    expect(recorded).toEqual([true, true, true]);
    const stored = await repository.get('alice', id);
    expect(Object.keys(stored?.copyOutcomes ?? {}).sort()).toEqual(['0', '1', '2']);
    expect(await repository.recordCopyOutcome('alice', 'no-such-job', 0, outcome('x'))).toBe(false);
    expect(await repository.get('alice', 'no-such-job')).toBeUndefined();
  });

  it("rejects a cursor from another user's listing", async () => {
    const page = await repository.list('paging-user', { limit: 2 });
    await expect(repository.list('alice', { limit: 2, cursor: page.nextCursor! })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(repository.list('alice', { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});

describe("a job's history stays bounded", () => {
  const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();

  it('a job with thousands of events still records a FAILED transition, keeping the first and latest', async () => {
    const id = '01JOB0000000000000000000H1';
    // A history from before the cap: 2,000 events (about 130 KB), as a looping job could have written.
    const events = Array.from({ length: 2000 }, (_, n) => ({
      at: at(n),
      to: JobStatus.RUNNING,
      detail: `poll ${n}`,
    }));
    await repository.create(newJob('alice', id, { status: JobStatus.RUNNING, events }));
    const failed = await repository.transition('alice', id, JobStatus.FAILED, {
      detail: 'the service failed the job',
      set: { error: { code: 'SERVICE_JOB_FAILED', message: 'boom' } },
    });
    expect(failed.status).toBe(JobStatus.FAILED);
    expect(failed.events).toHaveLength(MAX_JOB_EVENTS);
    expect(failed.events.slice(0, 2).map((e) => e.detail)).toEqual(['poll 0', 'poll 1']);
    expect(failed.events.at(-2)?.detail).toBe('poll 1999');
    expect(failed.events.at(-1)).toMatchObject({
      to: JobStatus.FAILED,
      detail: 'the service failed the job',
    });
    expect(failed.eventsDropped).toBe(2000 - (MAX_JOB_EVENTS - 1));
    expect(JSON.stringify(failed).length).toBeLessThan(40_000);
  });

  it('notes beyond the cap keep it full, never larger, counting what they push out', async () => {
    const id = '01JOB0000000000000000000H2';
    await repository.create(newJob('alice', id, { status: JobStatus.RUNNING }));
    for (let n = 0; n < MAX_JOB_EVENTS + 25; n++) {
      expect(await repository.noteEvent('alice', id, JobStatus.RUNNING, `note ${n}`)).toBe(true);
    }
    const job = await repository.get('alice', id);
    expect(job?.events).toHaveLength(MAX_JOB_EVENTS);
    // The job's own first event (its creation) and the first notes are kept; the latest note is last.
    expect(job?.events.slice(0, 3).map((e) => e.detail)).toEqual([undefined, 'note 0', 'note 1']);
    expect(job?.events.at(-1)?.detail).toBe(`note ${MAX_JOB_EVENTS + 24}`);
    expect((job?.eventsDropped ?? 0) + MAX_JOB_EVENTS).toBe(1 + MAX_JOB_EVENTS + 25);
    // The owner's view says where the gap is and how much it left out; the event after it knows no `from`.
    const view = toJobView(job!);
    expect(view.eventsLeftOut).toEqual({ after: JOB_EVENTS_KEPT_FIRST, count: job?.eventsDropped });
    expect(view.events[JOB_EVENTS_KEPT_FIRST - 1]?.from).toBe(JobStatus.RUNNING);
    expect(view.events[JOB_EVENTS_KEPT_FIRST]?.from).toBeNull();
    expect(view.events[JOB_EVENTS_KEPT_FIRST + 1]?.from).toBe(JobStatus.RUNNING);
    expect(jobSchema.safeParse(view).success).toBe(true);
    // A note for a job in another state is still refused, full history or not.
    expect(await repository.noteEvent('alice', id, JobStatus.QUEUED, 'wrong state')).toBe(false);
  });

  it('an event detail is kept to about 1 KB, cut with an ellipsis', async () => {
    const id = '01JOB0000000000000000000H3';
    await repository.create(newJob('alice', id));
    const moved = await repository.transition('alice', id, JobStatus.VALIDATING, {
      detail: 'z'.repeat(50_000),
    });
    expect(moved.events.at(-1)?.detail).toHaveLength(1024);
    expect(moved.events.at(-1)?.detail?.endsWith('z…')).toBe(true);
  });
});
