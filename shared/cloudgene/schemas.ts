/**
 * zod schemas of the Cloudgene 3 responses we rely on (cloudgene-api.md). They are lenient where the
 * services differ (Cloudgene 2 clones send `expire` in epoch ms; fields may be missing or null; unknown
 * fields pass through) and strict on what we act on (state codes, job ids, file hashes and names).
 * Written with `zod/mini` (same parsing and messages as classic zod, a fraction of the bundle).
 */
import * as z from 'zod/mini';
import '#shared/zod-english';

/** A string the services may send as null or leave out, read as ''. */
const textOrEmpty = z.pipe(
  z.nullish(z.string()),
  z.transform((value: string | null | undefined) => value ?? ''),
);

/** A list the services may send as null or leave out, read as []. */
const listOrEmpty = <T extends z.ZodMiniType>(item: T) =>
  z.pipe(
    z.nullish(z.array(item)),
    z.transform((value: z.output<T>[] | null | undefined) => value ?? []),
  );

/** A boolean the services may send as null, read as absent. */
const flagOrAbsent = z.pipe(
  z.nullish(z.boolean()),
  z.transform((value: boolean | null | undefined) => value ?? undefined),
);

const nonEmpty = () => z.string().check(z.minLength(1));

export const verifyTokenResponseSchema = z.looseObject({
  valid: z.boolean(),
  message: textOrEmpty,
  username: z.nullish(z.string()),
  name: z.nullish(z.string()),
  mail: z.nullish(z.string()),
  expire: z.nullish(z.union([z.string(), z.number()])),
});

/** One `{key, value}` choice of a `list` or `app_list` parameter. */
export const optionValueSchema = z.looseObject({
  key: z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
  value: z.nullish(z.union([z.string(), z.number(), z.boolean()])),
});

/** One entry of a `binded_list`: the choices offered when the bound parameter has the value `key`. */
export const bindedValueSchema = z.looseObject({
  key: z.string(),
  label: z.nullish(z.string()),
  values: z.nullish(z.array(optionValueSchema)),
});

export const appParamSchema = z.looseObject({
  id: z.string(),
  type: z.nullish(z.string()),
  value: z.optional(z.unknown()),
  /** Shapes differ by type (`{key,value}` or binded `{key,label,values}`); each is parsed where it is used. */
  values: z.nullish(z.array(z.unknown())),
});

export const appResponseSchema = z.looseObject({
  id: z.nullish(z.string()),
  name: z.nullish(z.string()),
  version: z.nullish(z.string()),
  params: listOrEmpty(appParamSchema),
});

const logMessageSchema = z.looseObject({
  message: textOrEmpty,
  type: z._default(z.int(), 0),
  time: z.optional(z.number()),
});

const resultFileSchema = z.looseObject({
  name: nonEmpty(),
  hash: nonEmpty(),
  size: z.optional(z.union([z.string(), z.number()])),
  path: z.nullish(z.string()),
  /** Downloads left; -1 unlimited. */
  count: z.nullish(z.number()),
});

export const jobResponseSchema = z.looseObject({
  id: nonEmpty(),
  name: z.nullish(z.string()),
  state: z.int(),
  positionInQueue: z.optional(z.int()),
  submittedOn: z.optional(z.number()),
  startTime: z.optional(z.number()),
  endTime: z.optional(z.number()),
  steps: listOrEmpty(z.looseObject({ name: textOrEmpty, logMessages: listOrEmpty(logMessageSchema) })),
  outputParams: listOrEmpty(
    z.looseObject({
      name: textOrEmpty,
      adminOnly: flagOrAbsent,
      download: flagOrAbsent,
      files: listOrEmpty(resultFileSchema),
    }),
  ),
});

export const jobListResponseSchema = z.looseObject({
  count: z.optional(z.number()),
  page: z.optional(z.number()),
  pages: z.optional(z.number()),
  data: z.array(z.looseObject({ id: z.string(), name: z.nullish(z.string()), state: z.optional(z.int()) })),
});

export const submitResponseSchema = z.looseObject({
  success: z.optional(z.boolean()),
  message: z.nullish(z.string()),
  id: nonEmpty(),
});
