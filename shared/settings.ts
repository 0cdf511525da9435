/**
 * Every environment variable the functions read, in one place: its schema (text to typed value, with
 * its default), a one-line doc, and the way back (typed value to text). Code reads a group through
 * `settings.<group>()`, parsed on first use and kept for the runtime (shared/runtime.ts), so a missing or
 * malformed setting fails with a message naming the variable instead of surfacing later as `undefined`.
 * Whatever writes an environment — the CDK constructs, the local stack, the tests — writes it with
 * `environmentFor`, so each name is spelled here only and each value is type-checked where it is set.
 * Variables other software reads (the AWS SDK, Powertools, Node) are declared too, without a reader.
 * The kinds of value (names, integers, comma lists, JSON, …) are in setting-kinds.ts.
 */
import type { Jwks } from 'aws-jwt-verify/jwk';
import * as z from 'zod/mini';
import type { ServiceDefinitionInput } from '#shared/catalog/service-catalog';
import { perRuntime } from '#shared/runtime';
import {
  type AnyVariable,
  blankIsUnset,
  ConfigError,
  commaList,
  inlineJwks,
  integer,
  joined,
  json,
  name,
  nonEmptyList,
  optionalName,
  type Variable,
  variable,
} from '#shared/setting-kinds';
import {
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_MULTIPART_THRESHOLD_BYTES,
  DEFAULT_PART_SIZE_BYTES,
  MIB,
  S3_MAX_OBJECT_BYTES,
  S3_MAX_PART_BYTES,
  S3_MAX_SINGLE_PUT_BYTES,
  S3_MIN_PART_BYTES,
  TIB,
} from '#shared/uploads/s3-limits';

export { ConfigError, type Variable };

const auth = {
  AUTH_MODE: variable(z.enum(['cognito', 'oidc']), 'Who issues the JWTs: `cognito` (a user pool) or `oidc`'),
  COGNITO_USER_POOL_ID: variable(
    z.string().check(z.regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'not a user pool id')),
    'The user pool whose tokens are accepted (AUTH_MODE=cognito)',
  ),
  COGNITO_CLIENT_ID: variable(nonEmptyList, 'Accepted app client id(s), comma list (cognito)', joined),
  COGNITO_TOKEN_USE: variable(
    blankIsUnset(z._default(z.enum(['id', 'access']), 'id')),
    'Token kind (cognito)',
  ),
  OIDC_ISSUER: variable(z.url(), "The tokens' exact `iss` (AUTH_MODE=oidc)"),
  OIDC_AUDIENCE: variable(nonEmptyList, 'Accepted `aud` claim(s), comma list (oidc)', joined),
  OIDC_JWKS_URI: variable(
    blankIsUnset(z.optional(z.url())),
    'JWKS URI (oidc); `<issuer>/.well-known/jwks.json`',
  ),
  OIDC_USERNAME_CLAIM: variable(blankIsUnset(z._default(z.string(), 'preferred_username')), 'Username claim'),
  OIDC_GROUPS_CLAIM: variable(blankIsUnset(z._default(z.string(), 'groups')), 'Groups claim (oidc)'),
  OIDC_TOKEN_USE: variable(
    blankIsUnset(z._default(z.enum(['id', 'access']), 'id')),
    'Token kind accepted (oidc): a token marked as another kind (an access token for `id`) is refused',
  ),
  OIDC_JWKS_JSON: variable(
    blankIsUnset(z.optional(inlineJwks)),
    'The JWKS inline, never fetched (the local stack: aws-jwt-verify fetches over https only)',
    (jwks: Jwks) => JSON.stringify(jwks),
  ),
};

const authSchema = z.discriminatedUnion('AUTH_MODE', [
  z.object({
    AUTH_MODE: z.literal('cognito'),
    COGNITO_USER_POOL_ID: auth.COGNITO_USER_POOL_ID.schema,
    COGNITO_CLIENT_ID: auth.COGNITO_CLIENT_ID.schema,
    COGNITO_TOKEN_USE: auth.COGNITO_TOKEN_USE.schema,
    OIDC_JWKS_JSON: auth.OIDC_JWKS_JSON.schema,
  }),
  z.object({
    AUTH_MODE: z.literal('oidc'),
    OIDC_ISSUER: auth.OIDC_ISSUER.schema,
    OIDC_AUDIENCE: auth.OIDC_AUDIENCE.schema,
    OIDC_JWKS_URI: auth.OIDC_JWKS_URI.schema,
    OIDC_USERNAME_CLAIM: auth.OIDC_USERNAME_CLAIM.schema,
    OIDC_GROUPS_CLAIM: auth.OIDC_GROUPS_CLAIM.schema,
    OIDC_TOKEN_USE: auth.OIDC_TOKEN_USE.schema,
    OIDC_JWKS_JSON: auth.OIDC_JWKS_JSON.schema,
  }),
]);

