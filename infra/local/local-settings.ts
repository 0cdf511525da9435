/**
 * The local stack's own settings (documented in the README: ports, data folder, simulator, time scale)
 * and its ports: a port that is taken is reported by the variable that chose it before anything starts.
 * The settings of the functions it runs are not here: those are written with shared/settings.ts
 * (see local-environment.ts).
 */
import { createServer } from 'node:net';
import * as z from 'zod/mini';
import { ConfigError, variables } from '#shared/settings';

const port = () => z.coerce.number().check(z.int(), z.minimum(0), z.maximum(65535));
const milliseconds = (fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(0)), fallback);

export const localSettingsSchema = z.object({
  /** API port; `0` picks a free one. */
  PORT: z._default(port(), 3000),
  /** The web console's own origin (web/dist, config.json); `0` picks a free one. */
  CONSOLE_PORT: z._default(port(), 3001),
  /** The local OIDC provider; its issuer is `http://127.0.0.1:<IDP_PORT>`. `0` picks a free one. */
  IDP_PORT: z._default(port(), 3002),
  /** Lifetime of the provider's ID and access tokens, and of its refresh tokens (seconds). */
  IDP_TOKEN_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.positive()), 3600),
  IDP_REFRESH_TOKEN_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.positive()), 86_400),
  /** Where tables, objects, secrets, simulator state and the issuer key persist. */
  LOCAL_DATA_DIR: z._default(z.string(), '.local'),
  /**
   * Fixed emulator ports (free ones when unset); they are written to `<data>/endpoints.json`. Each
   * simulated service has its own simulator: SIMULATOR_PORT is Michigan's (as when there was one).
   */
  SIMULATOR_PORT: z.optional(port()),
  SIMULATOR_TOPMED_PORT: z.optional(port()),
  SIMULATOR_H3AFRICA_PORT: z.optional(port()),
  DYNAMODB_PORT: z.optional(port()),
  S3_PORT: z.optional(port()),
  SECRETS_MANAGER_PORT: z.optional(port()),
  STEP_FUNCTIONS_PORT: z.optional(port()),
  EVENTBRIDGE_PORT: z.optional(port()),
  /** Divides every workflow wait (30 s poll → 1 s with the default 30). */
  WORKFLOW_TIME_SCALE: z._default(z.coerce.number().check(z.positive()), 30),
  /**
   * How often the watcher runs: EventBridge Scheduler runs it every minute in the cloud; locally that
   * minute is scaled like the workflow's waits (60 s / 30).
   */
  WATCH_INTERVAL_MS: z._default(z.coerce.number().check(z.int(), z.minimum(100)), 2_000),
  /** Simulated job: `success`, `fail` or `manual`, and how long it queues, runs and exports (ms). */
  SIMULATOR_SCENARIO: z._default(z.enum(['success', 'fail', 'manual']), 'success'),
  SIMULATOR_QUEUE_MS: milliseconds(2000),
  SIMULATOR_RUN_MS: milliseconds(6000),
  SIMULATOR_EXPORT_MS: milliseconds(1000),
  /**
   * Point catalog services elsewhere: JSON keyed by service id, e.g. {"topmed":{"baseUrl":"https://…"}}
   * (a real service or another simulator); `LOCAL_SERVICES_FILE` reads the same JSON from a file.
   */
  LOCAL_SERVICES: z.optional(z.string()),
  LOCAL_SERVICES_FILE: z.optional(z.string()),
  /** The functions' log level (Powertools); quiet by default. */
  POWERTOOLS_LOG_LEVEL: z._default(variables.POWERTOOLS_LOG_LEVEL.schema, 'WARN'),
});
export type LocalSettings = z.infer<typeof localSettingsSchema>;

/** The local stack's settings from an environment; throws one error naming every variable that is wrong. */
export function readLocalSettings(env: NodeJS.ProcessEnv): LocalSettings {
  const parsed = localSettingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid local stack settings: ${problems.join('; ')}`);
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

/** Fails with PortInUseError for the first fixed port that is taken (unset and 0 ports are picked later). */
export async function ensurePortsFree(settings: LocalSettings): Promise<void> {
  for (const [chosen, what, variable] of [
    [settings.PORT, 'API', 'PORT'],
    [settings.CONSOLE_PORT, 'console', 'CONSOLE_PORT'],
    [settings.IDP_PORT, 'identity provider', 'IDP_PORT'],
    [settings.SIMULATOR_PORT, 'Michigan simulator', 'SIMULATOR_PORT'],
    [settings.SIMULATOR_TOPMED_PORT, 'TOPMed simulator', 'SIMULATOR_TOPMED_PORT'],
    [settings.SIMULATOR_H3AFRICA_PORT, 'H3Africa simulator', 'SIMULATOR_H3AFRICA_PORT'],
    [settings.DYNAMODB_PORT, 'DynamoDB', 'DYNAMODB_PORT'],
    [settings.S3_PORT, 'S3', 'S3_PORT'],
    [settings.SECRETS_MANAGER_PORT, 'Secrets Manager', 'SECRETS_MANAGER_PORT'],
    [settings.STEP_FUNCTIONS_PORT, 'Step Functions', 'STEP_FUNCTIONS_PORT'],
    [settings.EVENTBRIDGE_PORT, 'EventBridge', 'EVENTBRIDGE_PORT'],
  ] as const) {
    if (!chosen) continue;
    await new Promise<void>((ok, fail) => {
      const probe = createServer();
      probe.once('error', () => fail(new PortInUseError(chosen, what, variable)));
      probe.listen(chosen, '127.0.0.1', () => probe.close(() => ok()));
    });
  }
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: picked } = server.address() as { port: number };
      server.close(() => ok(picked));
    });
  });
}
