/**
 * Workflow step 1: read the head of every input (a range GET, never the whole file) and check what the
 * service would only check after taking a slot. Invalid input ends the job here with every problem listed.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { s3Client } from '#shared/aws/clients';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { uploadsEnv } from '#shared/uploads/uploads';
import { checkVcfForImputation, inspectVcfHead } from '#shared/vcf/vcf-inspector';
import { type JobRef, loadJob } from './job-context';

/** Enough compressed bytes for a 50,000-sample header line and the first records. */
const HEAD_BYTES = 8 * 1024 * 1024;

export const validateInputSchema = z.object({ jobId: z.string(), owner: z.string() });

export async function validateJobInput(ref: JobRef): Promise<{ outcome: 'VALID' | 'INVALID' | 'STOPPED' }> {
  const jobs = jobRepository();
  const job = await loadJob(ref);
  if (job.status === JobStatus.QUEUED) {
    await jobs.transition(ref.owner, ref.jobId, JobStatus.VALIDATING, { from: [JobStatus.QUEUED] });
  } else if (job.status !== JobStatus.VALIDATING) {
    // Canceled before we started, or a retried task after validation: nothing to do here.
    return { outcome: job.status === JobStatus.SUBMITTING ? 'VALID' : 'STOPPED' };
  }

  const problems: string[] = [];
  for (const input of job.inputs) {
    const object = await s3Client()
      .send(
        new GetObjectCommand({
          Bucket: uploadsEnv().INPUTS_BUCKET,
          Key: input.key,
          Range: `bytes=0-${HEAD_BYTES - 1}`,
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      });
    if (!object?.Body) {
      problems.push(`${input.fileName}: the uploaded file is gone (uploads expire)`);
      continue;
    }
    const inspection = await inspectVcfHead(object.Body as AsyncIterable<Uint8Array>);
    for (const problem of checkVcfForImputation(inspection, job.build)) {
      problems.push(`${input.fileName}: ${problem.message}`);
    }
  }

  if (problems.length > 0) {
    await jobs.transition(ref.owner, ref.jobId, JobStatus.FAILED, {
      from: [JobStatus.VALIDATING],
      detail: 'input validation failed',
      set: { error: { code: 'INPUT_INVALID', message: problems.join('\n') } },
    });
    return { outcome: 'INVALID' };
  }
  await jobs.transition(ref.owner, ref.jobId, JobStatus.SUBMITTING, {
    from: [JobStatus.VALIDATING],
    detail: `${job.inputs.length} input file(s) look valid`,
  });
  return { outcome: 'VALID' };
}
