/** Workflow task: submit to the service with the owner's token, or wait for a free slot. */
import * as z from 'zod/mini';
import { jobRefSchema } from '#shared/workflow/job-context';
import { pollStateSchema } from '#shared/workflow/poll-state';
import { submitImputationJob } from '#shared/workflow/submit-job';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'submit-job',
  z.extend(jobRefSchema, { previous: z.optional(pollStateSchema) }),
  ({ previous, ...ref }) => submitImputationJob(ref, previous),
);
