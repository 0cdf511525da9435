/** Workflow task: end the copy phase from the per-file outcomes (SUCCEEDED, with warnings, or FAILED). */
import * as z from 'zod/mini';
import { finalizeJob } from '#shared/workflow/finish-job';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

const copyItem = z.looseObject({
  index: z.optional(z.int().check(z.nonnegative())),
  name: z.optional(z.string()),
  status: z.optional(z.string()),
  error: z.optional(z.string()),
});

export const handler = workflowTask(
  'finalize-job',
  z.extend(jobRefSchema, { copied: z._default(z.array(copyItem), []) }),
  ({ copied, ...ref }) => finalizeJob(ref, copied),
);
