/**
 * zod schemas of the Cloudgene 3 responses we rely on (cloudgene-api.md). They are lenient where the
 * services differ (Cloudgene 2 clones send `expire` in epoch ms; fields may be missing or null; unknown
 * fields pass through) and strict on what we act on (state codes, job ids, file hashes and names).
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
  expire: z.union([z.string(), z.number()]).nullish(),
});

/** One `{key, value}` choice of a `list` or `app_list` parameter. */
export const optionValueSchema = z.looseObject({
  key: z.union([z.string(), z.number()]).transform(String),
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
});

/** One entry of a `binded_list`: the choices offered when the bound parameter has the value `key`. */
export const bindedValueSchema = z.looseObject({
  key: z.string(),
  label: z.string().nullish(),
  values: z.array(optionValueSchema).nullish(),
});

export const appParamSchema = z.looseObject({
  id: z.string(),
  type: z.string().nullish(),
  value: z.unknown().optional(),
  /** Shapes differ by type (`{key,value}` or binded `{key,label,values}`); each is parsed where it is used. */
  values: z.array(z.unknown()).nullish(),
});

export const appResponseSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  version: z.string().nullish(),
  params: z
    .array(appParamSchema)
    .nullish()
    .transform((p) => p ?? []),
});

const logMessageSchema = z.looseObject({
  message: z
    .string()
    .nullish()
    .transform((m) => m ?? ''),
  type: z.number().int().default(0),
  time: z.number().optional(),
});

const resultFileSchema = z.looseObject({
  name: z.string().min(1),
  hash: z.string().min(1),
  size: z.union([z.string(), z.number()]).optional(),
  path: z.string().nullish(),
});

export const jobResponseSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  state: z.number().int(),
  positionInQueue: z.number().int().optional(),
  submittedOn: z.number().optional(),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  steps: z
    .array(
      z.looseObject({
        name: z
          .string()
          .nullish()
          .transform((n) => n ?? ''),
        logMessages: z
          .array(logMessageSchema)
          .nullish()
          .transform((m) => m ?? []),
      }),
    )
    .nullish()
    .transform((s) => s ?? []),
  outputParams: z
    .array(
      z.looseObject({
        name: z
          .string()
          .nullish()
          .transform((n) => n ?? ''),
        files: z
          .array(resultFileSchema)
          .nullish()
          .transform((f) => f ?? []),
      }),
    )
    .nullish()
    .transform((p) => p ?? []),
});

export const jobListResponseSchema = z.looseObject({
  count: z.number().optional(),
  page: z.number().optional(),
  pages: z.number().optional(),
  data: z.array(
    z.looseObject({ id: z.string(), name: z.string().nullish(), state: z.number().int().optional() }),
  ),
});

export const submitResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  message: z.string().nullish(),
  id: z.string().min(1),
});
