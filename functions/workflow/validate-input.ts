/**
 * Workflow task: validate each input whole (bgzip framing, header, every record) before submission,
 * within this invocation's time; `CONTINUE` with a checkpoint when a file needs another invocation.
 * The state machine passes its whole state (`"state.$": "$"`) because `$.validation`, the previous
 * result, does not exist on the first call.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { jobRefSchema } from '#shared/workflow/job-context';
import {
  previousValidationSchema,
  validateJobInput,
  validationDeadline,
} from '#shared/workflow/validate-input';
import { workflowTask } from '#shared/workflow/workflow-task';

const inputSchema = z.extend(jobRefSchema, {
  state: z.optional(z.object({ validation: z.optional(previousValidationSchema) })),
});

export const handler = (event: unknown, context?: Context) => {
  const deadline = validationDeadline(context);
  return workflowTask('validate-input', inputSchema, ({ state, ...ref }) =>
    validateJobInput(ref, state?.validation, deadline),
  )(event, context);
};
