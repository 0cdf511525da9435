/**
 * POST /jobs — create an imputation job from the caller's confirmed uploads and start its workflow.
 * 202: the job is accepted and runs asynchronously. An `Idempotency-Key` header makes retries safe: the
 * same key with the same request answers the same job.
 */
import { createJobHeaders, idempotencyKeySchema } from '#shared/api/requests';
import { ValidationError } from '#shared/errors';
import { apiHandler } from '#shared/http/api-handler';
import { createJobBodySchema } from '#shared/jobs/job-request';
import { createJob } from '#shared/jobs/jobs';

/** `headers` is for the document: apiHandler validates body, path and query; the key is checked below. */
export const request = { body: createJobBodySchema, headers: createJobHeaders };

export const handler = apiHandler({ body: request.body }, async ({ caller, body, headers }) => {
  const rawKey = headers['idempotency-key'];
  const key = rawKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawKey);
  if (key && !key.success) {
    throw new ValidationError('Idempotency-Key must be 1-128 letters, digits or . _ : -', [
      { in: 'header', path: 'Idempotency-Key', message: 'invalid' },
    ]);
  }
  const { job, created } = await createJob(caller, body, key?.data);
  return {
    status: created ? 202 : 200,
    body: job,
    headers: { Location: `/jobs/${job.jobId}` },
  };
});
