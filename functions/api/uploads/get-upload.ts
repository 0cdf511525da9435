/** GET /uploads/{uploadId} — the caller's upload, confirmed against S3 (present, with the announced size). */
import { uploadIdPath } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { getUpload } from '#shared/uploads/uploads';

export const request = { path: uploadIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  const { upload, problem } = await getUpload(caller, path.uploadId);
  return { body: problem ? { ...upload, problem } : upload };
});
