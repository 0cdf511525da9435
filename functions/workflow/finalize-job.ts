/** Workflow task: end the copy phase from the per-file outcomes (SUCCEEDED, with warnings, or FAILED). */
import { z } from 'zod';
import { finalizeJob } from '#shared/workflow/finish-job';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

const copyItem = z.looseObject({
  index: z.number().int().nonnegative().optional(),
  name: z.string().optional(),
  status: z.string().optional(),
  error: z.string().optional(),
});

export const handler = workflowTask(
  'finalize-job',
  jobRefSchema.extend({ copied: z.array(copyItem).default([]) }),
  ({ copied, ...ref }) => finalizeJob(ref, copied),
);
