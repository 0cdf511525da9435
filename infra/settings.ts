/**
 * Deployment settings, read from CDK context (`cdk deploy -c key=value` or cdk.json) and validated once
 * with clear messages, so a typo fails `cdk synth` instead of a deployed stack. Values given with `-c`
 * arrive as strings; lists are comma-separated, `serviceCatalog` is JSON.
 */
import { z } from 'zod';
import { resolveServiceCatalog } from '#shared/catalog/service-catalog';
import { DEFAULT_MAX_UPLOAD_BYTES, S3_MAX_OBJECT_BYTES, TIB } from '#shared/uploads/s3-limits';

const list = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter(Boolean),
  );
const int = z.coerce.number().int();
/** `true`/`false`: a boolean in cdk.json, text with `-c`. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], {
  error: 'must be true or false',
});
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });
/** A comma list of https URLs: http://localhost redirects come only from cognitoLocalhostPort. */
const httpsUrlList = list.pipe(
  z.array(
    z.url({
      protocol: /^https$/,
      error: 'must be https:// URLs (for http://localhost set cognitoLocalhostPort)',
    }),
  ),
);
/** A JSON object: given as text with `-c`, or as an object in cdk.json. */
const jsonObject = z
  .unknown()
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})` });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.unknown(), { error: 'must be a JSON object keyed by service id' }));
/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const settingsShape = z.object({
  /** Name of the CloudFormation stack (and prefix of the state machine's name). Default `ImputationGateway`. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/, 'letters, digits and dashes, starting with a letter')
    .default('ImputationGateway'),
  /**
   * Browser origins allowed to call the API and to PUT/GET the presigned URLs (comma list, e.g.
   * `https://imputation.example.org`). Default none: no CORS preflight, no CORS on the buckets.
   */
  corsAllowedOrigins: list.default([]),
  /** `cognito` (default: a user pool created by the stack) or `oidc` (bring your own issuer). */
  authMode: z.enum(['cognito', 'oidc']).default('cognito'),
  /** OIDC issuer URL, the tokens' exact `iss` (https). Required with authMode=oidc. */
  oidcIssuer: httpsUrl.optional(),
  /** Accepted `aud` claim(s), comma list. Required with authMode=oidc. */
  oidcAudience: list.optional(),
  /** JWKS URI (https). Default `<oidcIssuer>/.well-known/jwks.json`; Keycloak needs `…/protocol/openid-connect/certs`. */
  oidcJwksUri: httpsUrl.optional(),
  /** Claim holding the username (authMode=oidc). Default `preferred_username`. */
  oidcUsernameClaim: z.string().min(1).default('preferred_username'),
  /** Claim holding the caller's groups (authMode=oidc). Default `groups`. */
  oidcGroupsClaim: z.string().min(1).default('groups'),
  /**
   * Prefix of the user pool's hosted-UI domain, `https://<prefix>.auth.<region>.amazoncognito.com`
   * (authMode=cognito). Unique across all AWS accounts in the region, so there is no default; without it the
   * web console cannot sign in (synth warns).
   */
  cognitoDomainPrefix: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      'lowercase letters, digits and hyphens, 1–63 characters, not starting or ending with a hyphen',
    )
    .refine((prefix) => !/aws|amazon|cognito/.test(prefix), {
      message: 'may not contain "aws", "amazon" or "cognito" (Cognito reserves them)',
    })
    .optional(),
  /** Further redirect URLs (https) of the Cognito app client after sign-in (comma list). Default none. */
  cognitoCallbackUrls: httpsUrlList.default([]),
  /** Further redirect URLs (https) of the Cognito app client after sign-out (comma list). Default none. */
  cognitoLogoutUrls: httpsUrlList.default([]),
  /**
   * A console on a developer's machine signing in to this stack's user pool: adds
   * `http://localhost:<port>/callback` and `http://localhost:<port>/` to the app client's redirect URLs.
   * Default: none, so the deployed client accepts no http://localhost redirect unless asked for.
   */
  cognitoLocalhostPort: int.min(1).max(65_535).optional(),
  /**
   * Deploy the web console (private bucket + CloudFront, config.json, its origin in CORS and the Cognito
   * client's redirect URLs). Default `true`; `false` for an API-only deployment.
   */
  console: flag.default(true),
  /** The built console that is deployed (`npm run build:web` writes it), relative to the repository. Default `web/dist`. */
  consoleDir: z.string().min(1).default('web/dist'),
  /**
   * The console's public client id at the OIDC issuer (authMode=oidc with the console): the stack cannot
   * register a client at a foreign issuer. Must be one of oidcAudience, since the API checks the `aud` of
   * the console's ID tokens, which is this id.
   */
  consoleClientId: z.string().min(1).optional(),
  /** Days after which uploaded inputs (objects and their records) are deleted. Default 14. */
  inputExpiryDays: int.positive().default(14),
  /** Days after which copied results are deleted. Default: unset, results are kept. */
  resultExpiryDays: int.positive().optional(),
  /**
   * Largest accepted upload in bytes. Default 100 GiB: inputs reach tens of GB at the services, and
   * uploads above 64 MiB go multipart (resumable part URLs), so the 5 GiB of one PUT no longer bounds them.
   * At most S3's 5 TiB object limit (10,000 parts; the part size grows to fit): shared/uploads/s3-limits.ts.
   */
  maxUploadBytes: int.positive().max(S3_MAX_OBJECT_BYTES).default(DEFAULT_MAX_UPLOAD_BYTES),
  /**
   * Overrides of the service catalog, a JSON object keyed by service id: a partial entry changes a known
   * service, a full one adds a service, `null` removes one (see shared/catalog/service-catalog.ts).
   * Default `{}`: Michigan, TOPMed and H3Africa/AfriGen-D as shipped.
   */
  serviceCatalog: jsonObject.default({}),
  /** Stage-wide steady-state limit of the API, requests per second. Default 50. */
  throttleRateLimit: int.positive().default(50),
  /** Stage-wide burst limit of the API, requests. Default 100. */
  throttleBurstLimit: int.positive().default(100),
  /** Jobs one user may have active (not ended) at once; more are refused with 429. Default 20. */
  maxActiveJobsPerUser: int.positive().default(20),
  /** Uploads one user may have announced and not yet completed; more are refused with 429. Default 50. */
  maxPendingUploadsPerUser: int.positive().default(50),
  /** Bytes of uploads one user may hold until they expire or are abandoned. Default 2 TiB. */
  maxStoredBytesPerUser: int.positive().default(2 * TIB),
  /** Invocations (~14 min each) the check of one input file may take before the file is refused. Default 24. */
  validationMaxInvocations: int.positive().default(24),
  /** Decompressed bytes the check of one input file may read before the file is refused. Default 8 TiB. */
  validationMaxDecompressedBytes: int.positive().default(8 * TIB),
  /**
   * Reserved concurrency of each workflow function (infra/constructs/workflow.ts): the workflow never
   * takes more of the account's Lambda concurrency, so the API keeps the rest. Default 20; `0` leaves them
   * unreserved (accounts whose concurrency limit is too low to reserve any: AWS keeps 100 unreserved).
   */
  workflowConcurrency: int.nonnegative().default(20),
  /**
   * Requests one caller (one bearer token) may send per minute before the API answers 429, besides the
   * stage-wide throttle (infra/constructs/caller-throttle.ts, an AWS WAF rate-based rule). Default 300;
   * `0` deploys no web ACL (it costs about $6 a month while idle).
   */
  callerRateLimit: int
    .refine((n) => n === 0 || n >= 10, { message: 'must be 0 (off) or at least 10' })
    .default(300),
  /** Retention in days of the function, API access and workflow logs (a value CloudWatch accepts). Default 30. */
  logRetentionDays: int
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(30),
  /**
   * `retain` (default) keeps the table, buckets, keys, user pool and logs when the stack is deleted and
   * turns on the table's deletion protection; `destroy` is for development stacks.
   */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /** Secrets Manager name prefix of the per-user token secrets (`<prefix>/users/…`). Default `imputation-gateway`. */
  secretsPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_+=.@-]+$/, 'letters, digits and _+=.@- only (no slash)')
    .default('imputation-gateway'),
  /** E-mail address subscribed to the alarm topic. Default: none (subscribe to the AlarmTopicArn output). */
  alarmEmail: z.email().optional(),
});

