/** Workflow task: continue a long job's polling in a new execution before the history limit. */
import type { z } from 'zod';
import { continueAsNewExecution } from '#shared/workflow/continue-execution';
import { jobRefSchema } from '#shared/workflow/job-context';
import { pollStateSchema } from '#shared/workflow/poll-state';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask(
  'continue-execution',
  jobRefSchema.extend({ poll: pollStateSchema }),
  ({ poll, ...ref }) => continueAsNewExecution(ref, poll as z.infer<typeof pollStateSchema>),
);
