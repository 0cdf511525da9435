/** GET /jobs/{jobId} — state, progress, the service's latest messages, history, error and results. */
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath } from '#shared/jobs/job-request';
import { toJobView } from '#shared/jobs/job-view';
import { requireJob } from '#shared/jobs/jobs';

export const request = { path: jobIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  body: toJobView(await requireJob(caller, path.jobId)),
}));
