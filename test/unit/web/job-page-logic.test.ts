/**
 * How the job page says where a job stands and why it failed: a waiting job names what it waits for in
 * the workflow's words, a queued one its position and when the service said so, the timeline names the
 * service, our checks' findings are read per file, and a mistyped job address reads like a missing job.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, isMissing } from '../../../web/src/api/api-error';
import { inputFindings } from '../../../web/src/lib/job-failure';
import { type ProgressLike, progressSentence, slotWaitReason } from '../../../web/src/lib/job-progress';
import { leftOutText, timelineLabel } from '../../../web/src/lib/job-status';

const job = (overrides: Partial<ProgressLike>): ProgressLike => ({
  status: 'RUNNING',
  serviceName: 'Michigan Imputation Server',
  statusChangedAt: '2026-01-01T10:00:00Z',
  progress: null,
  events: [],
  ...overrides,
});

describe('where a job stands', () => {
  it('says what a waiting job waits for, in the words the workflow recorded', () => {
    const waiting = job({
      status: 'WAITING_FOR_SLOT',
      events: [
        { to: 'SUBMITTING', detail: '1 input file(s) valid' },
        {
          to: 'WAITING_FOR_SLOT',
          detail:
            '2 of your jobs are running at Michigan Imputation Server (at most 2 at a time); waiting for one to finish',
        },
      ],
    });
    expect(slotWaitReason(waiting)).toBe(
      '2 of your jobs are running at Michigan Imputation Server (at most 2 at a time); waiting for one to finish.',
    );
    expect(progressSentence(waiting)).toMatch(/^2 of your jobs are running at Michigan .*slot is free\.$/);
    // Without a recorded reason it still says what it waits for.
    expect(progressSentence(job({ status: 'WAITING_FOR_SLOT' }))).toMatch(
      /^Waiting until Michigan Imputation Server accepts another of your jobs\./,
    );
  });
  it("gives a queued job's position at the service, counted from 1, with when the service said so", () => {
    const queued = job({
      status: 'QUEUED_REMOTE',
      progress: { positionInQueue: 2, checkedAt: '2026-01-01T10:05:00Z' },
    });
    expect(progressSentence(queued)).toMatch(
      /^Position 3 in the queue at Michigan Imputation Server \(as of /,
    );
    expect(progressSentence(job({ status: 'QUEUED_REMOTE' }))).toBe(
      'In the queue at Michigan Imputation Server.',
    );
  });
  it('says when the service has not answered about the job properly, since when, and that the job is kept', () => {
    const running = job({
      status: 'RUNNING',
      serviceTrouble: {
        kind: 'UNWELL',
        since: '2026-01-01T10:05:00Z',
        count: 4,
        detail: 'an HTML page with status 502',
      },
    });
    expect(progressSentence(running)).toMatch(
      /^Running at Michigan Imputation Server\. Michigan Imputation Server has not answered properly about this job since .+ \(4 times; last: an HTML page with status 502\)\. The job is kept and asked about again until the service answers\.$/,
    );
  });
  it('adds an estimate of the wait only with its basis (how far the job moved, over how long)', () => {
    const queued = job({
      status: 'QUEUED_REMOTE',
      progress: {
        positionInQueue: 14,
        checkedAt: '2026-01-01T10:05:00Z',
        queueEstimate: { minutes: 95, places: 10, overMinutes: 20 },
      },
    });
    expect(progressSentence(queued)).toMatch(
      /\)\. About 1 h 35 min to go, at the pace the queue moved for this job \(10 places in 20 min\)\.$/,
    );
  });
  it('names the service in the timeline where the status chip says "the service"', () => {
    expect(timelineLabel('QUEUED_REMOTE', 'TOPMed')).toBe('Queued at TOPMed');
    expect(timelineLabel('RUNNING', 'TOPMed')).toBe('Running at TOPMed');
    expect(timelineLabel('FAILED', 'TOPMed')).toBe('Failed');
  });
});

describe('a failed job', () => {
  it("reads our checks' findings one per file, naming the file", () => {
    const findings = inputFindings({
      error: {
        code: 'INPUT_INVALID',
        message: 'b.vcf.gz: line 12: not sorted; sort it with bcftools sort\nsomething about all files',
      },
      inputs: [{ fileName: 'a.vcf.gz' }, { fileName: 'b.vcf.gz' }],
    });
    expect(findings).toEqual([
      { fileName: 'b.vcf.gz', problem: 'line 12: not sorted; sort it with bcftools sort' },
      { fileName: null, problem: 'something about all files' },
    ]);
    expect(inputFindings({ error: { code: 'SERVICE_JOB_FAILED', message: 'x' }, inputs: [] })).toEqual([]);
  });
  it('treats a mistyped job address (the API refuses the id) like a job that is not there', () => {
    expect(isMissing(new ApiError('VALIDATION_FAILED', 'path.jobId: not a job id', 400))).toBe(true);
    expect(isMissing(new ApiError('JOB_NOT_FOUND', 'Job x not found', 404))).toBe(true);
    expect(isMissing(new ApiError('INTERNAL', 'boom', 500))).toBe(false);
  });
});

describe('the timeline of a long history', () => {
  it('says how many changes were not kept, and between which of the kept ones', () => {
    const text = leftOutText(1940, '2026-03-02T10:00:00Z', '2026-03-05T08:30:00Z');
    expect(text).toMatch(
      /^1940 changes between .+ and .+ not kept: a long history keeps its first and its latest entries\.$/,
    );
    expect(text).toContain('2026');
    expect(leftOutText(1, undefined, '2026-03-05T08:30:00Z')).toBe(
      '1 change not kept: a long history keeps its first and its latest entries.',
    );
  });
});
