/** Workflow task: submit to the service with the owner's token, or wait for a free slot. */
import { jobRefSchema } from '#shared/workflow/job-context';
import { pollStateSchema, submitImputationJob } from '#shared/workflow/submit-job';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'submit-job',
  jobRefSchema.extend({ previous: pollStateSchema.optional() }),
  ({ previous, ...ref }) => submitImputationJob(ref, previous),
);
