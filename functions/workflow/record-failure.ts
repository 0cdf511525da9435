/** Workflow task: turn the error Step Functions caught into the job's FAILED state with a code and message. */
import { z } from 'zod';
import { recordJobFailure } from '#shared/workflow/finish-job';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'record-failure',
  jobRefSchema.extend({ error: z.string().default('Unknown'), cause: z.string().optional() }),
  ({ error, cause, ...ref }) => recordJobFailure(ref, error, cause),
);