export const settingsSchema = settingsShape
  .superRefine((settings, ctx) => {
    if (settings.authMode === 'oidc' && !settings.oidcIssuer) {
      ctx.addIssue({ code: 'custom', path: ['oidcIssuer'], message: 'authMode=oidc needs oidcIssuer' });
    }
    if (settings.authMode === 'oidc' && !settings.oidcAudience?.length) {
      ctx.addIssue({ code: 'custom', path: ['oidcAudience'], message: 'authMode=oidc needs oidcAudience' });
    }
    if (settings.authMode === 'oidc' && settings.console && !settings.consoleClientId) {
      ctx.addIssue({
        code: 'custom',
        path: ['consoleClientId'],
        message:
          "authMode=oidc with the console needs consoleClientId (the console's public client at the issuer), or console=false",
      });
    }
    if (
      settings.consoleClientId &&
      settings.oidcAudience &&
      !settings.oidcAudience.includes(settings.consoleClientId)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['consoleClientId'],
        message: "must be one of oidcAudience: the API checks the console's ID tokens, whose aud is this id",
      });
    }
    if (settings.authMode === 'cognito' && settings.consoleClientId) {
      ctx.addIssue({
        code: 'custom',
        path: ['consoleClientId'],
        message: "only with authMode=oidc (with Cognito the console uses the stack's own app client)",
      });
    }
    if (settings.authMode === 'oidc' && settings.cognitoLocalhostPort !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cognitoLocalhostPort'],
        message: 'only with authMode=cognito (with authMode=oidc register redirect URLs at your issuer)',
      });
    }
    if (settings.authMode === 'oidc' && settings.cognitoDomainPrefix) {
      ctx.addIssue({
        code: 'custom',
        path: ['cognitoDomainPrefix'],
        message: 'only with authMode=cognito (there is no user pool with authMode=oidc)',
      });
    }
    if (settings.throttleBurstLimit < settings.throttleRateLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['throttleBurstLimit'],
        message: 'must be at least throttleRateLimit',
      });
    }
  })
  .transform((settings, ctx) => {
    try {
      return { ...settings, resolvedCatalog: resolveServiceCatalog(settings.serviceCatalog) };
    } catch (error) {
      const detail =
        error instanceof z.core.$ZodError
          ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
          : (error as Error).message;
      ctx.addIssue({ code: 'custom', path: ['serviceCatalog'], message: detail });
      return z.NEVER;
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

export const SETTING_KEYS = Object.keys(settingsShape.shape) as (keyof z.input<typeof settingsShape>)[];

/** Reads settings from a node's context (`tryGetContext`), e.g. the App; throws one error naming every problem. */
export function readSettings(getContext: (key: string) => unknown): Settings {
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = getContext(key);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`);
    throw new Error(`Invalid deployment settings (CDK context): ${problems.join('; ')}`);
  }
  return parsed.data;
}
