/**
 * Workflow step 2: submit the inputs to the service with the owner's token, streaming each file from S3
 * into the multipart request. The service answers "Only N jobs per user…" when the owner's slots are
 * taken: that is a wait, not a failure. A retried task must never submit twice, so before submitting it
 * looks for a service job carrying this job's marker, and the external id is recorded before anything else.
 */

import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients';
import { ConcurrencyLimitError } from '#shared/cloudgene/errors';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus } from '#shared/jobs/job-status';
import { resultPassword } from '#shared/jobs/result-password';
import { logger } from '#shared/logger';
import { uploadsEnv } from '#shared/uploads/uploads';
import { nextWaitSeconds, pollPolicy, scaledWait, slotWaitPolicy } from './backoff';
import { type JobRef, loadJob, ownerClient, submissionMarker } from './job-context';

export const pollStateSchema = z
  .object({
    outcome: z.string().optional(),
    waitSeconds: z.number().optional(),
    /** The unscaled wait the backoff grows from. */
    baseWaitSeconds: z.number().optional(),
    pollCount: z.number().int().optional(),
    remoteState: z.number().optional(),
    lastChange: z.string().optional(),
    continuation: z.number().int().optional(),
  })
  .passthrough();
export type PollState = z.infer<typeof pollStateSchema>;

const SUBMITTABLE = [JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SLOT];
/** Uploads of several GB take minutes; the task's own timeout (900 s) is the real bound. */
const SUBMIT_TIMEOUT_MS = 14 * 60_000;

export async function submitImputationJob(ref: JobRef, previous: PollState = {}): Promise<PollState> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (isTerminal(job.status) || job.status === JobStatus.CANCEL_REQUESTED) return { outcome: 'STOPPED' };
  if (job.externalJobId) return startPolling(job, job.externalJobId);
  if (!SUBMITTABLE.includes(job.status as (typeof SUBMITTABLE)[number])) return { outcome: 'STOPPED' };

  const client = await ownerClient(job, SUBMIT_TIMEOUT_MS);
  const marker = submissionMarker(job.jobId);
  let externalJobId = (await client.findJobByName(marker))?.id;
  if (externalJobId) {
    logger.warn('adopting a submission made by an earlier attempt', { jobId: job.jobId, externalJobId });
  } else {
    try {
      const submitted = await client.submitJob({
        jobName: `${job.name} ${marker}`,
        refPanel: job.refPanel,
        build: job.build,
        phasing: job.phasing,
        population: job.population,
        mode: job.mode,
        r2Filter: job.r2Filter,
        password: await resultPassword(job.owner, job.jobId),
        aesEncryption: job.aesEncryption === true,
        meta: job.meta === true,
        files: job.inputs.map((input) => ({
          name: input.fileName,
          size: input.size,
          stream: () => inputStream(input.key),
        })),
      });
      externalJobId = submitted.id;
    } catch (error) {
      if (!(error instanceof ConcurrencyLimitError)) throw error;
      const base = nextWaitSeconds(
        previous.outcome === 'WAIT_FOR_SLOT' ? previous.baseWaitSeconds : undefined,
        false,
        slotWaitPolicy(),
      );
      if (job.status !== JobStatus.WAITING_FOR_SLOT) {
        await jobs.transition(job.owner, job.jobId, JobStatus.WAITING_FOR_SLOT, {
          from: [JobStatus.SUBMITTING],
          detail: error.serviceMessage ?? error.message,
        });
      }
      return { outcome: 'WAIT_FOR_SLOT', baseWaitSeconds: base, waitSeconds: scaledWait(base), pollCount: 0 };
    }
  }

  // Record the id before anything else: from here on, a retry adopts this submission.
  const recorded = await jobs.update(job.owner, job.jobId, { externalJobId }, SUBMITTABLE);
  if (!recorded) {
    // Canceled while we were submitting: the service job must not run on without us.
    logger.info('job canceled during submission; cancelling it at the service', { jobId: job.jobId });
    await client
      .cancelJob(externalJobId)
      .catch((error: unknown) =>
        logger.warn('could not cancel the orphaned service job', { jobId: job.jobId, error: String(error) }),
      );
    await jobs.update(job.owner, job.jobId, { externalJobId }, [JobStatus.CANCELED]);
    return { outcome: 'STOPPED' };
  }
  return startPolling(job, externalJobId);
}

async function startPolling(job: JobRecord, externalJobId: string): Promise<PollState> {
  if (job.status === JobStatus.SUBMITTING || job.status === JobStatus.WAITING_FOR_SLOT) {
    await jobRepository().transition(job.owner, job.jobId, JobStatus.QUEUED_REMOTE, {
      from: [JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SLOT],
      detail: `submitted to the service as ${externalJobId}`,
    });
  }
  const base = pollPolicy().initialSeconds;
  return { outcome: 'WAIT', baseWaitSeconds: base, waitSeconds: scaledWait(base), pollCount: 0 };
}

async function inputStream(key: string): Promise<Readable> {
  const object = await s3Client().send(
    new GetObjectCommand({ Bucket: uploadsEnv().INPUTS_BUCKET, Key: key }),
  );
  if (!object.Body) throw new Error(`Input ${key} has no body`);
  return object.Body as Readable;
}
