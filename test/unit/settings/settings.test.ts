/**
 * The settings contract (shared/settings.ts): every variable the code reads is declared there and ours
 * are read only through it; each declared variable is written and read back as the same value; a group
 * without its variables that have no default fails naming them; and the runtime keeps what it built
 * until it is reset (shared/runtime.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { perRuntime, resetRuntime } from '#shared/runtime';
import {
  ConfigError,
  type EnvironmentValues,
  environmentFor,
  parseSettings,
  type SettingsGroup,
  settings,
  type VariableName,
  variables,
  variablesOf,
} from '#shared/settings';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const code = ['shared', 'functions']
  .flatMap(sources)
  .filter((file) => file !== join('shared', 'settings.ts'))
  .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const groups = Object.keys(settings) as SettingsGroup[];
const ours = new Set<string>(groups.flatMap((group) => variablesOf(group)));
const external = new Set<string>(variablesOf('external'));

const { jwks } = createTokenIssuer({ issuer: 'https://idp.example.org', audience: 'gateway' });

/** A value for every declared variable (a variable added without one here does not compile). */
const samples: Required<EnvironmentValues> = {
  TABLE_NAME: 'gateway-table',
  EVENT_BUS_NAME: 'gateway-events',
  AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4010',
  INPUTS_BUCKET: 'gateway-inputs',
  MAX_UPLOAD_BYTES: 1024 ** 3,
  UPLOAD_MULTIPART_THRESHOLD_BYTES: 100 * 1024 ** 2,
  UPLOAD_PART_SIZE_BYTES: 16 * 1024 ** 2,
  UPLOAD_URL_TTL_SECONDS: 600,
  INPUT_EXPIRY_DAYS: 7,
  RESULTS_BUCKET: 'gateway-results',
  DOWNLOAD_URL_TTL_SECONDS: 300,
  OUTBOUND_ALLOW_LOOPBACK: true,
  MAX_RESULT_FILES: 200,
  MAX_RESULT_FILE_BYTES: 50 * 1024 ** 3,
  SECRETS_PREFIX: 'gateway/prod',
  SECRETS_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/abc',
  RESULT_PASSWORD_KEY_SECRET_ID: 'gateway/result-password-key',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:gateway-imputation-job',
  SERVICE_CATALOG: [
    {
      id: 'michigan',
      name: 'Michigan',
      baseUrl: 'https://imputationserver.sph.umich.edu',
      appId: 'imputationserver2',
      location: 'USA',
      notes: '',
      maxConcurrentJobs: 2,
      enabled: true,
    },
  ],
  POLL_INITIAL_SECONDS: 20,
  POLL_MAX_SECONDS: 600,
  SLOT_WAIT_INITIAL_SECONDS: 30,
  SLOT_WAIT_MAX_SECONDS: 900,
  WORKFLOW_TIME_SCALE: 2.5,
  QUEUE_DEADLINE_HOURS: 240,
  CANCEL_RETRY_HOURS: 336,
  WATCH_BUDGET_MS: 45_000,
  WATCH_CONCURRENCY: 8,
  SERVICE_OUTAGE_LIMIT_HOURS: 336,
  NOT_FOUND_CONFIRM_SECONDS: 600,
  VALIDATION_BUDGET_MS: 0,
  VALIDATION_MAX_INVOCATIONS: 12,
  VALIDATION_MAX_DECOMPRESSED_BYTES: 1024 ** 4,
  MAX_ACTIVE_JOBS_PER_USER: 5,
  MAX_PENDING_UPLOADS_PER_USER: 10,
  MAX_STORED_BYTES_PER_USER: 1024 ** 3,
  CORS_ALLOWED_ORIGINS: ['https://ui.example.org', 'https://admin.example.org'],
  AWS_S3_FORCE_PATH_STYLE: true,
  AUTH_MODE: 'oidc',
  COGNITO_USER_POOL_ID: 'eu-west-1_Abc123',
  COGNITO_CLIENT_ID: ['web', 'cli'],
  COGNITO_TOKEN_USE: 'access',
  OIDC_ISSUER: 'https://idp.example.org/realms/research',
  OIDC_AUDIENCE: ['gateway'],
  OIDC_JWKS_URI: 'https://idp.example.org/realms/research/certs',
  OIDC_USERNAME_CLAIM: 'email',
  OIDC_GROUPS_CLAIM: 'roles',
  OIDC_TOKEN_USE: 'access',
  OIDC_JWKS_JSON: jwks,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:8001',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:8002',
  AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:8003',
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_SUPPORTED',
  POWERTOOLS_SERVICE_NAME: 'gateway',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  POWERTOOLS_DEV: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  NODE_OPTIONS: '--enable-source-maps',
};

const pick = (names: readonly string[], from: Record<string, unknown>) =>
  Object.fromEntries(names.map((key) => [key, from[key]]));

