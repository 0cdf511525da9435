/** GET /jobs/{jobId}/password — the result zip password, for the job's owner only; never cached. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { jobPassword } from '#shared/jobs/jobs';

export const handler = apiHandler({ path: jobIdPath }, async ({ caller, path }) => ({
  body: await jobPassword(caller, path.jobId),
}));