/** The variables our code reads, by the group it reads them in (each group is parsed as a whole). */
const groups = {
  table: { TABLE_NAME: name('The one DynamoDB table: credential metadata, uploads, jobs, upload slots') },
  uploads: {
    INPUTS_BUCKET: name('Bucket of the uploaded input VCFs (under inputs/)'),
    MAX_UPLOAD_BYTES: integer(
      "Largest accepted upload, bytes (presigned URLs bind the size); at most S3's 5 TiB (s3-limits.ts)",
      DEFAULT_MAX_UPLOAD_BYTES,
      1,
      S3_MAX_OBJECT_BYTES,
    ),
    UPLOAD_MULTIPART_THRESHOLD_BYTES: integer(
      'Uploads larger than this go multipart (presigned part URLs, resumable); at most the 5 GiB of one PUT',
      DEFAULT_MULTIPART_THRESHOLD_BYTES,
      1,
      S3_MAX_SINGLE_PUT_BYTES,
    ),
    UPLOAD_PART_SIZE_BYTES: variable(
      z._default(
        z.coerce
          .number()
          .check(
            z.int(),
            z.minimum(S3_MIN_PART_BYTES),
            z.maximum(S3_MAX_PART_BYTES),
            z.multipleOf(MIB, 'must be whole MiB'),
          ),
        DEFAULT_PART_SIZE_BYTES,
      ),
      "Part size of multipart uploads, whole MiB from 5 MiB (S3's minimum); grown when a file needs >10,000",
    ),
    UPLOAD_URL_TTL_SECONDS: integer('Lifetime of a presigned upload URL, seconds', 3600, 60, 43_200),
    INPUT_EXPIRY_DAYS: integer('Days an upload record lives (the bucket expires the object alike)', 14),
  },
  results: {
    RESULTS_BUCKET: name('Bucket of the copied result files (under results/)'),
    DOWNLOAD_URL_TTL_SECONDS: integer('Lifetime of a presigned result download, seconds', 900, 60, 86_400),
  },
  outbound: {
    OUTBOUND_ALLOW_LOOPBACK: variable(
      z.pipe(
        z._default(z.enum(['true', 'false']), 'false'),
        z.transform((text) => text === 'true'),
      ),
      'Plain http and loopback addresses (127.0.0.0/8, ::1) for services and their redirects: `true` in the local stack and tests only; off in AWS (https, public addresses only)',
    ),
  },
  resultLimits: {
    MAX_RESULT_FILES: integer(
      "Most result files of one job that are copied (a real job lists under 50); a job listing more fails with a message saying so. Each file takes up to ~2 KB of the job's DynamoDB item (400 KB at most)",
      200,
      1,
      1000,
    ),
    MAX_RESULT_FILE_BYTES: integer(
      'Largest result file copied, bytes (200 GiB); a larger one is recorded as not copied, with a message',
      200 * 1024 ** 3,
      1,
      S3_MAX_OBJECT_BYTES,
    ),
  },
  secrets: {
    SECRETS_PREFIX: variable(
      z._default(z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]+$/)), 'imputation-gateway'),
      'Name prefix of the per-user token secrets (`<prefix>/users/…`)',
    ),
    SECRETS_KMS_KEY_ID: optionalName('KMS key of new token secrets; the account default key when unset'),
  },
  resultPassword: {
    RESULT_PASSWORD_KEY_SECRET_ID: name('Secret holding the key the result zip passwords are derived from'),
  },
  stateMachine: { STATE_MACHINE_ARN: name('The job workflow; executions are named after job ids') },
  catalog: {
    SERVICE_CATALOG: variable(
      z.optional(json(z.array(z.record(z.string(), z.unknown())))),
      'The resolved service catalog as JSON (each entry checked by shared/catalog); the defaults when unset',
      (catalog: readonly ServiceDefinitionInput[]) => JSON.stringify(catalog),
    ),
  },
  backoff: {
    POLL_INITIAL_SECONDS: integer('First wait between polls of a job, seconds', 30),
    POLL_MAX_SECONDS: integer(
      'Longest wait between polls (the wait doubles while nothing changes); a poll is a watcher call and two DynamoDB writes, no state transition, so 5 min keeps a finished job noticed within minutes',
      300,
    ),
    SLOT_WAIT_INITIAL_SECONDS: integer('First wait for a free slot at the service, seconds', 60),
    SLOT_WAIT_MAX_SECONDS: integer('Longest wait for a free slot, seconds', 1800),
    WORKFLOW_TIME_SCALE: variable(
      z._default(z.coerce.number().check(z.positive()), 1),
      'Divides every workflow wait (local runs; 1 in AWS)',
    ),
    QUEUE_DEADLINE_HOURS: integer(
      "Hours a job may wait in the service's queue (or stopped there, restartable) without running before it is canceled there and ends EXPIRED",
      240,
      0,
    ),
    CANCEL_RETRY_HOURS: integer(
      'Hours the watcher keeps retrying the cancel at the service of a job that ended here',
      336,
      0,
    ),
    SERVICE_OUTAGE_LIMIT_HOURS: integer(
      'Hours a job rides out its service being unreachable or answering badly before it ends EXPIRED (Michigan was out about 12 days in 2026)',
      336,
      0,
    ),
    NOT_FOUND_CONFIRM_SECONDS: integer(
      "Seconds of 404s for a job (at least 3, and the job absent from the owner's list there) before it counts as gone",
      600,
      0,
    ),
  },
  watcher: {
    WATCH_BUDGET_MS: integer(
      'Milliseconds after which a watcher run takes no more jobs (what is left is due at the next run)',
      45_000,
      1_000,
    ),
    WATCH_CONCURRENCY: integer('Jobs of one service the watcher polls at once', 8, 1, 64),
  },
  events: {
    EVENT_BUS_NAME: name('The EventBridge bus the outbox publisher sends job, health and token events to'),
    AWS_ENDPOINT_URL_EVENTBRIDGE: variable(
      blankIsUnset(z.optional(z.url())),
      'EventBridge endpoint (the local emulator); `https://events.<region>.amazonaws.com` when unset',
    ),
  },
  validation: {
    VALIDATION_BUDGET_MS: variable(
      z.optional(z.coerce.number().check(z.int(), z.nonnegative())),
      'Caps the time one validation invocation reads (tests force resumption with a tiny budget)',
    ),
    VALIDATION_MAX_INVOCATIONS: integer(
      'Invocations the check of one file may take (each up to ~14 min, ~10 GiB compressed); past it the file is refused',
      24,
    ),
    VALIDATION_MAX_DECOMPRESSED_BYTES: integer(
      'Decompressed bytes the check of one file may read; past it the file is refused (a decompression bomb never runs on)',
      8 * TIB,
    ),
  },
  quotas: {
    MAX_ACTIVE_JOBS_PER_USER: integer('Jobs one user may have active (not ended) at once', 20),
    MAX_PENDING_UPLOADS_PER_USER: integer('Uploads one user may have announced and not yet completed', 50),
    MAX_STORED_BYTES_PER_USER: integer(
      'Bytes of uploads one user may hold (announced, not abandoned, not expired)',
      2 * TIB,
    ),
  },
  cors: {
    CORS_ALLOWED_ORIGINS: variable(
      z._default(commaList, []),
      'Browser origins the API answers with CORS headers, comma list',
      joined,
    ),
  },
  s3: {
    AWS_S3_FORCE_PATH_STYLE: variable(
      z.pipe(
        z.optional(z.string()),
        z.transform((text) => text === 'true'),
      ),
      'Path-style S3 addressing, `true` for the local S3 emulator',
    ),
  },
  auth,
};

