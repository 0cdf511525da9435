/**
 * One Powertools logger per function, created at module scope. The `redact` list is a last line of
 * defence: code must never hand a token to the logger, but if a header or body slips through, these keys
 * are masked before serialisation, at any depth and in any case (HTTP headers arrive as `Authorization`,
 * `authorization` or `X-Auth-Token` alike).
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** Compared with each key lower-cased: every entry is lower case. */
export const SENSITIVE_KEYS: readonly string[] = [
  'token',
  'authorization',
  'authorizationtoken',
  'id_token',
  'access_token',
  'refresh_token',
  'password',
  'x-auth-token',
  'secret',
];

/**
 * The logger's JSON replacer: JSON.stringify calls it for every key of every nested object, so a
 * sensitive key is masked wherever it sits. Any value under such a key is masked (a string, a number, an
 * object or an array holding the token), not only strings.
 */
export function redactSensitive(key: string, value: unknown): unknown {
  return value !== undefined && value !== null && SENSITIVE_KEYS.includes(key.toLowerCase())
    ? '[REDACTED]'
    : value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'imputation-gateway',
  jsonReplacerFn: redactSensitive,
});
