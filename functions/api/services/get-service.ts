/** GET /services/{serviceId} — one imputation service, with the caller's token status and its health. */
import { serviceIdPath } from '#shared/api/requests';
import { getService } from '#shared/catalog/service-catalog';
import { toServiceView } from '#shared/catalog/service-view';
import { credentialStore } from '#shared/credentials/credential-store';
import { healthStore } from '#shared/health/health-store';
import { apiHandler } from '#shared/http/api-handler';

export const request = { path: serviceIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  const service = getService(path.serviceId);
  const [credential, health] = await Promise.all([
    credentialStore().get(caller.sub, service.id),
    healthStore().get(service.id),
  ]);
  return { body: toServiceView(service, credential, health) };
});
