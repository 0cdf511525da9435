/** DELETE /me/credentials/{serviceId} — remove the caller's token (secret and metadata) for a service. */
import { z } from 'zod';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import { deleteServiceToken } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

// Not limited to catalog services: a token stored for a service that ops later removed must stay deletable.
export const handler = apiHandler(
  { path: z.object({ serviceId: serviceIdSchema }) },
  async ({ caller, path }) => {
    await deleteServiceToken(caller, path.serviceId);
    return { status: 204 };
  },
);
