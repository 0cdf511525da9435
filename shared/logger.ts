/**
 * One Powertools logger per function, created at module scope. The `redact` list is a last line of
 * defence: code must never hand a token to the logger, but if a header or body slips through, these keys
 * are masked before serialisation.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const SENSITIVE_KEYS = [
  'token',
  'authorization',
  'authorizationToken',
  'password',
  'x-auth-token',
  'secret',
];

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'imputation-gateway',
  jsonReplacerFn: (key: string, value: unknown) =>
    SENSITIVE_KEYS.includes(key.toLowerCase()) && typeof value === 'string' ? '[REDACTED]' : value,
});
