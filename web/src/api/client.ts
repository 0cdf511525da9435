/**
 * The typed API client: openapi-fetch over the paths generated from the route table (schema.d.ts), with
 * the bearer token added by authedFetch and every error answer turned into an ApiError by `unwrap`, so a
 * page gets either the typed body or an error it can put into words.
 */
import createClient, { type Client } from 'openapi-fetch';
import { ApiError, apiErrorFrom } from './api-error';
import { authedFetch, type TokenSource } from './authed-fetch';
import type { components, paths } from './schema';

export type ApiClient = Client<paths>;
export type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobSummary = Schemas['JobSummary'];
export type JobStatus = Schemas['JobStatus'];
export type Service = Schemas['Service'];
export type ServiceOptions = Schemas['ServiceOptions'];
export type Credential = Schemas['Credential'];
export type Upload = Schemas['Upload'];
export type JobResults = Schemas['JobResults'];

export interface Api {
  client: ApiClient;
  /** The authenticated fetch, for the upload routes the generated types may not know yet. */
  fetch: (request: Request) => Promise<Response>;
  baseUrl: string;
}

export function createApi(baseUrl: string, tokens: TokenSource): Api {
  const fetch = authedFetch(tokens);
  return { client: createClient<paths>({ baseUrl, fetch }), fetch, baseUrl };
}

/** The body of a successful call, or an ApiError thrown with the API's code and message. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('UNEXPECTED_ANSWER', 'The gateway answered something that is not JSON.', 0);
  }
  if (result.response.ok) return result.data as T;
  throw apiErrorFrom(result.response.status, result.error);
}

/** A JSON call by path for routes outside the generated types (same token handling and errors). */
export async function callJson<T>(api: Api, method: string, path: string, body?: unknown): Promise<T> {
  const response = await api.fetch(
    new Request(`${api.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw apiErrorFrom(response.status, undefined);
  }
  if (!response.ok) throw apiErrorFrom(response.status, parsed);
  return parsed as T;
}
