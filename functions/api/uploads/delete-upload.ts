/**
 * DELETE /uploads/{uploadId} — abandons a pending upload: S3 keeps none of its bytes, no job can use it.
 */
import { uploadIdPath } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { abandonUpload } from '#shared/uploads/multipart-uploads';

export const request = { path: uploadIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  await abandonUpload(caller, path.uploadId);
  return { status: 204 };
});
