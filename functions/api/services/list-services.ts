/** GET /services — the imputation services of this deployment, each with the caller's token status and its health. */
import { serviceCatalog } from '#shared/catalog/service-catalog';
import { toServiceView } from '#shared/catalog/service-view';
import { credentialStore } from '#shared/credentials/credential-store';
import { healthStore } from '#shared/health/health-store';
import { apiHandler } from '#shared/http/api-handler';

export const request = {};

export const handler = apiHandler(request, async ({ caller }) => {
  const catalog = serviceCatalog();
  const [stored, health] = await Promise.all([
    credentialStore().list(caller.sub),
    healthStore().getMany(catalog.map((service) => service.id)),
  ]);
  const credentials = new Map(stored.map((c) => [c.serviceId, c]));
  const services = catalog.map((service) =>
    toServiceView(service, credentials.get(service.id), health.get(service.id)),
  );
  return { body: { services } };
});
