/**
 * The console tells a researcher which limit was reached and when it frees: the API's 429 message (the
 * limit, its value, what frees it) and the time from the quota's `freesAt` or the Retry-After header.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFrom, limitReached, retryWhen } from '../../../web/src/api/api-error';
import { wordingFor } from '../../../web/src/api/error-wording';

const now = new Date('2026-12-06T10:00:00');

describe('a refusal at a limit, in the console', () => {
  it('reads when to retry from Retry-After, and says the limit and what frees it', () => {
    const error = apiErrorFrom(
      429,
      {
        error: {
          code: 'QUOTA_EXCEEDED',
          message:
            'You have 20 active jobs, the limit of 20 per user; one frees when one of your jobs ends (succeeds, fails or is canceled)',
          details: { quota: 'ACTIVE_JOBS', limit: 20, used: 20, retryAfterSeconds: 60 },
        },
      },
      '600',
      now,
    );
    expect(error.retryAt).toEqual(new Date('2026-12-06T10:10:00'));
    expect(error.wording).toMatchObject({
      title: 'You have reached a limit of your account.',
      retryable: true,
    });
    const time = new Date('2026-12-06T10:10:00').toLocaleTimeString(undefined, { timeStyle: 'short' });
    expect(limitReached(error, now)).toBe(
      `You have 20 active jobs, the limit of 20 per user; one frees when one of your jobs ends (succeeds, fails or is canceled). Try again after ${time}.`,
    );
  });

  it('prefers the quota’s own freesAt (stored bytes free when an upload expires), days ahead', () => {
    const error = apiErrorFrom(
      429,
      {
        error: {
          code: 'QUOTA_EXCEEDED',
          message: 'Your uploads hold 2 TiB and this file needs 3 GiB more: the limit is 2 TiB per user; …',
          details: { quota: 'STORED_BYTES', freesAt: '2026-12-20T09:30:00.000Z' },
        },
      },
      '1207800',
      now,
    );
    expect(error.retryAt).toEqual(new Date('2026-12-20T09:30:00.000Z'));
    expect(limitReached(error, now)).toMatch(/^Your uploads hold 2 TiB .*Try again after .*2026.*\.$/);
  });

  it('says "in a minute" for the per-caller rate limit, and nothing for other errors', () => {
    const throttled = apiErrorFrom(
      429,
      {
        error: { code: 'THROTTLED', message: 'Too many requests from you: at most 300 a minute per caller' },
      },
      '60',
      now,
    );
    expect(limitReached(throttled, now)).toBe(
      'Too many requests from you: at most 300 a minute per caller. Try again in a minute.',
    );
    expect(limitReached(new ApiError('JOB_ACTIVE', 'x', 409), now)).toBeUndefined();
    expect(retryWhen(undefined, now)).toBe('Try again in a minute.');
    expect(wordingFor('QUOTA_EXCEEDED').retryable).toBe(true);
  });
});
