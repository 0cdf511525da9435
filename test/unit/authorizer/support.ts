/** What the authorizer tests share: its denial log, watched around every test. */
import { afterEach, beforeEach, expect, type MockInstance, vi } from 'vitest';
import { logger } from '#shared/logger';

/** Spies on the log line the authorizer writes for each denial (restored after each test). */
export function watchDenials() {
  let denials: MockInstance<typeof logger.info>;
  beforeEach(() => {
    denials = vi.spyOn(logger, 'info');
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return {
    /** A 401 from API Gateway, for the stated reason (so each case proves the check it is about). */
    async expectDenied(result: Promise<unknown>, reason: string) {
      await expect(result).rejects.toThrowError(/^Unauthorized$/);
      expect(denials).toHaveBeenCalledWith('Request denied', { reason });
    },
    expectNoDenial() {
      expect(denials).not.toHaveBeenCalledWith('Request denied', expect.anything());
    },
  };
}
