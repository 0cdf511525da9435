/**
 * "Start again with these settings": the job New job was opened from (`?from=<jobId>`) and which of its
 * inputs a new job can use. Each input's upload is asked for (GET /uploads/{uploadId}): READY ones are
 * reused; expired or abandoned ones are said to be gone; files our checks found invalid are left out,
 * since the researcher starts again to add the fixed file.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { isMissing } from '../api/api-error';
import type { Job } from '../api/client';
import { jobQuery } from '../api/job-queries';
import { uploadQuery } from '../api/upload-queries';
import { useApi } from '../context';
import { inputFindings } from '../lib/job-failure';

export interface StartAgain {
  /** `missing`: no job of the caller's has that id (deleted, another user's, or mistyped). */
  state: 'none' | 'loading' | 'missing' | 'failed' | 'ready';
  job?: Job;
  /** Upload ids of the inputs a new job can use. */
  reusable: string[];
  /** File names of inputs whose uploads expired or were abandoned. */
  gone: string[];
  /** File names of inputs our checks found invalid. */
  invalid: string[];
  /** File names of inputs whose state could not be read just now. */
  unchecked: string[];
}

export function useStartAgain(from: string | undefined): StartAgain {
  const api = useApi();
  const job = useQuery({ ...jobQuery(api, from ?? ''), enabled: Boolean(from) });
  // A parent job (several targets) has no settings of one job to start again from: its children have.
  const jobData = job.data?.kind === 'job' ? job.data : undefined;
  const invalid = new Set(jobData ? inputFindings(jobData).map((finding) => finding.fileName) : []);
  const inputs = (jobData?.inputs ?? []).filter((input) => !invalid.has(input.fileName));
  const uploads = useQueries({
    queries: inputs.map((input) => ({ ...uploadQuery(api, input.uploadId), retry: false })),
  });
  const empty = { reusable: [], gone: [], invalid: [], unchecked: [] };
  if (!from) return { state: 'none', ...empty };
  if (job.isPending) return { state: 'loading', ...empty };
  if (job.error) return { state: isMissing(job.error) ? 'missing' : 'failed', ...empty };
  if (!jobData) return { state: 'missing', ...empty };
  if (uploads.some((upload) => upload.isPending)) return { state: 'loading', job: jobData, ...empty };
  const result: StartAgain = {
    state: 'ready',
    job: jobData,
    ...empty,
    invalid: jobData.inputs.filter((input) => invalid.has(input.fileName)).map((input) => input.fileName),
  };
  inputs.forEach((input, index) => {
    const upload = uploads[index]!;
    if (upload.data?.status === 'READY' && !upload.data.problem) result.reusable.push(input.uploadId);
    else if (upload.data || isMissing(upload.error)) result.gone.push(input.fileName);
    else result.unchecked.push(input.fileName);
  });
  return result;
}
