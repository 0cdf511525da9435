/** GET /jobs — the caller's jobs, newest first, with cursor pagination and an optional status filter. */
import { z } from 'zod';
import { apiHandler } from '#shared/http/api-handler';
import { jobStatuses } from '#shared/jobs/job-status';
import { listJobs } from '#shared/jobs/jobs';

export const handler = apiHandler(
  {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(25),
      cursor: z.string().max(2048).optional(),
      status: z.enum(jobStatuses as [string, ...string[]]).optional(),
    }),
  },
  async ({ caller, query }) => ({ body: await listJobs(caller, query as Parameters<typeof listJobs>[1]) }),
);
