/** Workflow task: read the service's job state, record progress, choose the next wait. */
import * as z from 'zod/mini';
import { jobRefSchema } from '#shared/workflow/job-context';
import { pollImputationJob } from '#shared/workflow/poll-job';
import { pollStateSchema } from '#shared/workflow/poll-state';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'poll-job',
  z.extend(jobRefSchema, { previous: pollStateSchema }),
  ({ previous, ...ref }) => pollImputationJob(ref, previous),
);
