/** DELETE /me/credentials/{serviceId} — remove the caller's token (secret and metadata) for a service. */
import { storedServiceIdPath } from '#shared/api/requests';
import { deleteServiceToken } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

// Not limited to catalog services: a token stored for a service that ops later removed must stay deletable.
export const request = { path: storedServiceIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  await deleteServiceToken(caller, path.serviceId);
  return { status: 204 };
});
