/** POST /jobs/{jobId}/cancel — stop a job: our workflow before submission, the service's job after. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { cancelJob } from '#shared/jobs/jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  status: 202,
  body: await cancelJob(caller, path.jobId),
}));
