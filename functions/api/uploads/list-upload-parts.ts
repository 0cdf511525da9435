/** GET /uploads/{uploadId}/parts — the parts S3 already stores: a client resumes with the missing ones. */
import { uploadIdPath } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { listUploadParts } from '#shared/uploads/multipart-uploads';

export const request = { path: uploadIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => ({
  body: await listUploadParts(caller, path.uploadId),
}));
