/**
 * Workflow task (Map iteration): stream one result file from the service into our bucket, going on from
 * the parts an earlier attempt stored.
 */
import { copyResultFile, copyResultSchema } from '#shared/workflow/copy-result';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask('copy-result', copyResultSchema, ({ file, ...ref }) =>
  copyResultFile(ref, file),
);
