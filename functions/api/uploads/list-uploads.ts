/** GET /uploads — the caller's uploads, newest first, with cursor pagination. */
import { z } from 'zod';
import { apiHandler } from '#shared/http/api-handler';
import { listUploads, uploadIdSchema } from '#shared/uploads/uploads';

export const handler = apiHandler(
  {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(25),
      cursor: uploadIdSchema.optional(),
    }),
  },
  async ({ caller, query }) => ({ body: await listUploads(caller, query) }),
);
