/**
 * The answers of the upload routes, as zod schemas for the OpenAPI document (like responses.ts, which
 * re-exports them), with the type checks that bind each to the view or function it describes. Only the
 * document generator imports them, so they are in no Lambda bundle.
 */
import * as z from 'zod/mini';
import type { completeUpload } from '#shared/uploads/multipart-complete';
import type { listUploadParts, signUploadParts } from '#shared/uploads/multipart-uploads';
import type { createUpload, listUploads, UploadView } from '#shared/uploads/uploads';
import { component, count, cursor, described, nullableTimestamp, text, timestamp } from './response-parts';

const uploadShape = {
  uploadId: text,
  fileName: text,
  size: count,
  sha256: described(
    z.nullable(text),
    'Base64 SHA-256 given at announcement: S3 checks it on a single PUT; a multipart upload records it, ' +
      "and S3 checks each part's SHA-256 given with its URL instead",
  ),
  status: described(
    z.enum(['PENDING', 'READY', 'ABORTED']),
    '`READY` once the object is confirmed in S3; `ABORTED` once abandoned (DELETE) or discarded by S3',
  ),
  transfer: described(
    z.enum(['single', 'multipart']),
    '`single`: one presigned PUT; `multipart`: presigned part URLs (POST /uploads/{uploadId}/parts)',
  ),
  createdAt: timestamp,
  confirmedAt: nullableTimestamp,
  uploadUrlExpiresAt: described(
    timestamp,
    'Until when the URL(s) handed out last work: the PUT, or the latest part URLs (multipart: the ' +
      'announcement time until the first parts request)',
  ),
  expiresAt: described(timestamp, 'When the upload and its object are deleted'),
  check: described(
    z.nullable(
      component(
        z.discriminatedUnion('status', [
          z.strictObject({ status: z.literal('CHECKING'), startedAt: timestamp }),
          z.strictObject({
            status: z.literal('VALID'),
            checkedAt: timestamp,
            samples: count,
            chromosome: text,
            variants: count,
            build: described(
              z.nullable(z.enum(['hg19', 'hg38'])),
              "The build the file's own evidence shows (##contig lengths, ##reference, positions); null without evidence",
            ),
            buildEvidence: described(z.array(text), 'That evidence, one clause per piece'),
          }),
          z.strictObject({
            status: z.literal('INVALID'),
            checkedAt: timestamp,
            code: described(text, 'Why, as a code (NOT_GZIP, TRUNCATED, UNSORTED, …)'),
            line: described(z.nullable(count), 'The 1-based line of the file, when the problem has one'),
            message: described(text, 'What is wrong and how to fix this file'),
          }),
          z.strictObject({
            status: z.literal('UNCHECKED'),
            checkedAt: timestamp,
            reason: described(text, 'Why the check could not run; a job then checks the file itself'),
          }),
        ]),
        'UploadCheck',
        'The check of the whole file, run once it is READY: a job reuses its outcome and judges its own rules (sample limits, build, phasing) from it',
      ),
    ),
    'Null until the upload is READY',
  ),
};

export const uploadSchema = component(z.strictObject(uploadShape), 'Upload', 'An announced input file');

export const uploadWithProblemSchema = component(
  z.strictObject({
    ...uploadShape,
    problem: described(z.optional(text), 'Why the stored object cannot be used (upload it again)'),
  }),
  'CheckedUpload',
  'An upload as confirmed against S3',
);

const partHeaders = described(
  z.record(z.string(), z.string()),
  'Headers the PUT must carry exactly (the signature covers them)',
);

export const createdUploadSchema = component(
  z.discriminatedUnion('transfer', [
    component(
      z.strictObject({
        upload: uploadSchema,
        transfer: z.literal('single'),
        uploadUrl: described(z.url(), 'Presigned S3 URL: PUT the file bytes here'),
        method: z.literal('PUT'),
        headers: partHeaders,
      }),
      'SinglePutUpload',
      'Up to the multipart threshold: one presigned PUT for the whole file',
    ),
    component(
      z.strictObject({
        upload: uploadSchema,
        transfer: z.literal('multipart'),
        multipart: z.strictObject({
          partSize: described(count, 'Bytes of every part but the last (whole MiB, at least 5 MiB)'),
          partCount: described(count, 'Parts 1 to partCount; the last holds the rest of the file'),
          maxPartsPerRequest: described(count, 'Most part URLs one POST …/parts hands out'),
        }),
      }),
      'MultipartUpload',
      'Above the multipart threshold: sign parts with POST /uploads/{uploadId}/parts, PUT them, complete',
    ),
  ]),
  'CreatedUpload',
  'The upload record and how to send its bytes (`transfer`)',
);

export const signedPartsSchema = component(
  z.strictObject({
    parts: z.array(
      z.strictObject({
        partNumber: count,
        url: described(z.url(), "Presigned UploadPart URL: PUT the part's bytes here"),
        headers: partHeaders,
      }),
    ),
    expiresAt: described(timestamp, 'When these URLs stop working (ask again for new ones)'),
  }),
  'SignedParts',
  'Presigned PUTs for parts of a multipart upload, each bound to its length (and SHA-256)',
);

export const storedPartsSchema = component(
  z.strictObject({
    parts: z.array(
      z.strictObject({
        partNumber: count,
        size: count,
        etag: described(text, "The part's ETag, without quotes"),
        checksumSha256: described(z.nullable(text), 'Base64 SHA-256 S3 checked, when the parts carry one'),
      }),
    ),
  }),
  'StoredParts',
  'The parts S3 already stores, in part-number order: upload the others, then complete with these',
);

export const completedUploadSchema = component(
  z.strictObject({
    upload: uploadSchema,
    problem: described(z.nullable(text), 'Why the assembled object cannot be used, when it cannot'),
  }),
  'CompletedUpload',
  'The upload after completion, confirmed against S3 like GET /uploads/{uploadId}',
);

export const uploadListSchema = z.strictObject({ uploads: z.array(uploadSchema), nextCursor: cursor });

/** True when each type is assignable to the other: same fields, same types (optional fields aside). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile unless given `true`. */
type Expect<_T extends true> = true;
type Out<Schema extends z.ZodMiniType> = z.output<Schema>;

export type UploadViewChecks = [
  Expect<Same<UploadView, Out<typeof uploadSchema>>>,
  Expect<Same<UploadView & { problem?: string }, Out<typeof uploadWithProblemSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof createUpload>>, Out<typeof createdUploadSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof listUploads>>, Out<typeof uploadListSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof signUploadParts>>, Out<typeof signedPartsSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof listUploadParts>>, Out<typeof storedPartsSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof completeUpload>>, Out<typeof completedUploadSchema>>>,
];
