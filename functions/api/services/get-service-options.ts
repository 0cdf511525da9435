/**
 * GET /services/{serviceId}/options — the panels (with their populations), builds, phasing and modes the
 * caller may use, read from the service with the caller's token and cached briefly.
 */
import { z } from 'zod';
import { getService } from '#shared/catalog/service-catalog';
import { getServiceOptions } from '#shared/catalog/service-options';
import { apiHandler } from '#shared/http/api-handler';

export const handler = apiHandler({ path: z.object({ serviceId: z.string() }) }, async ({ caller, path }) => {
  const service = getService(path.serviceId);
  const { options, cached, fetchedAt } = await getServiceOptions(caller, service);
  return {
    body: { serviceId: service.id, fetchedAt, ...options },
    headers: { 'X-Cache': cached ? 'hit' : 'miss' },
  };
});
