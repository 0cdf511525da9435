/**
 * The one wrapper of workflow task handlers: parse the state input with zod, log with the job id, and
 * give errors the names the ASL's Retry and Catch rules match on. A task that finds its job already moved
 * on (a concurrent cancel, a retried step) ends quietly instead of failing the job. Any zod schema will
 * do (`zod/mini` or classic): it is parsed with zod's core, which is all a `zod/mini` bundle carries.
 */
import type { Context } from 'aws-lambda';
import { type core, type output, safeParse } from 'zod/mini';
import '#shared/zod-english';
import { describeAwsFault, isTransientAwsFault } from '#shared/aws/aws-faults';
import { JobTransitionConflict, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal } from '#shared/jobs/job-status';
import { logger } from '#shared/logger';
import { JobFailure, TransientError } from './task-errors';
import { traced } from './tracing';

/**
 * What the execution state may carry of a failure: the error's name (what Retry and Catch match on) and
 * a job failure's code. Its message — often the service's own words — is recorded on the job instead,
 * where RecordFailure reads it, so no service text travels through the execution history.
 */
async function recordedFailure(ref: { jobId: string; owner: string }, error: unknown): Promise<Error> {
  const original = error instanceof Error ? error : new Error(String(error));
  try {
    await jobRepository().recordTaskFailure(ref.owner, ref.jobId, {
      type: original.name,
      message: original.message,
      at: new Date().toISOString(),
    });
  } catch (recordError) {
    logger.warn('could not record the failure on the job', { error: String(recordError) });
  }
  const code = original instanceof JobFailure ? original.code : undefined;
  const sanitized = new Error(code ?? `${original.name}: recorded on the job`);
  sanitized.name = original.name;
  sanitized.stack = `${sanitized.name}: ${sanitized.message}`;
  return sanitized;
}

/**
 * The state input as the schema reads it. A mismatch (a bug in the ASL or a task's output) is thrown as
 * `ZodError`, the name classic zod's `parse` gave it, which Step Functions and RecordFailure report.
 */
export function parseInput<S extends core.$ZodType>(schema: S, event: unknown): output<S> {
  const parsed = safeParse(schema, event);
  if (parsed.success) return parsed.data;
  const error = parsed.error;
  error.name = 'ZodError';
  throw error;
}

export function workflowTask<S extends core.$ZodType, R>(
  name: string,
  schema: S,
  run: (input: output<S>) => Promise<R>,
): (event: unknown, context?: Context) => Promise<R | { outcome: 'STOPPED' }> {
  return async (event, context) => {
    const input = parseInput(schema, event) as output<S> & { jobId: string; owner: string };
    logger.resetKeys();
    logger.appendKeys({ task: name, jobId: input.jobId, requestId: context?.awsRequestId });
    try {
      return await traced(name, { jobId: input.jobId }, () => run(input));
    } catch (error) {
      if (error instanceof JobTransitionConflict) {
        const job = await jobRepository().get(input.owner, input.jobId);
        if (!job || isTerminal(job.status)) {
          logger.info('job already ended; stopping', { status: job?.status ?? 'deleted' });
          return { outcome: 'STOPPED' };
        }
        throw new TransientError(error.message);
      }
      logger.warn('task failed', { errorType: (error as Error).name, error: (error as Error).message });
      // Throttling or a 5xx that outlasted the SDK's retries: the state machine retries the task later.
      const failure = isTransientAwsFault(error) ? new TransientError(describeAwsFault(error)) : error;
      throw await recordedFailure(input, failure);
    }
  };
}
