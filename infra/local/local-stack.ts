/**
 * The whole gateway on one machine: the same handlers, the same authorizer, the same ASL file and real
 * AWS SDK calls, pointed by AWS_ENDPOINT_URL_* at embedded emulators on 127.0.0.1 — dynalite, s3rver, our
 * Secrets Manager and Step Functions endpoints — plus a local token issuer and the Cloudgene simulator.
 * Data persists under one folder, so a restart keeps users' jobs, tokens and files; jobs that were running
 * are resumed. `npm start` runs it (infra/local/main.ts); the end-to-end tests start it the same way.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { createTokenIssuer, type TokenIssuer } from '#infra/local/token-issuer';
import { resolveServiceCatalog } from '#shared/catalog/service-catalog';
import { type LocalApiGateway, startLocalApiGateway } from './api-gateway';
import {
  type DynamoDbEmulator,
  ensureGatewayTable,
  localCredentials,
  startDynamoDbEmulator,
} from './emulators/dynamodb';
import { type S3Emulator, startS3Emulator } from './emulators/s3';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './emulators/secrets-manager';
import { type StepFunctionsEmulator, startStepFunctionsEmulator } from './emulators/step-functions';

export const LOCAL_AUDIENCE = 'imputation-gateway-local';
const TABLE = 'imputation-gateway-local';
const INPUTS = 'imputation-inputs';
const RESULTS = 'imputation-results';
const SECRETS_PREFIX = 'imputation-gateway-local';
const PASSWORD_KEY = `${SECRETS_PREFIX}/result-password-key`;

const optionalPort = z.coerce.number().int().min(0).max(65535).optional();

/** The local stack's settings, all from the environment (documented in the README). */
export const localSettingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOCAL_DATA_DIR: z.string().default('.local'),
  SIMULATOR_PORT: optionalPort,
  DYNAMODB_PORT: optionalPort,
  S3_PORT: optionalPort,
  SECRETS_MANAGER_PORT: optionalPort,
  STEP_FUNCTIONS_PORT: optionalPort,
  /** Divides every workflow wait (30 s poll → 1 s with the default 30). */
  WORKFLOW_TIME_SCALE: z.coerce.number().positive().default(30),
  /** Simulated job: `success`, `fail` or `manual`, and how long it queues, runs and exports (ms). */
  SIMULATOR_SCENARIO: z.enum(['success', 'fail', 'manual']).default('success'),
  SIMULATOR_QUEUE_MS: z.coerce.number().int().min(0).default(2000),
  SIMULATOR_RUN_MS: z.coerce.number().int().min(0).default(6000),
  SIMULATOR_EXPORT_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * Point catalog services elsewhere: JSON keyed by service id, e.g. {"topmed":{"baseUrl":"https://…"}}
   * (a real service or another simulator); `LOCAL_SERVICES_FILE` reads the same JSON from a file.
   */
  LOCAL_SERVICES: z.string().optional(),
  LOCAL_SERVICES_FILE: z.string().optional(),
});
export type LocalSettings = z.infer<typeof localSettingsSchema>;

export interface LocalStack {
  url: string;
  issuer: TokenIssuer;
  simulator: CloudgeneSimulator;
  settings: LocalSettings;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly variable: string,
  ) {
    super(
      `Port ${port} (${what}) is already in use: stop the other process, or set ${variable} to another port.`,
    );
  }
}

/** A fixed issuer name, independent of ports, so tokens minted by `npm run token` match any run. */
export const LOCAL_ISSUER = 'https://local-idp.imputation-gateway.invalid';

/** Loads (or creates once) the local issuer's key, so tokens stay valid across restarts. */
export function localIssuer(dataDir: string): TokenIssuer {
  const file = join(dataDir, 'issuer.json');
  const saved = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { privateKeyPem: string })
    : undefined;
  const issuer = createTokenIssuer({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    privateKeyPem: saved?.privateKeyPem,
  });
  if (!saved) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ privateKeyPem: issuer.privateKeyPem }), { mode: 0o600 });
  }
  return issuer;
}

