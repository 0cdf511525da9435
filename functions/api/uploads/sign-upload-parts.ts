/**
 * POST /uploads/{uploadId}/parts — presigned PUTs for some parts of the caller's multipart upload, each
 * bound to its part's exact length and, when given, its SHA-256; the first request creates the S3 upload.
 */
import { signPartsBody, uploadIdPath } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { signUploadParts } from '#shared/uploads/multipart-uploads';

export const request = { path: uploadIdPath, body: signPartsBody };

export const handler = apiHandler(request, async ({ caller, path, body }) => ({
  body: await signUploadParts(caller, path.uploadId, body),
}));
