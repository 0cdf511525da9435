import '#test/support/log-to-console';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, SENSITIVE_KEYS } from '#shared/logger';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token-value.sig';

function loggedLine(run: () => void): string {
  const info = vi.spyOn(console, 'info').mockImplementation(() => {});
  run();
  const lines = info.mock.calls.map((call) => String(call[0]));
  info.mockRestore();
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe('the logger masks sensitive keys', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lists its keys in lower case (they are compared with lower-cased keys)', () => {
    for (const key of SENSITIVE_KEYS) expect(key).toBe(key.toLowerCase());
    for (const key of ['authorizationtoken', 'id_token', 'refresh_token', 'x-auth-token']) {
      expect(SENSITIVE_KEYS).toContain(key);
    }
  });

  it.each([
    'authorizationToken',
    'AUTHORIZATIONTOKEN',
    'id_token',
    'ID_TOKEN',
    'Id_Token',
    'refresh_token',
    'Refresh_Token',
    'x-auth-token',
    'X-Auth-Token',
    'Authorization',
    'password',
    'Token',
  ])('%s, at the top, nested in objects and in arrays', (key) => {
    const line = loggedLine(() =>
      logger.info('request', {
        [key]: TOKEN,
        event: { headers: { [key]: TOKEN }, body: { nested: { deeper: { [key]: TOKEN } } } },
        list: [{ [key]: TOKEN }],
      }),
    );
    expect(line).not.toContain(TOKEN);
    const parsed = JSON.parse(line);
    expect(parsed[key]).toBe('[REDACTED]');
    expect(parsed.event.headers[key]).toBe('[REDACTED]');
    expect(parsed.event.body.nested.deeper[key]).toBe('[REDACTED]');
    expect(parsed.list[0][key]).toBe('[REDACTED]');
  });

  it('masks a value that is not a string, and leaves other keys alone', () => {
    const line = loggedLine(() =>
      logger.info('tokens', {
        tokens: { id_token: { value: TOKEN }, refresh_token: [TOKEN] },
        jobId: 'job-1',
      }),
    );
    expect(line).not.toContain(TOKEN);
    const parsed = JSON.parse(line);
    expect(parsed.tokens).toEqual({ id_token: '[REDACTED]', refresh_token: '[REDACTED]' });
    expect(parsed.jobId).toBe('job-1');
    expect(parsed.message).toBe('tokens');
  });
});