async function ensureFree(port: number | undefined, what: string, variable: string) {
  if (!port) return;
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once('error', () => fail(new PortInUseError(port, what, variable)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok()));
  });
}

export async function startLocalStack(env: NodeJS.ProcessEnv = process.env): Promise<LocalStack> {
  const settings = localSettingsSchema.parse(env);
  const dataDir = resolve(settings.LOCAL_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  await ensureFree(settings.PORT, 'API', 'PORT');
  for (const [port, what, variable] of [
    [settings.SIMULATOR_PORT, 'simulator', 'SIMULATOR_PORT'],
    [settings.DYNAMODB_PORT, 'DynamoDB', 'DYNAMODB_PORT'],
    [settings.S3_PORT, 'S3', 'S3_PORT'],
    [settings.SECRETS_MANAGER_PORT, 'Secrets Manager', 'SECRETS_MANAGER_PORT'],
    [settings.STEP_FUNCTIONS_PORT, 'Step Functions', 'STEP_FUNCTIONS_PORT'],
  ] as const) {
    await ensureFree(port, what, variable);
  }

  const started: { close(): Promise<void> }[] = [];
  try {
    const simulator = await startCloudgeneSimulator({
      port: settings.SIMULATOR_PORT,
      stateFile: join(dataDir, 'simulator.json'),
      scenario: settings.SIMULATOR_SCENARIO,
      timing: {
        queueMs: settings.SIMULATOR_QUEUE_MS,
        runMs: settings.SIMULATOR_RUN_MS,
        exportMs: settings.SIMULATOR_EXPORT_MS,
      },
    });
    started.push(simulator);
    const dynamodb: DynamoDbEmulator = await startDynamoDbEmulator({
      port: settings.DYNAMODB_PORT,
      path: join(dataDir, 'dynamodb'),
    });
    started.push(dynamodb);
    await ensureGatewayTable(dynamodb.url, TABLE);
    const s3: S3Emulator = await startS3Emulator({
      port: settings.S3_PORT,
      directory: join(dataDir, 's3'),
      buckets: [INPUTS, RESULTS],
      corsOrigins: ['*'],
    });
    started.push(s3);
    const secrets: SecretsManagerEmulator = await startSecretsManagerEmulator({
      port: settings.SECRETS_MANAGER_PORT,
      persistFile: join(dataDir, 'secrets.json'),
    });
    started.push(secrets);
    const sfn: StepFunctionsEmulator = await startStepFunctionsEmulator({
      port: settings.STEP_FUNCTIONS_PORT,
    });
    started.push(sfn);

    // The API port must be known before the issuer (its URL is the issuer); 0 means "pick one".
    const apiPort = settings.PORT || (await freePort());
    const issuer = localIssuer(dataDir);
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      TABLE_NAME: TABLE,
      INPUTS_BUCKET: INPUTS,
      RESULTS_BUCKET: RESULTS,
      SECRETS_PREFIX,
      RESULT_PASSWORD_KEY_SECRET_ID: PASSWORD_KEY,
      STATE_MACHINE_ARN: sfn.stateMachineArn,
      WORKFLOW_TIME_SCALE: String(settings.WORKFLOW_TIME_SCALE),
      SERVICE_CATALOG: JSON.stringify(localCatalog(settings, simulator.url)),
      CORS_ALLOWED_ORIGINS: '*',
      AUTH_MODE: 'oidc',
      OIDC_ISSUER: issuer.issuer,
      OIDC_AUDIENCE: LOCAL_AUDIENCE,
      OIDC_JWKS_JSON: JSON.stringify(issuer.jwks),
      POWERTOOLS_SERVICE_NAME: 'imputation-gateway-local',
      POWERTOOLS_LOG_LEVEL: env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    await ensurePasswordKey();

    const health = async () => {
      const parts = await Promise.all([
        check('api', async () => true),
        check('dynamodb', async () => (await fetch(dynamodb.url, { method: 'POST' })).status < 500),
        check('s3', async () => (await fetch(`${s3.url}/${INPUTS}?max-keys=0`)).status < 500),
        check('secretsManager', async () => (await fetch(secrets.url, { method: 'POST' })).status === 400),
        check('stepFunctions', async () => (await fetch(sfn.url, { method: 'POST' })).status === 400),
        check('simulator', async () => (await fetch(`${simulator.url}/api/v2/server`)).ok),
      ]);
      const body = Object.fromEntries(parts);
      const ok = parts.every(([, state]) => state === 'up');
      return { status: ok ? 200 : 503, body: { status: ok ? 'up' : 'degraded', parts: body } };
    };

    const gateway: LocalApiGateway = await startLocalApiGateway({
      port: apiPort,
      corsOrigins: ['*'],
      publicRoutes: {
        'GET /health': health,
        'GET /local-idp/.well-known/jwks.json': async () => ({ status: 200, body: issuer.jwks }),
      },
    });
    started.push(gateway);
    await resumeUnfinishedJobs(sfn);
    // Where everything is, for scripts (npm run service-token) and tools that drive the local stack.
    writeFileSync(
      join(dataDir, 'endpoints.json'),
      JSON.stringify(
        {
          api: gateway.url,
          simulator: simulator.url,
          dynamodb: dynamodb.url,
          s3: s3.url,
          secretsManager: secrets.url,
          stepFunctions: sfn.url,
        },
        null,
        2,
      ),
    );

    return {
      url: gateway.url,
      issuer,
      simulator,
      settings,
      health,
      stop: async () => {
        for (const part of started.reverse()) await part.close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(
        Number((error as { port?: number }).port ?? 0),
        'a local service',
        'the matching *_PORT variable',
      );
    }
    throw error;
  }
}

function localCatalog(settings: LocalSettings, simulatorUrl: string) {
  const overrides: Record<string, unknown> = {};
  for (const id of ['michigan', 'topmed', 'h3africa'])
    overrides[id] = { baseUrl: simulatorUrl, notes: 'Local: served by the Cloudgene simulator' };
  const fromFile = settings.LOCAL_SERVICES_FILE
    ? JSON.parse(readFileSync(settings.LOCAL_SERVICES_FILE, 'utf8'))
    : {};
  const fromEnv = settings.LOCAL_SERVICES ? JSON.parse(settings.LOCAL_SERVICES) : {};
  for (const [id, override] of Object.entries({ ...fromFile, ...fromEnv })) {
    overrides[id] =
      override === null ? null : { ...(overrides[id] as object | undefined), ...(override as object) };
  }
  return resolveServiceCatalog(overrides);
}

async function ensurePasswordKey() {
  const { CreateSecretCommand, ResourceExistsException, SecretsManagerClient } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  const { randomBytes } = await import('node:crypto');
  try {
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: PASSWORD_KEY, SecretString: randomBytes(48).toString('base64url') }),
    );
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
  }
}

