/**
 * POST /uploads — announce an input file under the caller's own prefix. Up to the multipart threshold the
 * answer is a presigned PUT bound to the exact size (and SHA-256 when given); above it, the plan of its
 * parts, which POST /uploads/{uploadId}/parts signs.
 */
import { createUploadBody } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { createUpload } from '#shared/uploads/uploads';

export const request = { body: createUploadBody };

export const handler = apiHandler(request, async ({ caller, body }) => ({
  status: 201,
  body: await createUpload(caller, body),
}));
