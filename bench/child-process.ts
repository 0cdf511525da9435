/**
 * Benchmarks measure in fresh processes: each run is a child Node process that prints one marked line
 * (`BENCH_… {json}`). This runs one and hands back what it printed; `markedLine` finds the result.
 */
import { spawn } from 'node:child_process';

export interface ChildOutput {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs `node <args>` (the caller's Node binary) to its end, collecting its output. */
export function runNode(
  nodePath: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildOutput> {
  return new Promise((done) => {
    const child = spawn(nodePath, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => {
      stdout += data;
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('exit', (code) => done({ stdout, stderr, code }));
  });
}

/** The JSON after `marker ` on the child's result line; throws with its output when it has none or failed. */
export function markedResult<T>(output: ChildOutput, marker: string, what: string): T {
  const line = output.stdout.split('\n').find((text) => text.startsWith(`${marker} `));
  if (output.code !== 0 || !line) {
    throw new Error(`${what} failed (exit ${output.code}):\n${output.stderr}${output.stdout.slice(-4000)}`);
  }
  return JSON.parse(line.slice(marker.length + 1)) as T;
}
