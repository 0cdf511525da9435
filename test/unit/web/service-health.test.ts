import { describe, expect, it } from 'vitest';
import { healthLabel, healthSentence, outageNotice } from '../../../web/src/lib/service-health';

const health = {
  status: 'DOWN' as const,
  since: '2026-12-06T10:02:00Z',
  checkedAt: '2026-12-06T10:05:00Z',
  latencyMs: 42,
  queueSize: null,
  availability24h: 0.95,
  availability7d: 0.99,
  lastError: { at: '2026-12-06T10:05:00Z', detail: 'server info: an HTML page with status 502' },
};

describe('a service’s health in words', () => {
  it('says the state, since when, the last error and what it means for jobs; no "answered" in an outage', () => {
    expect(healthLabel(health)).toBe('Down');
    const sentence = healthSentence(health);
    expect(sentence).toMatch(
      /^Since .+ \(server info: an HTML page with status 502; last error at .+\)\. Checked at .+ · available 95\.0 % of the last 24 h, 99\.0 % of 7 days\. New jobs for it wait and are sent by themselves when it is back; submitted jobs keep their state\.$/,
    );
    expect(sentence).not.toContain('Answered');
    expect(healthSentence({ ...health, status: 'MAINTENANCE' })).toContain('wait until the maintenance ends');
  });

  it('leaves out an old error once the service is up, and says when it was never checked', () => {
    expect(healthSentence({ ...health, status: 'UP', queueSize: 3, availability24h: 1 })).toMatch(
      /^Since .+\. Answered in 42 ms at .+ · 3 job\(s\) in its queue · available 100 % of the last 24 h/,
    );
    expect(healthLabel(null)).toBe('Not checked yet');
    expect(healthSentence(null)).toBe('The gateway has not checked this service yet.');
  });
});

describe('what an outage of its service means for a job', () => {
  const job = { status: 'RUNNING', serviceName: 'Michigan', externalJobId: 'job-1' };

  it('a submitted job is kept, not failed, and asked about again once the service answers', () => {
    const notice = outageNotice(job, health);
    expect(notice?.title).toBe('Michigan is not answering');
    expect(notice?.text).toMatch(
      /^Down since .+: server info: an HTML page with status 502 \(checked at .+\)\. Your job is kept as it is, not failed: the gateway asks Michigan about it again as soon as it answers/,
    );
  });

  it('a job not submitted yet is sent by itself once the service is back', () => {
    const notice = outageNotice({ ...job, status: 'WAITING_FOR_SERVICE', externalJobId: null }, health);
    expect(notice?.text).toMatch(/Your job is kept and sent by itself as soon as Michigan is back/);
    expect(outageNotice(job, { ...health, status: 'MAINTENANCE', lastError: null })?.title).toBe(
      'Michigan is in maintenance',
    );
  });

  it('says nothing while the service is usable, before its first check, or once the job finished', () => {
    expect(outageNotice(job, { ...health, status: 'UP' })).toBeNull();
    expect(outageNotice(job, { ...health, status: 'DEGRADED' })).toBeNull();
    expect(outageNotice(job, null)).toBeNull();
    expect(outageNotice({ ...job, status: 'SUCCEEDED' }, health)).toBeNull();
  });
});
