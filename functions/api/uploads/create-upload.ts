/**
 * POST /uploads — announce an input file and get a presigned PUT for it. The URL is bound to the exact
 * size (and SHA-256 when given), and the key lies under the caller's own prefix.
 */
import { z } from 'zod';
import { apiHandler } from '#shared/http/api-handler';
import { createUpload, sha256Schema, uploadFileNameSchema, uploadsEnv } from '#shared/uploads/uploads';

export const handler = apiHandler(
  {
    body: z.strictObject({
      fileName: uploadFileNameSchema,
      size: z
        .number()
        .int()
        .positive()
        .refine((size) => size <= uploadsEnv().MAX_UPLOAD_BYTES, {
          message: `size exceeds the maximum upload size`,
        }),
      sha256: sha256Schema.optional(),
    }),
  },
  async ({ caller, body }) => ({ status: 201, body: await createUpload(caller, body) }),
);
