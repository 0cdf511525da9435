/** Workflow task: check each input's head (bgzip, header, samples, chromosome naming) before submission. */
import { jobRefSchema } from '#shared/workflow/job-context';
import { validateJobInput } from '#shared/workflow/validate-input';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask('validate-input', jobRefSchema, (input) => validateJobInput(input));
