import { describe, expect, it } from 'vitest';
import { nextWaitSeconds, scaledWait } from '#shared/workflow/backoff';

const policy = { initialSeconds: 30, maxSeconds: 900 };

describe('the poll backoff', () => {
  it('starts at the initial wait', () => {
    expect(nextWaitSeconds(undefined, false, policy)).toBe(30);
    expect(nextWaitSeconds(0, false, policy)).toBe(30);
  });

  it('doubles while nothing changes, up to the cap', () => {
    const waits: number[] = [];
    let wait: number | undefined;
    for (let i = 0; i < 8; i++) {
      wait = nextWaitSeconds(wait, false, policy);
      waits.push(wait);
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  it('drops back to the initial wait when the service reports a change', () => {
    expect(nextWaitSeconds(900, true, policy)).toBe(30);
    expect(nextWaitSeconds(240, true, policy)).toBe(30);
  });
});

describe('scaled waits (local runs)', () => {
  it('are the unscaled wait in AWS and never below one second', () => {
    // backoffEnv is read once per process: the default scale (1) applies here.
    expect(scaledWait(30)).toBe(30);
    expect(scaledWait(0.2)).toBe(1);
  });
});
