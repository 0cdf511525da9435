/**
 * The upload queries, with their keys written once: one upload (New job follows its check, and reads the
 * inputs of the job it starts again from) and the researcher's uploads (the earlier-uploads list). The
 * check of a whole file runs on the server once the upload is READY: both ask again while it runs, a few
 * seconds apart at first and less often for a long check, and stop once it has settled.
 */
import { queryOptions } from '@tanstack/react-query';
import { type Api, type Upload, unwrap } from './client';

type UploadCheck = Upload['check'];

/**
 * Whether the server may still change its word on the file. A READY upload answers its check as it
 * stands (CHECKING from the moment it is READY); one without any is from before uploads were checked,
 * and stays so.
 */
export const checkRunning = (upload: Pick<Upload, 'status' | 'check'>): boolean =>
  upload.status === 'READY' && upload.check?.status === 'CHECKING';

/** 2 s during a check's first minute (most files), then 10 s (a check of gigabytes takes minutes). */
function checkPollMs(check: UploadCheck, now = Date.now()): number {
  const started = check?.status === 'CHECKING' ? Date.parse(check.startedAt) : now;
  return now - started < 60_000 ? 2_000 : 10_000;
}

const uploadKey = (uploadId: string) => ['upload', uploadId] as const;
const getUpload = (api: Api, uploadId: string) =>
  unwrap(api.client.GET('/uploads/{uploadId}', { params: { path: { uploadId } } }));

export const uploadQuery = (api: Api, uploadId: string) =>
  queryOptions({ queryKey: uploadKey(uploadId), queryFn: () => getUpload(api, uploadId) });

/** One upload, asked again while its check runs. */
export const uploadCheckQuery = (api: Api, uploadId: string) =>
  queryOptions({
    queryKey: uploadKey(uploadId),
    queryFn: () => getUpload(api, uploadId),
    refetchInterval: (query) => {
      const upload = query.state.data;
      return upload && checkRunning(upload) ? checkPollMs(upload.check) : false;
    },
  });

export const uploadsQuery = (api: Api) =>
  queryOptions({
    queryKey: ['uploads'],
    queryFn: () => unwrap(api.client.GET('/uploads', { params: { query: { limit: 100 } } })),
    refetchInterval: (query) => {
      const running = (query.state.data?.uploads ?? []).filter(checkRunning);
      return running.length > 0 ? Math.min(...running.map((u) => checkPollMs(u.check))) : false;
    },
  });
