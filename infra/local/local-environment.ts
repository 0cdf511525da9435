/**
 * The environment of the functions the local stack runs, written with the settings module
 * (shared/settings.ts) like the CDK stack writes each function's: the AWS SDK pointed at the emulators,
 * the local table, buckets, secrets and state machine, the simulator in the catalog, the local OIDC
 * provider (identity-provider/) as the issuer, and the console's origin as the one CORS origin, as deployed.
 * One process serves every function, so it gets the union of their settings.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, ResourceExistsException } from '@aws-sdk/client-secrets-manager';
import { createTokenIssuer, type TokenIssuer } from '#infra/local/token-issuer';
import { secretsManagerClient } from '#shared/aws/clients';
import { resolveServiceCatalog, type ServiceDefinition } from '#shared/catalog/service-catalog';
import type { EnvironmentValues } from '#shared/settings';
import { localCredentials } from './emulators/dynamodb';
import { type LocalSettings, readLocalSettings } from './local-settings';

/** The console's client id at the local OIDC provider: the `aud` of its ID tokens, which the API accepts. */
export const LOCAL_AUDIENCE = 'imputation-gateway-local';

/** The local OIDC provider's URL on a port; it is also its issuer, the tokens' `iss`. */
export const identityProviderUrl = (port: number) => `http://127.0.0.1:${port}`;
/** The issuer on the default IDP_PORT (3002). */
export const LOCAL_ISSUER = identityProviderUrl(readLocalSettings({}).IDP_PORT);

/** The names of the local stack's table, buckets and secrets. */
export const LOCAL_RESOURCES = {
  table: 'imputation-gateway-local',
  inputsBucket: 'imputation-inputs',
  resultsBucket: 'imputation-results',
  secretsPrefix: 'imputation-gateway-local',
  passwordKey: 'imputation-gateway-local/result-password-key',
  eventBus: 'imputation-gateway-local',
} as const;

/** Emulator URLs by service; an SDK client of a service left out keeps its default endpoint. */
export interface EmulatorEndpoints {
  dynamodb?: string;
  s3?: string;
  secretsManager?: string;
  stepFunctions?: string;
  eventBridge?: string;
}

/** The AWS SDK settings that send its calls to the emulators (local region and fake credentials). */
export function emulatorSdkSettings(endpoints: EmulatorEndpoints): EnvironmentValues {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
    AWS_S3_FORCE_PATH_STYLE: endpoints.s3 ? true : undefined,
  };
}

