/**
 * PUT /me/credentials/{serviceId} — verify a service API token at the service, then store it for the
 * caller. 201 when new, 200 when it replaced a stored token; the answer never contains the token.
 */
import { z } from 'zod';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { apiHandler } from '#shared/http/api-handler';

const body = z.strictObject({
  token: z
    .string()
    .trim()
    .min(16, 'token is too short to be a service API token')
    .max(8192, 'token is too long')
    .regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces'),
});

export const handler = apiHandler(
  { path: z.object({ serviceId: z.string() }), body },
  async ({ caller, path, body }) => {
    const service = getService(path.serviceId);
    const { credential, replaced } = await saveServiceToken(caller, service, body.token);
    return { status: replaced ? 200 : 201, body: credential };
  },
);
