/** What every workflow task starts from: the job (by owner and id), its service and a client for it. */
import * as z from 'zod/mini';
import { findService, type ServiceDefinition } from '#shared/catalog/service-catalog';
import { CloudgeneClient } from '#shared/cloudgene/client';
import { ownerSession } from '#shared/credentials/service-credentials';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { JobFailure } from './task-errors';
import { annotate } from './tracing';

export const jobRefSchema = z.object({
  jobId: z.string().check(z.minLength(1)),
  owner: z.string().check(z.minLength(1)),
});
export type JobRef = z.infer<typeof jobRefSchema>;

/** Service calls from tasks may be slow (uploads of GBs); Lambda's own timeout still bounds them. */
const TASK_CALL_TIMEOUT_MS = 60_000;

export async function loadJob(ref: JobRef): Promise<JobRecord> {
  const job = await jobRepository().get(ref.owner, ref.jobId);
  if (!job) throw new JobFailure('JOB_NOT_FOUND', `Job ${ref.jobId} no longer exists`);
  annotate({ serviceId: job.serviceId });
  return job;
}

/** The job's service; one removed from the catalog since fails the job (it cannot go on anywhere). */
export function jobService(job: JobRecord): ServiceDefinition {
  const service = findService(job.serviceId);
  if (!service) {
    throw new JobFailure('SERVICE_NOT_FOUND', `The service "${job.serviceId}" is no longer offered here`);
  }
  return service;
}

/**
 * A client authenticated as the job's owner: the token is read here, inside the task, and never leaves
 * it. It comes from the vault's cache (no credential read per poll); a token the service refuses is read
 * again, and a replacement the owner stored meanwhile is used, so the job goes on.
 */
export async function ownerClient(
  job: JobRecord,
  timeoutMs = TASK_CALL_TIMEOUT_MS,
): Promise<CloudgeneClient> {
  const service = jobService(job);
  const session = await ownerSession(job.owner, service);
  if (!session) {
    throw new JobFailure(
      'SERVICE_TOKEN_MISSING',
      `No API token for ${service.name} is stored for the job's owner. Store one with PUT /me/credentials/${service.id}.`,
    );
  }
  return new CloudgeneClient({
    baseUrl: service.baseUrl,
    appId: service.appId,
    token: session.token,
    refreshToken: session.refreshToken,
    timeoutMs,
    onTokenRejected: session.onTokenRejected,
  });
}

/** Result downloads need no token: the file hash is the access key. */
export function anonymousClient(job: JobRecord, timeoutMs = TASK_CALL_TIMEOUT_MS): CloudgeneClient {
  const service = jobService(job);
  return new CloudgeneClient({ baseUrl: service.baseUrl, appId: service.appId, timeoutMs });
}

/** The marker in the service-side job name that finds our submission again after a crash. */
export function submissionMarker(jobId: string): string {
  return `[gw:${jobId}]`;
}
