/**
 * Builds one handler exactly as `cdk deploy` does (bundling.ts), outside CDK: for the benchmarks that
 * run deployed code and for the tests that invoke the bundles.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptionsAsDeployed } from './bundling';

export interface Bundle {
  file: string;
  bytes: number;
  mapBytes: number;
}

/** Bundles `entry` (relative to the repository root) into `<outDir>/index.mjs` (+ `.map`), as deployed. */
export async function bundleAsDeployed(entry: string, outDir: string): Promise<Bundle> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  await build({ ...esbuildOptionsAsDeployed(), entryPoints: [entry], outfile: file, logLevel: 'error' });
  return { file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size };
}
