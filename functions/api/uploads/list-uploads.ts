/** GET /uploads — the caller's uploads, newest first, with cursor pagination. */
import { listUploadsQuery } from '#shared/api/requests';
import { apiHandler } from '#shared/http/api-handler';
import { listUploads } from '#shared/uploads/uploads';

export const request = { query: listUploadsQuery };

export const handler = apiHandler(request, async ({ caller, query }) => ({
  body: await listUploads(caller, query),
}));
