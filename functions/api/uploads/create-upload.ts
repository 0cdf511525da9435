/**
 * POST /uploads — announce an input file and get a presigned PUT for it. The URL is bound to the exact
 * size (and SHA-256 when given), and the key lies under the caller's own prefix.
 */
import { createUploadBody } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { createUpload } from '#shared/uploads/uploads';

export const request = { body: createUploadBody };

export const handler = apiHandler(request, async ({ caller, body }) => ({
  status: 201,
  body: await createUpload(caller, body),
}));
