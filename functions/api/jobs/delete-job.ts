/** DELETE /jobs/{jobId} — remove a finished job and its result files. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { deleteJob } from '#shared/jobs/jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  await deleteJob(caller, path.jobId);
  return { status: 204 };
});
