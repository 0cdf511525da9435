/**
 * PUT /me/credentials/{serviceId} — verify a service API token at the service, then store it for the
 * caller. 201 when new, 200 when it replaced a stored token; the answer never contains the token.
 */
import { putCredentialBody, serviceIdPath } from '#shared/api/requests';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

export const request = { path: serviceIdPath, body: putCredentialBody };

export const handler = apiHandler(request, async ({ caller, path, body }) => {
  const service = getService(path.serviceId);
  const { credential, replaced } = await saveServiceToken(caller, service, body.token);
  return { status: replaced ? 200 : 201, body: credential };
});
