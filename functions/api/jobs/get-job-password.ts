/** GET /jobs/{jobId}/password — the result zip password, for the job's owner only; never cached. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { jobPassword } from '#shared/jobs/jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  body: await jobPassword(caller, path.jobId),
}));
