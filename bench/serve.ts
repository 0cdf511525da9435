/**
 * One server of a benchmark, in a process of its own so it never shares a CPU thread or a heap with the
 * measured code: `tsx bench/serve.ts <role>` prints one JSON line (`{ "url": … }`) once it listens and
 * stops on SIGTERM. Roles:
 * - `source`: the Cloudgene simulator; BENCH_RESULT_FILES (JSON `[{ name, size, redirect? }]`) are the
 *   result files of every job, generated from a seed, with (practically) unlimited downloads;
 * - `s3rver`: the S3 emulator of the local stack (files on disk), bucket BENCH_BUCKET;
 * - `discard`: bench/discard-s3.ts, an S3 endpoint that reads and discards bodies;
 * - `dynamodb`: dynalite with the gateway table BENCH_TABLE.
 * `startServer` (for the benches) spawns one and resolves with its URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { node22 } from './node22';

export type ServerRole = 'source' | 's3rver' | 'discard' | 'dynamodb';

export interface RunningServer {
  role: ServerRole;
  url: string;
  info: Record<string, unknown>;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startServer(
  role: ServerRole,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const child = spawn(node22().path, ['--import', 'tsx', resolve(import.meta.dirname, 'serve.ts'), role], {
    cwd: resolve(import.meta.dirname, '..'),
    // s3rver's listing markers need MD5 (legacy provider on Node 22's OpenSSL 3).
    env: { ...process.env, ...env, NODE_OPTIONS: role === 's3rver' ? '--openssl-legacy-provider' : '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<Record<string, unknown>>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`bench server ${role} exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => ok(JSON.parse(line)));
  });
  child.removeAllListeners('exit');
  return {
    role,
    url: String(info.url),
    info,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function serve(role: string) {
  let close: () => Promise<void>;
  let info: Record<string, unknown>;
  if (role === 'source') {
    const { startCloudgeneSimulator } = await import('#infra/local/simulator/cloudgene-simulator');
    const sim = await startCloudgeneSimulator({
      resultFiles: JSON.parse(process.env.BENCH_RESULT_FILES ?? '[]'),
      maxDownloadsPerFile: Number.MAX_SAFE_INTEGER,
      timing: { queueMs: 10, runMs: 10, exportMs: 10 },
    });
    info = { url: sim.url };
    close = () => sim.close();
  } else if (role === 's3rver') {
    const { startS3Emulator } = await import('#infra/local/emulators/s3');
    const directory = mkdtempSync(join(process.env.BENCH_S3_DIR ?? tmpdir(), 'bench-s3rver-'));
    const s3 = await startS3Emulator({ buckets: [process.env.BENCH_BUCKET ?? 'bench-results'], directory });
    info = { url: s3.url, directory };
    close = async () => {
      await s3.close();
      const { rmSync } = await import('node:fs');
      rmSync(directory, { recursive: true, force: true });
    };
  } else if (role === 'discard') {
    const { startDiscardS3 } = await import('./discard-s3');
    const sink = await startDiscardS3();
    info = { url: sink.url };
    close = () => sink.close();
  } else if (role === 'dynamodb') {
    const { ensureGatewayTable, startDynamoDbEmulator } = await import('#infra/local/emulators/dynamodb');
    const dynamodb = await startDynamoDbEmulator();
    await ensureGatewayTable(dynamodb.url, process.env.BENCH_TABLE ?? 'bench');
    info = { url: dynamodb.url };
    close = () => dynamodb.close();
  } else {
    throw new Error(`unknown bench server role ${role}`);
  }
  console.log(JSON.stringify(info));
  // Never outlive the bench that started this server, however it ended.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && close().finally(() => process.exit(0)), 1000).unref();
  process.once('SIGTERM', () => {
    close().finally(() => process.exit(0));
  });
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) await serve(process.argv[2] ?? '');
