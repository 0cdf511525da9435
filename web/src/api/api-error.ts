/**
 * One error type for every failed API call: the API's `{"error":{code,message}}` answer, a network failure
 * or an answer that is not JSON, carried with the HTTP status so pages can tell "not found" from "retry".
 */
import { type ErrorWording, wordingFor } from './error-wording';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly wording: ErrorWording;
  constructor(
    readonly code: string,
    /** The API's own message (the detail under the wording). */
    readonly detail: string,
    readonly status: number,
    readonly requestId?: string,
    readonly details?: unknown,
    /** When asking again can succeed: a quota or a rate limit frees (Retry-After, or `details.freesAt`). */
    readonly retryAt?: Date,
  ) {
    super(`${code}: ${detail}`);
    this.wording = wordingFor(code);
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/**
 * Whether a lookup by id found nothing of the caller's: 404 (another user's, deleted or expired), or 400
 * for an id that is no id at all (a mistyped address: the API refuses the malformed id).
 */
export function isMissing(error: unknown): boolean {
  return error instanceof ApiError && (error.notFound || error.code === 'VALIDATION_FAILED');
}

/**
 * When a refusal frees (429 QUOTA_EXCEEDED or THROTTLED, 503): the quota's own `details.freesAt` when it
 * knows it, else `Retry-After` seconds from `now`.
 */
export function retryAtOf(
  details: unknown,
  retryAfter: string | null | undefined,
  now: Date,
): Date | undefined {
  const freesAt = (details as { freesAt?: unknown } | undefined)?.freesAt;
  if (typeof freesAt === 'string' && !Number.isNaN(Date.parse(freesAt))) return new Date(freesAt);
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? new Date(now.getTime() + seconds * 1000) : undefined;
}

/** Turns an error answer (parsed JSON or not) into an ApiError; `retryAfter`: its Retry-After header. */
export function apiErrorFrom(
  status: number,
  body: unknown,
  retryAfter?: string | null,
  now = new Date(),
): ApiError {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(
      error.code,
      typeof error.message === 'string' ? error.message : '',
      status,
      typeof error.requestId === 'string' ? error.requestId : undefined,
      error.details,
      retryAtOf(error.details, retryAfter, now),
    );
  }
  if (status === 401) return new ApiError('UNAUTHORIZED', '', 401);
  if (status === 404) return new ApiError('NOT_FOUND', '', 404);
  if (status >= 500) return new ApiError('GATEWAY_ERROR', `HTTP ${status}`, status);
  return new ApiError('UNEXPECTED_ANSWER', `HTTP ${status}`, status);
}

/** The field messages of a VALIDATION_FAILED answer, for listing under a form. */
export function validationMessages(error: unknown): string[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return [];
  return error.details
    .map((issue: { path?: unknown; message?: unknown }) =>
      typeof issue.message === 'string'
        ? issue.path
          ? `${issue.path}: ${issue.message}`
          : issue.message
        : '',
    )
    .filter(Boolean);
}

export interface InputProblem {
  /** Null for a problem of the job's files together (two builds, …). */
  fileName: string | null;
  line?: number;
  message: string;
}

/** The problems of an INPUT_INVALID answer (`details.problems`), one per file and cause. */
export function inputProblems(error: unknown): InputProblem[] {
  if (!(error instanceof ApiError) || error.code !== 'INPUT_INVALID') return [];
  const problems = (error.details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return [];
  return problems.flatMap((problem: { fileName?: unknown; line?: unknown; message?: unknown }) =>
    typeof problem.message === 'string'
      ? [
          {
            fileName: typeof problem.fileName === 'string' ? problem.fileName : null,
            ...(typeof problem.line === 'number' ? { line: problem.line } : {}),
            message: problem.message,
          },
        ]
      : [],
  );
}

/**
 * A refusal that frees with time, in words: the API's message (which limit, its value, what frees it)
 * and when to try again — "You have 20 active jobs, the limit of 20 per user; one frees when one of your
 * jobs ends (…). Try again after 10:42." Undefined for any other error.
 */
export function limitReached(error: unknown, now = new Date()): string | undefined {
  if (!(error instanceof ApiError) || (error.code !== 'QUOTA_EXCEEDED' && error.code !== 'THROTTLED')) {
    return undefined;
  }
  const detail = error.detail ? `${error.detail.replace(/\.?$/, '.')} ` : '';
  return `${detail}${retryWhen(error.retryAt, now)}`;
}

/** "Try again after 10:42" (today), "…after 20 Dec 2026, 10:42" (later), or "Try again in a minute". */
export function retryWhen(retryAt: Date | undefined, now = new Date()): string {
  if (!retryAt || retryAt.getTime() - now.getTime() <= 60_000) return 'Try again in a minute.';
  const sameDay = retryAt.toDateString() === now.toDateString();
  const when = sameDay
    ? retryAt.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : retryAt.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return `Try again after ${when}.`;
}
