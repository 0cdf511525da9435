/** Workflow task: continue a long job's polling in a new execution before the history limit. */
import * as z from 'zod/mini';
import { continueAsNewExecution } from '#shared/workflow/continue-execution';
import { jobRefSchema } from '#shared/workflow/job-context';
import { pollStateSchema } from '#shared/workflow/poll-state';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'continue-execution',
  z.extend(jobRefSchema, { poll: pollStateSchema }),
  ({ poll, ...ref }) => continueAsNewExecution(ref, poll as z.infer<typeof pollStateSchema>),
);
