/** POST /jobs/{jobId}/cancel — stop a job: our workflow before submission, the service's job after; a parent job's children, each. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { cancelJobOrParent } from '#shared/jobs/parent-jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  status: 202,
  body: await cancelJobOrParent(caller, path.jobId),
}));
