/** GET /services/{serviceId} — one imputation service, with the caller's token status. */
import { z } from 'zod';
import { getService } from '#shared/catalog/service-catalog';
import { toServiceView } from '#shared/catalog/service-view';
import { credentialStore } from '#shared/credentials/credential-store';
import { apiHandler } from '#shared/http/api-handler';

export const handler = apiHandler({ path: z.object({ serviceId: z.string() }) }, async ({ caller, path }) => {
  const service = getService(path.serviceId);
  const credential = await credentialStore().get(caller.sub, service.id);
  return { body: toServiceView(service, credential) };
});
