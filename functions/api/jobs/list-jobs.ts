/** GET /jobs — the caller's jobs, newest first, with cursor pagination and an optional status filter. */
import { listJobsQuery } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { listJobs } from '#shared/jobs/jobs';

export const request = { query: listJobsQuery };

export const handler = apiHandler(request, async ({ caller, query }) => ({
  body: await listJobs(caller, query),
}));
