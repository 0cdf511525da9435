/**
 * GET /panels — the reference panels across the services where the caller holds an active token, grouped
 * by panel key, with the services whose panels cannot be read now and why.
 */
import { listPanels } from '#shared/catalog/panels';
import { apiHandler } from '#shared/http/api-handler';

export const request = {};

export const handler = apiHandler(request, async ({ caller }) => ({ body: await listPanels(caller) }));
