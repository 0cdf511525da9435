/**
 * Deployment settings, read from CDK context (`cdk deploy -c key=value` or cdk.json) and validated once
 * with clear messages, so a typo fails `cdk synth` instead of a deployed stack.
 */
import { z } from 'zod';
import { resolveServiceCatalog } from '#shared/catalog/service-catalog';

const list = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter(Boolean),
  );
const int = z.coerce.number().int();
const json = z.union([
  z.string().transform((text) => JSON.parse(text) as unknown),
  z.record(z.string(), z.unknown()),
]);

const settingsShape = z.object({
  /** Name of the CloudFormation stack. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)
    .default('ImputationGateway'),
  /** Browser origins allowed to call the API and to PUT/GET presigned URLs (comma list); none by default. */
  corsAllowedOrigins: list.default([]),
  /** `cognito` (a user pool created by the stack) or `oidc` (bring your own issuer). */
  authMode: z.enum(['cognito', 'oidc']).default('cognito'),
  /** OIDC issuer URL (authMode=oidc). */
  oidcIssuer: z.url().optional(),
  /** Expected `aud` claim(s), comma list (authMode=oidc). */
  oidcAudience: list.optional(),
  /** JWKS URI; default `<issuer>/.well-known/jwks.json`. */
  oidcJwksUri: z.url().optional(),
  /** Claim holding the username (authMode=oidc). */
  oidcUsernameClaim: z.string().default('preferred_username'),
  /** Claim holding the groups (authMode=oidc). */
  oidcGroupsClaim: z.string().default('groups'),
  /** Cognito app client callback and logout URLs (comma lists). */
  cognitoCallbackUrls: list.default(['http://localhost:5173/']),
  cognitoLogoutUrls: list.default(['http://localhost:5173/']),
  /** Days after which uploaded inputs (objects and records) expire. */
  inputExpiryDays: int.positive().default(14),
  /** Days after which copied results expire; unset keeps them. */
  resultExpiryDays: int.positive().optional(),
  /** Largest accepted upload in bytes (S3 single PUT limit: 5 GiB). */
  maxUploadBytes: int
    .positive()
    .max(5 * 1024 ** 3)
    .default(5 * 1024 ** 3),
  /** Overrides of the service catalog, JSON keyed by service id (see shared/catalog/service-catalog.ts). */
  serviceCatalog: json.default({}),
  /** API stage throttling. */
  throttleRateLimit: int.positive().default(50),
  throttleBurstLimit: int.positive().default(100),
  /** Retention of Lambda, API access and workflow logs. */
  logRetentionDays: int.positive().default(30),
  /** `retain` (default) keeps table, buckets and key on stack deletion; `destroy` is for development stacks. */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /** Name prefix of the per-user token secrets. */
  secretsPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_+=.@-]+$/)
    .default('imputation-gateway'),
  /** E-mail address for alarm notifications (optional). */
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
  })
  .transform((settings) => ({
    ...settings,
    resolvedCatalog: resolveServiceCatalog(settings.serviceCatalog),
  }));

export type Settings = z.infer<typeof settingsSchema>;

export const SETTING_KEYS = Object.keys(settingsShape.shape) as (keyof Settings)[];

/** Reads settings from a node's context (`tryGetContext`), e.g. the App. */
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
