/** GET /services — the imputation services of this deployment, each with the caller's token status. */
import { serviceCatalog } from '#shared/catalog/service-catalog';
import { toServiceView } from '#shared/catalog/service-view';
import { credentialStore } from '#shared/credentials/credential-store';
import { apiHandler } from '#shared/http/api-handler';

export const request = {};

export const handler = apiHandler(request, async ({ caller }) => {
  const credentials = new Map((await credentialStore().list(caller.sub)).map((c) => [c.serviceId, c]));
  const services = serviceCatalog().map((service) => toServiceView(service, credentials.get(service.id)));
  return { body: { services } };
});