/** Read by other software, never by our code: declared so that what writes them can spell them. */
const external = {
  AWS_REGION: name('AWS SDK: the region (Lambda sets it)'),
  AWS_ACCESS_KEY_ID: name(
    'AWS SDK: credentials (Lambda sets them; the local stack fakes them for emulators)',
  ),
  AWS_SECRET_ACCESS_KEY: name('AWS SDK: credentials (Lambda sets them; the local stack fakes them)'),
  AWS_ENDPOINT_URL_DYNAMODB: variable(z.url(), 'AWS SDK: DynamoDB endpoint (local emulator)'),
  AWS_ENDPOINT_URL_S3: variable(z.url(), 'AWS SDK: S3 endpoint (local emulator)'),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: variable(z.url(), 'AWS SDK: Secrets Manager endpoint (local emulator)'),
  AWS_ENDPOINT_URL_SFN: variable(z.url(), 'AWS SDK: Step Functions endpoint (local emulator)'),
  AWS_REQUEST_CHECKSUM_CALCULATION: variable(
    z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']),
    'AWS SDK: when requests carry checksums',
  ),
  AWS_RESPONSE_CHECKSUM_VALIDATION: variable(
    z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']),
    'AWS SDK: when responses are checked',
  ),
  POWERTOOLS_SERVICE_NAME: name('Powertools (and shared/logger.ts): the service name in every log line'),
  POWERTOOLS_LOG_LEVEL: variable(
    z.pipe(
      z.string().check(z.toUpperCase()),
      z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']),
    ),
    'Powertools: the lowest level logged (any case)',
  ),
  POWERTOOLS_DEV: variable(z.enum(['true', 'false']), 'Powertools: pretty logs through the global console'),
  POWERTOOLS_METRICS_DISABLED: variable(
    z.enum(['true', 'false']),
    'Powertools: no EMF metric lines (shared/metrics.ts) — the local stack and the tests',
  ),
  NODE_OPTIONS: variable(z.string(), 'Node: options of every function (source-mapped stack traces)'),
};

