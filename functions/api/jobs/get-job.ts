/** GET /jobs/{jobId} — state, progress, the service's latest messages, history, error and results; a parent job with its children. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { getJobOrParent } from '#shared/jobs/parent-jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  body: await getJobOrParent(caller, path.jobId),
}));
