/**
 * Workflow task: check an upload's whole file once it is READY (the `upload-<id>` execution), within
 * this invocation's time; `CONTINUE` with a cursor when the file needs another invocation. Called again
 * with the caught error (`state.failure`) when the check gave up, to record the upload as UNCHECKED so
 * no job waits for an outcome that will not come. Errors of AWS that may pass are retried by the ASL.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeAwsFault, isTransientAwsFault } from '#shared/aws/aws-faults';
import { logger } from '#shared/logger';
import { recordUnchecked, uploadRefSchema } from '#shared/uploads/upload-checks';
import { TransientError } from '#shared/workflow/task-errors';
import { checkUpload, previousUploadCheckSchema } from '#shared/workflow/upload-check';
import { validationDeadline } from '#shared/workflow/validate-input';
import { parseInput } from '#shared/workflow/workflow-task';

const inputSchema = z.extend(uploadRefSchema, {
  state: z.optional(
    z.object({
      check: z.optional(previousUploadCheckSchema),
      failure: z.optional(z.object({ Error: z.optional(z.string()) })),
    }),
  ),
});

export const handler = async (event: unknown, context?: Context) => {
  const { state, ...ref } = parseInput(inputSchema, event);
  logger.resetKeys();
  logger.appendKeys({ task: 'check-upload', uploadId: ref.uploadId, requestId: context?.awsRequestId });
  if (state?.failure) {
    await recordUnchecked(ref, `the check failed (${state.failure.Error ?? 'error'})`);
    return { outcome: 'UNCHECKED', invocations: 0 };
  }
  try {
    return await checkUpload(ref, state?.check, validationDeadline(context));
  } catch (error) {
    logger.warn('upload check failed', { errorType: (error as Error).name, error: (error as Error).message });
    throw isTransientAwsFault(error) ? new TransientError(describeAwsFault(error)) : error;
  }
};