type Groups = typeof groups;
export type SettingsGroup = keyof Groups;
type Parsed<M> = { [K in keyof M]: M[K] extends Variable<infer Out, infer _In> ? Out : never };
export type AuthSettings = z.output<typeof authSchema>;
/** The typed settings of each group. */
export type Settings = { [G in SettingsGroup]: G extends 'auth' ? AuthSettings : Parsed<Groups[G]> };

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;
type AllVariables = UnionToIntersection<Groups[SettingsGroup]> & typeof external;
export type VariableName = keyof AllVariables & string;
/** Typed values of any variables, as `environmentFor` takes them. */
export type EnvironmentValues = {
  [K in VariableName]?: AllVariables[K] extends Variable<infer _Out, infer In> ? In : never;
};

const groupOf = new Map<string, SettingsGroup | 'external'>();
export const variables: Readonly<Record<VariableName, AnyVariable>> = {} as Record<VariableName, AnyVariable>;
for (const [group, members] of [...Object.entries(groups), ['external', external]] as const) {
  for (const [key, declared] of Object.entries(members as Record<string, AnyVariable>)) {
    if (groupOf.has(key)) throw new Error(`${key} is declared twice (${groupOf.get(key)}, ${group})`);
    groupOf.set(key, group as SettingsGroup | 'external');
    (variables as Record<string, AnyVariable>)[key] = declared;
  }
}

/** The names of a group's variables, or of those other software reads (`external`). */
export function variablesOf(group: SettingsGroup | 'external'): VariableName[] {
  return [...groupOf].filter(([, owner]) => owner === group).map(([key]) => key as VariableName);
}

function failure(issues: readonly z.core.$ZodIssue[]): ConfigError {
  const problems = issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  return new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

const schemas = Object.fromEntries(
  Object.entries(groups).map(([group, members]) => [
    group,
    group === 'auth'
      ? authSchema
      : z.object(Object.fromEntries(Object.entries(members).map(([key, v]) => [key, v.schema]))),
  ]),
) as unknown as { [G in SettingsGroup]: z.ZodMiniType<Settings[G]> };

/** Parses one group from an environment; throws a ConfigError naming every variable that is wrong. */
export function parseSettings<G extends SettingsGroup>(
  group: G,
  env: Record<string, string | undefined> = process.env,
): Settings[G] {
  const result = schemas[group].safeParse(env);
  if (!result.success) throw failure(result.error.issues);
  return result.data;
}

/** Groups read on every call instead of once per runtime (a budget a test changes between invocations). */
const READ_EVERY_TIME: readonly SettingsGroup[] = ['validation'];

/** This process's settings by group, parsed from `process.env` on first use (see shared/runtime.ts). */
export const settings = Object.fromEntries(
  (Object.keys(groups) as SettingsGroup[]).map((group) => {
    const read = () =>
      READ_EVERY_TIME.includes(group) ? parseSettings(group) : perRuntime(read, () => parseSettings(group));
    return [group, read];
  }),
) as { readonly [G in SettingsGroup]: () => Settings[G] };

/**
 * The environment block holding these values: each written as its variable's text and checked by
 * parsing it back, so a bad value fails where it is set, naming the variable. `isUnresolved` names the
 * values that cannot be checked yet (CDK tokens, whose value only CloudFormation knows).
 */
export function environmentFor(
  values: EnvironmentValues,
  options: { isUnresolved?: (text: string) => boolean } = {},
): Record<string, string> {
  const environment: Record<string, string> = {};
  const issues: z.core.$ZodIssue[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const declared = variables[key as VariableName];
    if (!declared) throw new ConfigError(`Invalid configuration: ${key}: not a declared setting`);
    const text = declared.encode(value);
    if (!options.isUnresolved?.(text)) {
      const parsed = declared.schema.safeParse(text);
      if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ ...i, path: [key, ...i.path] })));
    }
    environment[key] = text;
  }
  if (issues.length > 0) throw failure(issues);
  return environment;
}
