/**
 * Request schemas that used to be written inline in their handlers, here so the handler validates with
 * the very object the route table hands to the OpenAPI document (one set of schemas for both). The
 * schemas of a domain module (job-request.ts, uploads.ts, service-catalog.ts) stay there and are reused.
 * Classic zod, not `zod/mini`: `apiHandler` (shared/http) still types its specs as classic schemas; these
 * move with it. Metadata is set with `.register(z.globalRegistry, …)`, which both flavours understand.
 */
import { z } from 'zod';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import { JobStatus } from '#shared/jobs/job-status';
import { sha256Schema, uploadFileNameSchema, uploadIdSchema, uploadsEnv } from '#shared/uploads/uploads';

const describe = (description: string) => [z.globalRegistry, { description }] as const;

/** Any service id: the handler answers SERVICE_NOT_FOUND for one the catalog does not have. */
export const serviceIdPath = z.object({
  serviceId: z.string().register(...describe('A service id of the catalog (GET /services)')),
});

/** Not limited to catalog services: a token stored for a service that ops later removed stays deletable. */
export const storedServiceIdPath = z.object({ serviceId: serviceIdSchema });

export const putCredentialBody = z.strictObject({
  token: z
    .string()
    .trim()
    .min(16, 'token is too short to be a service API token')
    .max(8192, 'token is too long')
    .regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces')
    .register(
      ...describe("The API token from the service's profile page; verified there, never shown again"),
    ),
});

/** The exact byte length the presigned PUT will be bound to, up to the deployment's MAX_UPLOAD_BYTES. */
export const uploadSizeSchema = z
  .number()
  .int()
  .positive()
  .refine((size) => size <= uploadsEnv().MAX_UPLOAD_BYTES, {
    message: `size exceeds the maximum upload size`,
  })
  .register(...describe('Exact byte length of the file; the presigned PUT is bound to it'));

export const createUploadBody = z.strictObject({
  fileName: uploadFileNameSchema,
  size: uploadSizeSchema,
  sha256: sha256Schema.optional(),
});

const pageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(25)
  .register(...describe('Page size'));

export const uploadIdPath = z.object({ uploadId: uploadIdSchema });

export const listUploadsQuery = z.object({
  limit: pageLimit,
  cursor: uploadIdSchema.optional().register(...describe('`nextCursor` of the previous page')),
});

export const listJobsQuery = z.object({
  limit: pageLimit,
  cursor: z
    .string()
    .max(2048)
    .optional()
    .register(...describe('`nextCursor` of the previous page')),
  status: z
    .enum(JobStatus)
    .optional()
    .register(...describe('Only jobs in this status')),
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
  .register(
    ...describe(
      'Makes a retried POST safe: the same key with the same request answers the same job (200) instead of ' +
        'creating another; with a different request it is refused (409 IDEMPOTENCY_KEY_REUSED)',
    ),
  );

/** The headers POST /jobs reads (the handler validates the key itself: apiHandler has no header schema). */
export const createJobHeaders = z.object({ 'Idempotency-Key': idempotencyKeySchema.optional() });
