/**
 * POST /jobs — create an imputation job from the caller's confirmed uploads and start its workflow.
 * 202: the job is accepted and runs asynchronously. An `Idempotency-Key` header makes retries safe: the
 * same key with the same request answers the same job.
 */
import { createJobHeaders, idempotencyKeyOf } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { createJobBodySchema } from '#shared/jobs/job-request';
import { createJob } from '#shared/jobs/jobs';
import { createParentJob } from '#shared/jobs/parent-jobs';

/** `headers` is for the document: apiHandler validates body, path and query; the key is checked below. */
export const request = { body: createJobBodySchema, headers: createJobHeaders };

export const handler = apiHandler({ body: request.body }, async ({ caller, body, headers }) => {
  const key = idempotencyKeyOf(headers);
  // With `targets`: a parent job and one child per target (shared/jobs/parent-jobs.ts).
  const { job, created } = body.targets
    ? await createParentJob(caller, body, key)
    : await createJob(caller, body, key);
  return {
    status: created ? 202 : 200,
    body: job,
    headers: { Location: `/jobs/${job.jobId}` },
  };
});
