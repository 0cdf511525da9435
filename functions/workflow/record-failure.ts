/** Workflow task: turn the error Step Functions caught into the job's FAILED state with a code and message. */
import * as z from 'zod/mini';
import { recordJobFailure } from '#shared/workflow/finish-job';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'record-failure',
  z.extend(jobRefSchema, { error: z._default(z.string(), 'Unknown'), cause: z.optional(z.string()) }),
  ({ error, cause, ...ref }) => recordJobFailure(ref, error, cause),
);
