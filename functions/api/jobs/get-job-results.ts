/** GET /jobs/{jobId}/results — short-lived presigned GETs for each result file in our bucket. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { jobResults } from '#shared/jobs/jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  body: await jobResults(caller, path.jobId),
}));
