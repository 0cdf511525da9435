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
export type ParentJob = Schemas['ParentJob'];
export type ParentJobSummary = Schemas['ParentJobSummary'];
export type ParentJobStatus = Schemas['ParentJobStatus'];
export type JobStatus = Schemas['JobStatus'];
export type Service = Schemas['Service'];
export type ServiceOptions = Schemas['ServiceOptions'];
export type Credential = Schemas['Credential'];
export type Upload = Schemas['Upload'];
export type JobResults = Schemas['JobResults'];
export type PanelList = Schemas['PanelList'];
export type Panel = Schemas['Panel'];

export interface Api {
  client: ApiClient;
  baseUrl: string;
}

export function createApi(baseUrl: string, tokens: TokenSource): Api {
  const fetch = authedFetch(tokens);
  return { client: createClient<paths>({ baseUrl, fetch }), baseUrl };
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
  throw apiErrorFrom(result.response.status, result.error, result.response.headers.get('Retry-After'));
}
