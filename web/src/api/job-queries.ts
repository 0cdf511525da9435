/**
 * The job queries of more than one page, with their keys written once: the job page follows a job, and
 * New job reads the job it starts again from (and the uploads of its inputs) under the same keys.
 */
import { queryOptions } from '@tanstack/react-query';
import { type Api, unwrap } from './client';

export const jobQuery = (api: Api, jobId: string) =>
  queryOptions({
    queryKey: ['job', jobId],
    queryFn: () => unwrap(api.client.GET('/jobs/{jobId}', { params: { path: { jobId } } })),
  });

export const uploadQuery = (api: Api, uploadId: string) =>
  queryOptions({
    queryKey: ['upload', uploadId],
    queryFn: () => unwrap(api.client.GET('/uploads/{uploadId}', { params: { path: { uploadId } } })),
  });
