/**
 * zod schemas of the Cloudgene 3 responses we rely on (cloudgene-api.md). They are lenient where the
 * services differ (Cloudgene 2 clones send `expire` in epoch ms; fields may be missing or null; unknown
 * fields pass through) and strict on what we act on (state codes, job ids, file hashes and names).
 */
import { z } from 'zod';

/** A string the services may send as null or leave out, read as ''. */
const textOrEmpty = z
  .string()
  .nullish()
  .transform((value) => value ?? '');

/** A list the services may send as null or leave out, read as []. */
const listOrEmpty = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((value) => value ?? []);

export const verifyTokenResponseSchema = z.looseObject({
  valid: z.boolean(),
  message: textOrEmpty,
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
  params: listOrEmpty(appParamSchema),
});

const logMessageSchema = z.looseObject({
  message: textOrEmpty,
  type: z.number().int().default(0),
  time: z.number().optional(),
});

const resultFileSchema = z.looseObject({
  name: z.string().min(1),
  hash: z.string().min(1),
  size: z.union([z.string(), z.number()]).optional(),
  path: z.string().nullish(),
  /** Downloads left; -1 unlimited. */
  count: z.number().nullish(),
});

export const jobResponseSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  state: z.number().int(),
  positionInQueue: z.number().int().optional(),
  submittedOn: z.number().optional(),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  steps: listOrEmpty(z.looseObject({ name: textOrEmpty, logMessages: listOrEmpty(logMessageSchema) })),
  outputParams: listOrEmpty(
    z.looseObject({
      name: textOrEmpty,
      adminOnly: z
        .boolean()
        .nullish()
        .transform((value) => value ?? undefined),
      download: z
        .boolean()
        .nullish()
        .transform((value) => value ?? undefined),
      files: listOrEmpty(resultFileSchema),
    }),
  ),
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
