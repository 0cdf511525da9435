/**
 * GET /services/{serviceId}/options — the panels (with their populations), builds, phasing and modes the
 * caller may use, read from the service with the caller's token and cached briefly.
 */
import { serviceIdPath } from '#shared/api/requests';
import { getService } from '#shared/catalog/service-catalog';
import { getServiceOptions } from '#shared/catalog/service-options';
import { apiHandler } from '#shared/http/api-handler';

export const request = { path: serviceIdPath };

export const handler = apiHandler(request, async ({ caller, path }) => {
  const service = getService(path.serviceId);
  const { options, cached, fetchedAt } = await getServiceOptions(caller, service);
  return {
    body: { serviceId: service.id, fetchedAt, ...options },
    headers: { 'X-Cache': cached ? 'hit' : 'miss' },
  };
});
