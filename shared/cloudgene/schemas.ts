/**
 * zod schemas of the Cloudgene 3 responses we rely on (cloudgene-api.md). They are lenient where the
 * services differ (Cloudgene 2 clones send `expire` in epoch ms; fields may be missing) and strict on what
 * we act on (state codes, file hashes).
 */
import { z } from 'zod';

export const verifyTokenResponseSchema = z.looseObject({
  valid: z.boolean(),
  message: z
    .string()
    .nullish()
    .transform((m) => m ?? ''),
  username: z.string().nullish(),
  name: z.string().nullish(),
  mail: z.string().nullish(),
  expire: z.union([z.string(), z.number()]).nullable().optional(),
});

const optionValueSchema = z.looseObject({
  key: z.string(),
  value: z.union([z.string(), z.number()]).optional(),
});

export const appParamSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  value: z.unknown().optional(),
  values: z.array(z.looseObject({ key: z.string() })).optional(),
});

export const appResponseSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  version: z.string().optional(),
  params: z.array(appParamSchema).default([]),
});

export const bindedValueSchema = z.looseObject({
  key: z.string(),
  label: z.string().optional(),
  values: z.array(optionValueSchema).default([]),
});

export { optionValueSchema };

const logMessageSchema = z.looseObject({
  message: z.string().default(''),
  type: z.number().int().default(0),
  time: z.number().optional(),
});

export const jobResponseSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullable().optional(),
  state: z.number().int(),
  positionInQueue: z.number().int().optional(),
  submittedOn: z.number().optional(),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  steps: z
    .array(
      z.looseObject({
        name: z.string().default(''),
        logMessages: z.array(logMessageSchema).nullable().default([]),
      }),
    )
    .nullable()
    .default([]),
  outputParams: z
    .array(
      z.looseObject({
        name: z.string().default(''),
        files: z
          .array(
            z.looseObject({
              name: z.string(),
              hash: z.string(),
              size: z.union([z.string(), z.number()]).optional(),
            }),
          )
          .nullable()
          .default([]),
      }),
    )
    .nullable()
    .default([]),
});

export const jobListResponseSchema = z.looseObject({
  count: z.number().optional(),
  page: z.number().optional(),
  pages: z.number().optional(),
  data: z.array(
    z.looseObject({ id: z.string(), name: z.string().nullable().optional(), state: z.number().optional() }),
  ),
});

export const submitResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  message: z.string().optional(),
  id: z.string().min(1),
});
