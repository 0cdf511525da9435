/**
 * Request schemas that used to be written inline in their handlers, here so the handler validates with
 * the very object the route table hands to the OpenAPI document (one set of schemas for both). The
 * schemas of a domain module (job-request.ts, uploads.ts, service-catalog.ts) stay there and are reused.
 * `zod/mini`, like every runtime schema (a handler's bundle carries no classic zod); metadata is set with
 * `.register(z.globalRegistry, …)`, which the OpenAPI generator reads.
 */
import * as z from 'zod/mini';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import { ValidationError } from '#shared/errors';
import { JobStatus } from '#shared/jobs/job-status';
import { MAX_PARTS_PER_REQUEST, S3_MAX_PARTS } from '#shared/uploads/s3-limits';
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
    .check(
      z.trim(),
      z.minLength(16, 'token is too short to be a service API token'),
      z.maxLength(8192, 'token is too long'),
      z.regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces'),
    )
    .register(
      ...describe("The API token from the service's profile page; verified there, never shown again"),
    ),
});

/** The exact byte length the presigned PUT will be bound to, up to the deployment's MAX_UPLOAD_BYTES. */
export const uploadSizeSchema = z
  .int()
  .check(
    z.positive(),
    z.refine((size) => size <= uploadsEnv().MAX_UPLOAD_BYTES, {
      message: `size exceeds the maximum upload size`,
    }),
  )
  .register(...describe('Exact byte length of the file; the presigned PUT (or each part) is bound to it'));

export const createUploadBody = z.strictObject({
  fileName: uploadFileNameSchema,
  size: uploadSizeSchema,
  sha256: z
    .optional(sha256Schema)
    .register(
      ...describe(
        'SHA-256 of the whole file, hex or base64: a single PUT must carry it and S3 checks it; a multipart ' +
          "upload records it (S3 checks each part's SHA-256 given with POST …/parts instead)",
      ),
    ),
});

const distinct = (values: readonly number[]) => new Set(values).size === values.length;

/** 1 to 10,000 here; the handler refuses one beyond the upload's own partCount. */
export const partNumberSchema = z
  .int()
  .check(z.minimum(1), z.maximum(S3_MAX_PARTS))
  .register(...describe("A part number, 1 to the upload's `partCount`"));

export const signPartsBody = z.strictObject({
  partNumbers: z
    .array(partNumberSchema)
    .check(
      z.minLength(1),
      z.maxLength(MAX_PARTS_PER_REQUEST),
      z.refine(distinct, 'partNumbers must be distinct'),
    )
    .register(...describe('The parts to sign URLs for (at most `maxPartsPerRequest`)')),
  checksums: z
    .optional(
      z.record(z.string().check(z.regex(/^[1-9][0-9]{0,4}$/, 'keys must be part numbers')), sha256Schema),
    )
    .register(
      ...describe(
        "Each requested part's SHA-256 by part number, hex or base64: S3 then checks the part's bytes. " +
          'The first parts request decides for the whole upload: give them for every part, or never',
      ),
    ),
});

export const completeUploadBody = z.strictObject({
  parts: z
    .array(
      z.strictObject({
        partNumber: partNumberSchema,
        etag: z
          .string()
          .check(z.minLength(1), z.maxLength(200))
          .register(...describe("The ETag S3 answered the part's PUT with (quoted or not)")),
        size: z
          .optional(z.int().check(z.nonnegative()))
          .register(...describe('The size GET …/parts listed; checked against the stored part')),
        checksumSha256: z
          .optional(z.nullable(sha256Schema))
          .register(
            ...describe("The part's SHA-256 as GET …/parts lists it; checked against the stored part"),
          ),
      }),
    )
    .check(
      z.minLength(1),
      z.maxLength(S3_MAX_PARTS),
      z.refine((parts) => distinct(parts.map((part) => part.partNumber)), 'each part may be listed once'),
    )
    .register(
      ...describe(
        'Every part of the upload, each once: the `parts` GET …/parts answers can be sent as they are',
      ),
    ),
});

const pageLimit = z
  ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25)
  .register(...describe('Page size'));

export const uploadIdPath = z.object({ uploadId: uploadIdSchema });

export const listUploadsQuery = z.object({
  limit: pageLimit,
  cursor: z.optional(uploadIdSchema).register(...describe('`nextCursor` of the previous page')),
});

export const listJobsQuery = z.object({
  limit: pageLimit,
  cursor: z
    .optional(z.string().check(z.maxLength(2048)))
    .register(...describe('`nextCursor` of the previous page')),
  status: z.optional(z.enum(JobStatus)).register(...describe('Only jobs in this status')),
});

export const idempotencyKeySchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/))
  .register(
    ...describe(
      'Makes a retried POST safe: the same key with the same request answers the same job (200) instead of ' +
        'creating another; with a different request it is refused (409 IDEMPOTENCY_KEY_REUSED)',
    ),
  );

/** The request's Idempotency-Key, checked (400 when malformed); undefined without one. */
export function idempotencyKeyOf(headers: Record<string, string | undefined>): string | undefined {
  const rawKey = headers['idempotency-key'];
  const key = rawKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawKey);
  if (key && !key.success) {
    throw new ValidationError('Idempotency-Key must be 1-128 letters, digits or . _ : -', [
      { in: 'header', path: 'Idempotency-Key', message: 'invalid' },
    ]);
  }
  return key?.data;
}

/** The headers POST /jobs reads (the handler validates the key itself: apiHandler has no header schema). */
export const createJobHeaders = z.object({ 'Idempotency-Key': z.optional(idempotencyKeySchema) });