/**
 * Executions do not survive a restart of the local Step Functions endpoint; every job that had not
 * finished gets a new execution: from the start before submission, from the poll loop after it.
 */
async function resumeUnfinishedJobs(sfn: StepFunctionsEmulator) {
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dynamoDocumentClient } = await import('#shared/aws/clients');
  const { isTerminal } = await import('#shared/jobs/job-status');
  const { SFNClient, StartExecutionCommand } = await import('@aws-sdk/client-sfn');
  const client = new SFNClient({});
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDocumentClient().send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: 'entity = :job',
        ExpressionAttributeValues: { ':job': 'Job' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const job of page.Items ?? []) {
      if (isTerminal(job.status)) continue;
      const input = job.externalJobId
        ? { jobId: job.jobId, owner: job.owner, poll: { outcome: 'WAIT', waitSeconds: 1, pollCount: 0 } }
        : { jobId: job.jobId, owner: job.owner };
      await client.send(
        new StartExecutionCommand({
          stateMachineArn: sfn.stateMachineArn,
          name: `${job.jobId}--resumed-${Date.now()}`,
          input: JSON.stringify(input),
        }),
      );
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function check(name: string, probe: () => Promise<boolean>): Promise<[string, string]> {
  try {
    return [name, (await probe()) ? 'up' : 'down'];
  } catch {
    return [name, 'down'];
  }
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}
