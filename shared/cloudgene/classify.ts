/**
 * What a Cloudgene answer that is not a 2xx means, as a typed failure (errors.ts): 5xx is "try later",
 * 401/403 on an authenticated call is our token, the concurrency-limit 400 is "wait", and a refused
 * result download (which carries no token) is about that file only. The service's own message is kept:
 * it is what a user needs to fix the problem.
 */
import { truncated } from '#shared/text-limit';
import {
  CloudgeneBadRequestError,
  type CloudgeneError,
  CloudgeneNotFoundError,
  ConcurrencyLimitError,
  DownloadsExhaustedError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from './errors';

const CONCURRENCY_LIMIT = /Only (\d+) jobs? per user can be executed simultaneously/i;
const DOWNLOADS_EXCEEDED = /max(imum)? downloads exceeded/i;

/**
 * The failure an answer of `status` with body `text` stands for. `download` is the file name when the
 * request was a result download, whose errors mean other things.
 */
export function responseFailure(status: number, text: string, download?: string): CloudgeneError {
  const message = serviceMessage(text);
  const said = message ? `: ${message}` : '';
  const details = { serviceStatus: status, serviceMessage: message };
  if (status >= 500) return new ServiceUnavailableError(`The service answered ${status}${said}`, details);
  if (download) {
    if (message && DOWNLOADS_EXCEEDED.test(message)) return new DownloadsExhaustedError(download, message);
    if (status === 404) return new CloudgeneNotFoundError(message ?? `download ${download} not found`);
    // No token was sent: a 401/403 here is an expired presigned URL or similar, not our token.
    return new CloudgeneBadRequestError(
      `The download of ${download} was refused (${status})${said}`,
      details,
    );
  }
  if (status === 401 || status === 403) return new ServiceTokenInvalidError(status, message);
  if (status === 404) return new CloudgeneNotFoundError(message);
  const limit = message ? CONCURRENCY_LIMIT.exec(message) : null;
  if (limit && message) return new ConcurrencyLimitError(message, Number(limit[1]));
  return new CloudgeneBadRequestError(`The service refused the request (${status})${said}`, details);
}

/**
 * The service's message from a JSON `{message}` body, or a plain-text body; never HTML pages. Kept to
 * about 1 KB (shared/text-limit.ts): it may end up on a job and in front of its owner.
 */
export function serviceMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as { message?: unknown };
    return typeof parsed?.message === 'string' && parsed.message ? truncated(parsed.message) : undefined;
  } catch {
    return trimmed.startsWith('<') ? undefined : truncated(trimmed);
  }
}

/** A short reason for a failed connection or read: `timed out`, a system code, or the message. */
export function describeNetworkError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? 'network error';
}
