/** Workflow task: record the copied result files and mark the job SUCCEEDED. */
import { z } from 'zod';
import { finalizeJob } from '#shared/workflow/finish-job';
import { jobRefSchema } from '#shared/workflow/job-context';
import { workflowTask } from '#shared/workflow/workflow-task';

const copiedFile = z.object({ name: z.string(), key: z.string(), size: z.number(), sha256: z.string() });

export const handler = workflowTask(
  'finalize-job',
  jobRefSchema.extend({ copied: z.array(copiedFile) }),
  ({ copied, ...ref }) => finalizeJob(ref, copied),
);
