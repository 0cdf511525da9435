/** GET /me/credentials — metadata of the caller's stored service tokens; never the tokens. */
import { listServiceCredentials } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

export const request = {};

export const handler = apiHandler(request, async ({ caller }) => ({
  body: { credentials: await listServiceCredentials(caller) },
}));