describe('the settings module names every variable', () => {
  it('declares each variable the code reads from process.env; only settings.ts reads ours', () => {
    const reads = code.flatMap(({ file, text }) =>
      [...text.matchAll(/process\.env(?:\.(\w+)|\[['"](\w+)['"]\])?/g)].map((m) => ({
        file,
        name: m[1] ?? m[2] ?? '(the whole environment)',
      })),
    );
    expect(reads.filter((read) => !external.has(read.name))).toEqual([]);
    expect(reads.length).toBeGreaterThan(0); // shared/logger.ts reads POWERTOOLS_SERVICE_NAME
  });

  it('has no variable or group the code never reads', () => {
    const unread = [...ours].filter(
      (name) => !code.some(({ text }) => new RegExp(`\\b${name}\\b`).test(text)),
    );
    expect(unread).toEqual([]);
    const readGroups = new Set(
      code.flatMap(({ text }) => [...text.matchAll(/\bsettings\.(\w+)\b/g)].map((m) => m[1])),
    );
    expect(groups.filter((group) => !readGroups.has(group))).toEqual([]);
  });

  it('reads back every value as it was written', () => {
    const env = environmentFor(samples);
    for (const group of groups.filter((g) => g !== 'auth')) {
      expect(parseSettings(group, env), group).toEqual(pick(variablesOf(group), samples));
    }
    const oidc = variablesOf('auth').filter((name) => !name.startsWith('COGNITO_'));
    expect(parseSettings('auth', env)).toEqual(pick(oidc, samples));
    const cognito = [
      'AUTH_MODE',
      'OIDC_JWKS_JSON',
      ...variablesOf('auth').filter((n) => n.startsWith('COGNITO_')),
    ];
    expect(parseSettings('auth', { ...env, AUTH_MODE: 'cognito' })).toEqual({
      ...pick(cognito, samples),
      AUTH_MODE: 'cognito',
    });
    for (const name of external) {
      expect(variables[name as VariableName].schema.parse(env[name]), name).toEqual(
        samples[name as VariableName],
      );
    }
  });

  it('fails a group without its variables that have no default, naming each of them', () => {
    const required: Record<SettingsGroup, string[]> = {
      table: ['TABLE_NAME'],
      uploads: ['INPUTS_BUCKET'],
      results: ['RESULTS_BUCKET'],
      outbound: [],
      resultLimits: [],
      secrets: [],
      resultPassword: ['RESULT_PASSWORD_KEY_SECRET_ID'],
      stateMachine: ['STATE_MACHINE_ARN'],
      catalog: [],
      backoff: [],
      watcher: [],
      events: ['EVENT_BUS_NAME'],
      validation: [],
      quotas: [],
      cors: [],
      s3: [],
      auth: ['AUTH_MODE'],
    };
    for (const group of groups) {
      let named: string[] = [];
      try {
        parseSettings(group, {});
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        named = [...(error as Error).message.matchAll(/(?:: |; )([A-Z0-9_]+):/g)].map((m) => m[1]!);
      }
      expect(named, group).toEqual(required[group]);
    }
  });

  it('writes no undeclared variable and no value the functions would refuse, naming the variable', () => {
    expect(() => environmentFor({ TABLE_NAMES: 'x' } as EnvironmentValues)).toThrow(
      'Invalid configuration: TABLE_NAMES: not a declared setting',
    );
    expect(() => environmentFor({ UPLOAD_URL_TTL_SECONDS: 5, OIDC_ISSUER: 'idp' })).toThrow(
      /^Invalid configuration: UPLOAD_URL_TTL_SECONDS: .*; OIDC_ISSUER: Invalid URL$/,
    );
    // A deploy-time value (a CDK token) cannot be checked yet, and is written as it is.
    const token = '<a token CloudFormation resolves>';
    expect(
      environmentFor({ COGNITO_USER_POOL_ID: token }, { isUnresolved: (text) => text === token }),
    ).toEqual({ COGNITO_USER_POOL_ID: token });
    expect(() => environmentFor({ COGNITO_USER_POOL_ID: token })).toThrow(
      /COGNITO_USER_POOL_ID: not a user pool id/,
    );
  });
});

describe('the runtime', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetRuntime();
  });

  it('parses a group once, and again after a reset', () => {
    vi.stubEnv('TABLE_NAME', 'first');
    resetRuntime();
    expect(settings.table().TABLE_NAME).toBe('first');
    vi.stubEnv('TABLE_NAME', 'second');
    expect(settings.table().TABLE_NAME).toBe('first');
    resetRuntime();
    expect(settings.table().TABLE_NAME).toBe('second');
  });

  it('keeps nothing of a failed read, so the next one sees the fixed environment', () => {
    vi.stubEnv('STATE_MACHINE_ARN', '');
    resetRuntime();
    expect(() => settings.stateMachine()).toThrow(/Invalid configuration: STATE_MACHINE_ARN/);
    vi.stubEnv('STATE_MACHINE_ARN', samples.STATE_MACHINE_ARN);
    expect(settings.stateMachine().STATE_MACHINE_ARN).toBe(samples.STATE_MACHINE_ARN);
  });

  it('reads the validation budget on every call', () => {
    vi.stubEnv('VALIDATION_BUDGET_MS', '10');
    expect(settings.validation().VALIDATION_BUDGET_MS).toBe(10);
    vi.stubEnv('VALIDATION_BUDGET_MS', '20');
    expect(settings.validation().VALIDATION_BUDGET_MS).toBe(20);
  });

  it('builds a value once per runtime and disposes of it on reset', () => {
    const disposed: number[] = [];
    let built = 0;
    const value = (): number =>
      perRuntime(
        value,
        () => ++built,
        (n) => disposed.push(n),
      );
    expect([value(), value()]).toEqual([1, 1]);
    resetRuntime();
    expect(disposed).toEqual([1]);
    expect(value()).toBe(2);
  });
});
