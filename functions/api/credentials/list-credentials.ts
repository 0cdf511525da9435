/** GET /me/credentials — metadata of the caller's stored service tokens; never the tokens. */
import { listServiceCredentials } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

export const handler = apiHandler({}, async ({ caller }) => ({
  body: { credentials: await listServiceCredentials(caller) },
}));
