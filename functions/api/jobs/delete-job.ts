/** DELETE /jobs/{jobId} — remove a finished job and its result files; a parent job with all its children. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { deleteJobOrParent } from '#shared/jobs/parent-jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  await deleteJobOrParent(caller, path.jobId);
  return { status: 204 };
});
