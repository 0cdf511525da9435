/**
 * Runs `npm start`'s program (infra/local/main.ts) as a child process, exactly as a newcomer would, on free
 * ports with its own data folder, and talks to it over HTTP only. The identity provider's and the
 * console's ports are chosen here too (not 0), so a restart keeps them: the issuer is the provider's URL,
 * and tokens minted before a restart must stay valid after it, as they do with the default ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEndpoints } from '#infra/local/local-environment';

export interface LocalProcess {
  api: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Milliseconds from spawn to GET /health = 200. */
  startupMs: number;
  simulatorUrl(): string;
  /** `<data>/endpoints.json` of the running stack. */
  endpoints(): LocalEndpoints;
  stop(): Promise<void>;
  /** `kill -9` of the stack's whole process group, as a crash or a power cut would end it. */
  crash(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalProcess(
  options: { dataDir?: string; port?: number; env?: Record<string, string> } = {},
): Promise<LocalProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
  const port = options.port ?? (await freePort());
  const env = {
    ...process.env,
    PORT: String(port),
    IDP_PORT: String(await freePort()),
    CONSOLE_PORT: String(await freePort()),
    LOCAL_DATA_DIR: dataDir,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    SIMULATOR_QUEUE_MS: '300',
    SIMULATOR_RUN_MS: '1500',
    SIMULATOR_EXPORT_MS: '200',
    ...options.env,
  };
  const started = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', 'infra/local/main.ts'],
    // Its own process group, so a crash can take down everything it started at once.
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`local stack exited (${child.exitCode}):\n${output}`);
    const health = await fetch(`${api}/health`).catch(() => undefined);
    // Up once it answers and has written where everything is (the API answers a little before that).
    if (health?.status === 200 && writtenSince(join(dataDir, 'endpoints.json'), started)) break;
    if (Date.now() > deadline) throw new Error(`local stack not healthy after 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const startupMs = Date.now() - started;
  const endpoints = () => JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as LocalEndpoints;
  return {
    api,
    dataDir,
    env,
    startupMs,
    simulatorUrl: () => endpoints().simulator,
    endpoints,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
    crash: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(-child.pid!, 'SIGKILL');
      }),
  };
}

function writtenSince(path: string, since: number): boolean {
  try {
    return statSync(path).mtimeMs >= since - 1000;
  } catch {
    return false;
  }
}
