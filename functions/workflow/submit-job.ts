/** Workflow task: submit to the service with the owner's token, or record what the job waits for. */
import { jobRefSchema } from '#shared/workflow/job-context';
import { submitImputationJob } from '#shared/workflow/submit-job';
import { workflowTask } from '#shared/workflow/workflow-task';

export const handler = workflowTask('submit-job', jobRefSchema, (ref) => submitImputationJob(ref));
