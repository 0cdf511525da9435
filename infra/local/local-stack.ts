/**
 * The whole gateway on one machine: the same handlers, the same authorizer, the same ASL file and real
 * AWS SDK calls, pointed by AWS_ENDPOINT_URL_* at embedded emulators on 127.0.0.1 — dynalite, s3rver, our
 * Secrets Manager and Step Functions endpoints — plus a real OIDC provider (identity-provider/), the web
 * console on its own origin (console-server.ts) and the Cloudgene simulator. The console's origin is the
 * one CORS origin of the API and of the buckets, as deployed. Data persists under one folder, so a restart
 * keeps users' jobs, tokens and files; jobs that were running are resumed. `npm start` runs it
 * (infra/local/main.ts); the end-to-end tests start it the same way. Its settings and ports are in
 * local-settings.ts, the functions' environment in local-environment.ts, the resumption of unfinished
 * jobs in resume-jobs.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import type { TokenIssuer } from '#infra/local/token-issuer';
import { resetRuntime } from '#shared/runtime';
import { environmentFor } from '#shared/settings';
import type { ConsoleConfig } from '../console-headers';
import { type LocalApiGateway, startLocalApiGateway } from './api-gateway';
import { type ConsoleServer, startConsoleServer } from './console-server';
import { type DynamoDbEmulator, ensureGatewayTable, startDynamoDbEmulator } from './emulators/dynamodb';
import { type EventBridgeEmulator, startEventBridgeEmulator } from './emulators/event-bridge';
import { type S3Emulator, startS3Emulator } from './emulators/s3';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from './emulators/secrets-manager';
import { type StepFunctionsEmulator, startStepFunctionsEmulator } from './emulators/step-functions';
import { type IdentityProvider, startIdentityProvider } from './identity-provider/identity-provider';
import {
  ensurePasswordKey,
  identityProviderUrl,
  LOCAL_AUDIENCE,
  LOCAL_RESOURCES,
  type LocalEndpoints,
  localCatalog,
  localFunctionSettings,
  localIssuer,
  type SimulatedService,
} from './local-environment';
import { startLocalScheduler } from './local-scheduler';
import {
  ensurePortsFree,
  freePort,
  type LocalSettings,
  PortInUseError,
  readLocalSettings,
} from './local-settings';
import { resumeUnfinishedJobs } from './resume-jobs';

export { LOCAL_AUDIENCE, LOCAL_ISSUER, localIssuer } from './local-environment';
export { type LocalSettings, localSettingsSchema, PortInUseError } from './local-settings';

export interface LocalStack {
  /** The API. */
  url: string;
  /** The local OIDC provider's signing key and issuer (its URL): `tokenFor` mints tokens the API accepts. */
  issuer: TokenIssuer;
  identityProvider: IdentityProvider;
  console: ConsoleServer;
  /** Michigan's simulator. */
  simulator: CloudgeneSimulator;
  /** Each simulated service's simulator, on its own preset (panels, limits, redirects). */
  simulators: Record<SimulatedService, CloudgeneSimulator>;
  settings: LocalSettings;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startLocalStack(env: NodeJS.ProcessEnv = process.env): Promise<LocalStack> {
  const settings = readLocalSettings(env);
  const dataDir = resolve(settings.LOCAL_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  await ensurePortsFree(settings);
  // Ports that `0` leaves open are picked now: the console's origin, the API's and the issuer's URL are
  // written into the others (CORS, redirect URIs, config.json, the tokens' `iss`) before they start.
  const apiPort = settings.PORT || (await freePort());
  const consoleOrigin = `http://127.0.0.1:${settings.CONSOLE_PORT || (await freePort())}`;
  const issuer = localIssuer(dataDir, identityProviderUrl(settings.IDP_PORT || (await freePort())));

  const started: { close(): Promise<void> }[] = [];
  // One simulator per service, on that service's preset; Michigan's keeps the state file of old.
  const startSimulator = async (service: SimulatedService, port: number | undefined, stateFile: string) => {
    const simulator = await startCloudgeneSimulator({
      preset: service,
      port,
      stateFile: join(dataDir, stateFile),
      scenario: settings.SIMULATOR_SCENARIO,
      timing: {
        queueMs: settings.SIMULATOR_QUEUE_MS,
        runMs: settings.SIMULATOR_RUN_MS,
        exportMs: settings.SIMULATOR_EXPORT_MS,
      },
    });
    started.push(simulator);
    return simulator;
  };
  try {
    const simulators = {
      michigan: await startSimulator('michigan', settings.SIMULATOR_PORT, 'simulator.json'),
      topmed: await startSimulator('topmed', settings.SIMULATOR_TOPMED_PORT, 'simulator-topmed.json'),
      h3africa: await startSimulator('h3africa', settings.SIMULATOR_H3AFRICA_PORT, 'simulator-h3africa.json'),
    };
    const simulator = simulators.michigan;
    const simulatorUrls = {
      michigan: simulators.michigan.url,
      topmed: simulators.topmed.url,
      h3africa: simulators.h3africa.url,
    };
    const dynamodb: DynamoDbEmulator = await startDynamoDbEmulator({
      port: settings.DYNAMODB_PORT,
      path: join(dataDir, 'dynamodb'),
    });
    started.push(dynamodb);
    await ensureGatewayTable(dynamodb.url, LOCAL_RESOURCES.table);
    const s3: S3Emulator = await startS3Emulator({
      port: settings.S3_PORT,
      directory: join(dataDir, 's3'),
      buckets: [LOCAL_RESOURCES.inputsBucket, LOCAL_RESOURCES.resultsBucket],
      corsOrigins: [consoleOrigin],
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
    // The bus: what the watcher's publisher sends (shared/events/) is appended to <data>/events.jsonl.
    const eventBridge: EventBridgeEmulator = await startEventBridgeEmulator({
      port: settings.EVENTBRIDGE_PORT,
      persistFile: join(dataDir, 'events.jsonl'),
    });
    started.push(eventBridge);

    const identityProvider = await startIdentityProvider({
      issuer,
      consoleOrigin,
      tokenTtlSeconds: settings.IDP_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: settings.IDP_REFRESH_TOKEN_TTL_SECONDS,
    });
    started.push(identityProvider);
    // The functions run in this process: their environment is this process's, and they read it afresh.
    Object.assign(
      process.env,
      environmentFor(
        localFunctionSettings({
          settings,
          endpoints: {
            dynamodb: dynamodb.url,
            s3: s3.url,
            secretsManager: secrets.url,
            stepFunctions: sfn.url,
            eventBridge: eventBridge.url,
          },
          stateMachineArn: sfn.stateMachineArn,
          issuer,
          catalog: localCatalog(settings, simulatorUrls),
          consoleOrigin,
        }),
      ),
    );
    resetRuntime();
    await ensurePasswordKey();

    const health = async () => {
      const parts = await Promise.all([
        check('api', async () => true),
        check('dynamodb', async () => (await fetch(dynamodb.url, { method: 'POST' })).status < 500),
        check(
          's3',
          async () => (await fetch(`${s3.url}/${LOCAL_RESOURCES.inputsBucket}?max-keys=0`)).status < 500,
        ),
        check('secretsManager', async () => (await fetch(secrets.url, { method: 'POST' })).status === 400),
        check('stepFunctions', async () => (await fetch(sfn.url, { method: 'POST' })).status === 400),
        check('eventBridge', async () => (await fetch(eventBridge.url, { method: 'POST' })).status === 400),
        ...Object.entries(simulatorUrls).map(([service, url]) =>
          check(`simulator.${service}`, async () => (await fetch(`${url}/api/v2/server`)).ok),
        ),
        check(
          'identityProvider',
          async () => (await fetch(`${identityProvider.url}/.well-known/openid-configuration`)).ok,
        ),
        check('console', async () => (await fetch(`${consoleServer.url}/config.json`)).ok),
      ]);
      const body = Object.fromEntries(parts);
      const ok = parts.every(([, state]) => state === 'up');
      return { status: ok ? 200 : 503, body: { status: ok ? 'up' : 'degraded', parts: body } };
    };

    const gateway: LocalApiGateway = await startLocalApiGateway({
      port: apiPort,
      corsOrigins: [consoleOrigin],
      publicRoutes: { 'GET /health': health },
    });
    started.push(gateway);
    const config: ConsoleConfig = {
      apiUrl: gateway.url,
      oidc: { authority: identityProvider.url, clientId: LOCAL_AUDIENCE, scope: 'openid profile' },
      environment: 'local',
    };
    const consoleServer = await startConsoleServer({
      port: Number(new URL(consoleOrigin).port),
      config,
      origins: { api: gateway.url, identityProvider: [identityProvider.url], buckets: [s3.url] },
    });
    started.push(consoleServer);
    const resumed = await resumeUnfinishedJobs();
    if (resumed.length > 0) {
      console.log(`Resumed ${resumed.length} unfinished job(s) after a restart: ${resumed.join(', ')}`);
    }
    // The watcher, as the stack's schedule runs it (every minute by default).
    started.push(await startLocalScheduler({ root: process.cwd(), intervalMs: settings.WATCH_INTERVAL_MS }));
    // Where everything is, for scripts (npm run token, service-token) and tools that drive the local stack.
    const endpoints: LocalEndpoints = {
      console: consoleServer.url,
      api: gateway.url,
      identityProvider: identityProvider.url,
      simulator: simulator.url,
      simulators: simulatorUrls,
      dynamodb: dynamodb.url,
      s3: s3.url,
      secretsManager: secrets.url,
      stepFunctions: sfn.url,
      eventBridge: eventBridge.url,
    };
    writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify(endpoints, null, 2));

    return {
      url: gateway.url,
      issuer,
      identityProvider,
      console: consoleServer,
      simulator,
      simulators,
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

async function check(name: string, probe: () => Promise<boolean>): Promise<[string, string]> {
  try {
    return [name, (await probe()) ? 'up' : 'down'];
  } catch {
    return [name, 'down'];
  }
}
