/**
 * POST /jobs/{jobId}/resubmit — a new job from a finished one's inputs and options, at the same service or
 * at another offering an equivalent panel; linked both ways. 202 with the new job; an `Idempotency-Key`
 * makes retries safe as for POST /jobs. The body may be left out.
 */
import { createJobHeaders, idempotencyKeyOf } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { jobIdPath, resubmitJobBodySchema } from '#shared/jobs/job-request';
import { resubmitJob } from '#shared/jobs/jobs';

/** `headers` is for the document: apiHandler validates body and path; the key is checked below. */
export const request = {
  path: jobIdPath,
  body: resubmitJobBodySchema,
  optionalBody: true,
  headers: createJobHeaders,
} as const;

export const handler = apiHandler(
  { path: request.path, body: request.body, optionalBody: true },
  async ({ caller, path, body, headers }) => {
    const { job, created } = await resubmitJob(caller, path.jobId, body, idempotencyKeyOf(headers));
    return { status: created ? 202 : 200, body: job, headers: { Location: `/jobs/${job.jobId}` } };
  },
);
