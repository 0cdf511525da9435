/** GET /uploads/{uploadId} — the caller's upload, confirmed against S3 (present, with the announced size). */
import { z } from 'zod';
import { apiHandler } from '#shared/http/api-handler';
import { getUpload, uploadIdSchema } from '#shared/uploads/uploads';

export const handler = apiHandler(
  { path: z.object({ uploadId: uploadIdSchema }) },
  async ({ caller, path }) => {
    const { upload, problem } = await getUpload(caller, path.uploadId);
    return { body: problem ? { ...upload, problem } : upload };
  },
);
