/**
 * The job queries of more than one page, with their keys written once: the job page follows a job, and
 * New job reads the job it starts again from under the same key (its inputs' uploads: upload-queries.ts).
 */
import { queryOptions } from '@tanstack/react-query';
import { type Api, unwrap } from './client';

export const jobQuery = (api: Api, jobId: string) =>
  queryOptions({
    queryKey: ['job', jobId],
    queryFn: () => unwrap(api.client.GET('/jobs/{jobId}', { params: { path: { jobId } } })),
  });
