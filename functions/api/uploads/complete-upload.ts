/**
 * POST /uploads/{uploadId}/complete — assembles the parts, then confirms the object against S3 like
 * GET /uploads/{uploadId}; completing a completed upload answers its state.
 */
import { completeUploadBody, uploadIdPath } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { completeUpload } from '#shared/uploads/multipart-complete';

export const request = { path: uploadIdPath, body: completeUploadBody };

export const handler = apiHandler(request, async ({ caller, path, body }) => ({
  body: await completeUpload(caller, path.uploadId, body),
}));
