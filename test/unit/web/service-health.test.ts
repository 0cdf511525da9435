import { describe, expect, it } from 'vitest';
import { healthLabel, healthSentence } from '../../../web/src/lib/service-health';

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
  it('says the state, since when, why, and the figures', () => {
    expect(healthLabel(health)).toBe('Down');
    expect(healthSentence(health)).toMatch(
      /^Since .+ \(server info: an HTML page with status 502\)\. Answered in 42 ms at .+ · available 95\.0 % of the last 24 h, 99\.0 % of 7 days\.$/,
    );
  });

  it('leaves out an old error once the service is up, and says when it was never checked', () => {
    expect(healthSentence({ ...health, status: 'UP', queueSize: 3, availability24h: 1 })).toMatch(
      /^Since .+\. Answered in 42 ms at .+ · 3 job\(s\) in its queue · available 100 % of the last 24 h/,
    );
    expect(healthLabel(null)).toBe('Not checked yet');
    expect(healthSentence(null)).toBe('The gateway has not checked this service yet.');
  });
});
