/**
 * Workflow task, two states: `CheckInput` (one branch of the validation Map: one input file, whole,
 * within this invocation's time; `CONTINUE` with a checkpoint when it needs another invocation, `WAIT`
 * while its upload is still being checked) and `JudgeInputs` (the job's own rules over every file's
 * facts). `CheckInput` gets its branch's whole state (`"state.$": "$"`) because `$.check`, the previous
 * result, does not exist on the first call.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { jobRefSchema } from '#shared/workflow/job-context';
import {
  checkedFilesSchema,
  checkJobInput,
  type FileCheckResult,
  judgeJobInputs,
  previousFileCheckSchema,
  type ValidationResult,
  validationDeadline,
} from '#shared/workflow/validate-input';
import { workflowTask } from '#shared/workflow/workflow-task';

const inputSchema = z.union([
  z.extend(jobRefSchema, { files: checkedFilesSchema }),
  z.extend(jobRefSchema, {
    index: z.int().check(z.nonnegative()),
    state: z.optional(z.object({ check: z.optional(previousFileCheckSchema) })),
  }),
]);

export const handler = (event: unknown, context?: Context) => {
  const deadline = validationDeadline(context);
  return workflowTask(
    'validate-input',
    inputSchema,
    (input): Promise<FileCheckResult | ValidationResult> =>
      'files' in input
        ? judgeJobInputs({ jobId: input.jobId, owner: input.owner }, input.files)
        : checkJobInput(
            { jobId: input.jobId, owner: input.owner },
            input.index,
            input.state?.check,
            deadline,
          ),
  )(event, context);
};
