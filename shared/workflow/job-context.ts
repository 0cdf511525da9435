/** What every workflow task starts from: the job (by owner and id), its service and a client for it. */
import { z } from 'zod';
import { getService } from '#shared/catalog/service-catalog';
import { CloudgeneClient } from '#shared/cloudgene/client';
import { serviceSession } from '#shared/credentials/service-credentials';
import { AppError } from '#shared/errors';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { JobFailure } from './task-errors';

export const jobRefSchema = z.object({ jobId: z.string().min(1), owner: z.string().min(1) });
export type JobRef = z.infer<typeof jobRefSchema>;

/** Service calls from tasks may be slow (uploads of GBs); Lambda's own timeout still bounds them. */
const TASK_CALL_TIMEOUT_MS = 60_000;

export async function loadJob(ref: JobRef): Promise<JobRecord> {
  const job = await jobRepository().get(ref.owner, ref.jobId);
  if (!job) throw new JobFailure('JOB_NOT_FOUND', `Job ${ref.jobId} no longer exists`);
  return job;
}

/** A client authenticated as the job's owner: the token is read here, inside the task, and never leaves it. */
export async function ownerClient(
  job: JobRecord,
  timeoutMs = TASK_CALL_TIMEOUT_MS,
): Promise<CloudgeneClient> {
  const service = getService(job.serviceId);
  const session = await serviceSession({ sub: job.owner, username: job.owner, groups: [] }, service).catch(
    (error: unknown) => {
      // Only the credential's own refusals become the job's failure; an AWS outage stays retryable.
      if (!(error instanceof AppError)) throw error;
      const code = error.code === 'SERVICE_TOKEN_MISSING' ? 'SERVICE_TOKEN_MISSING' : 'SERVICE_TOKEN_INVALID';
      throw new JobFailure(
        code,
        `No usable API token for ${service.name} is stored for the job's owner: ${error.message}`,
      );
    },
  );
  return new CloudgeneClient({
    baseUrl: service.baseUrl,
    appId: service.appId,
    token: session.token,
    timeoutMs,
    onTokenRejected: session.onTokenRejected,
  });
}

/** Result downloads need no token: the file hash is the access key. */
export function anonymousClient(job: JobRecord, timeoutMs = TASK_CALL_TIMEOUT_MS): CloudgeneClient {
  const service = getService(job.serviceId);
  return new CloudgeneClient({ baseUrl: service.baseUrl, appId: service.appId, timeoutMs });
}

/** The marker in the service-side job name that finds our submission again after a crash. */
export function submissionMarker(jobId: string): string {
  return `[gw:${jobId}]`;
}