/** The settings of every function of the local stack. */
export function localFunctionSettings(options: {
  settings: LocalSettings;
  endpoints: Required<EmulatorEndpoints>;
  stateMachineArn: string;
  issuer: TokenIssuer;
  catalog: ServiceDefinition[];
  /** The web console's origin: the only browser origin the API answers with CORS headers. */
  consoleOrigin: string;
}): EnvironmentValues {
  const { settings, issuer } = options;
  return {
    ...emulatorSdkSettings(options.endpoints),
    // The emulated S3 knows none of the newer default checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    TABLE_NAME: LOCAL_RESOURCES.table,
    INPUTS_BUCKET: LOCAL_RESOURCES.inputsBucket,
    RESULTS_BUCKET: LOCAL_RESOURCES.resultsBucket,
    SECRETS_PREFIX: LOCAL_RESOURCES.secretsPrefix,
    RESULT_PASSWORD_KEY_SECRET_ID: LOCAL_RESOURCES.passwordKey,
    STATE_MACHINE_ARN: options.stateMachineArn,
    EVENT_BUS_NAME: LOCAL_RESOURCES.eventBus,
    WORKFLOW_TIME_SCALE: settings.WORKFLOW_TIME_SCALE,
    SERVICE_CATALOG: options.catalog,
    // The simulators are on 127.0.0.1, plain http: allowed here, never in AWS.
    OUTBOUND_ALLOW_LOOPBACK: true,
    CORS_ALLOWED_ORIGINS: [options.consoleOrigin],
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: [LOCAL_AUDIENCE],
    // Where the provider serves its keys; never fetched (plain http), the same keys are given inline.
    OIDC_JWKS_URI: `${issuer.issuer}/jwks`,
    OIDC_JWKS_JSON: issuer.jwks,
    POWERTOOLS_SERVICE_NAME: 'imputation-gateway-local',
    POWERTOOLS_LOG_LEVEL: settings.POWERTOOLS_LOG_LEVEL,
    // No CloudWatch here to read them: EMF lines would only crowd the log.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/** The services the local stack simulates, each by a simulator of its own preset (its panels, limits). */
export const SIMULATED_SERVICES = ['michigan', 'topmed', 'h3africa'] as const;
export type SimulatedService = (typeof SIMULATED_SERVICES)[number];

/**
 * The catalog with each service served by its own simulator, unless LOCAL_SERVICES(_FILE) says otherwise.
 */
export function localCatalog(
  settings: LocalSettings,
  simulatorUrls: Record<SimulatedService, string>,
): ServiceDefinition[] {
  const overrides: Record<string, unknown> = {};
  for (const id of SIMULATED_SERVICES)
    overrides[id] = { baseUrl: simulatorUrls[id], notes: 'Local: served by the Cloudgene simulator' };
  const fromFile = settings.LOCAL_SERVICES_FILE
    ? JSON.parse(readFileSync(settings.LOCAL_SERVICES_FILE, 'utf8'))
    : {};
  const fromEnv = settings.LOCAL_SERVICES ? JSON.parse(settings.LOCAL_SERVICES) : {};
  for (const [id, override] of Object.entries({ ...fromFile, ...fromEnv })) {
    overrides[id] =
      override === null ? null : { ...(overrides[id] as object | undefined), ...(override as object) };
  }
  // The simulators are plain http on 127.0.0.1: allowed here, and only here.
  return resolveServiceCatalog(overrides, { allowLoopback: true });
}

/** Where everything of a running local stack is: `<data>/endpoints.json`, written once it is up. */
export interface LocalEndpoints {
  console: string;
  api: string;
  identityProvider: string;
  /** Michigan's simulator (the one scripts and tests drive by default). */
  simulator: string;
  /** Each simulated service's simulator. */
  simulators: Record<SimulatedService, string>;
  dynamodb: string;
  s3: string;
  secretsManager: string;
  stepFunctions: string;
  /** The EventBridge emulator; what it received is in `<data>/events.jsonl`. */
  eventBridge: string;
}

/** The endpoints of the stack that last ran with this data folder, if any. */
export function readLocalEndpoints(dataDir: string): Partial<LocalEndpoints> | undefined {
  const file = join(dataDir, 'endpoints.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalEndpoints>) : undefined;
}

/**
 * The signing key of the local OIDC provider, loaded (or created once) from `<data>/issuer.json`, so tokens
 * stay valid across restarts. The issuer is the provider's URL, which depends on IDP_PORT: by default that
 * of the stack that last ran with this data folder (endpoints.json), else the default port's.
 */
export function localIssuer(
  dataDir: string,
  issuerUrl: string = readLocalEndpoints(dataDir)?.identityProvider ?? LOCAL_ISSUER,
): TokenIssuer {
  const file = join(dataDir, 'issuer.json');
  const saved = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { privateKeyPem: string })
    : undefined;
  const issuer = createTokenIssuer({
    issuer: issuerUrl,
    audience: LOCAL_AUDIENCE,
    privateKeyPem: saved?.privateKeyPem,
  });
  if (!saved) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ privateKeyPem: issuer.privateKeyPem }), { mode: 0o600 });
  }
  return issuer;
}

/** Creates the result password key once (a restart keeps it, so passwords stay the same). */
export async function ensurePasswordKey(secrets = secretsManagerClient()): Promise<void> {
  try {
    await secrets.send(
      new CreateSecretCommand({
        Name: LOCAL_RESOURCES.passwordKey,
        SecretString: randomBytes(48).toString('base64url'),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
  }
}
