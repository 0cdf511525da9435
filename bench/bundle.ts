/**
 * Bundles a handler exactly as `cdk deploy` does, for every bench that runs deployed code (cold start,
 * copy throughput, copy memory), so they cannot drift apart or from the stack.
 *
 * The options are copied from `infra/constructs/gateway-function.ts` (its `bundling` block and the
 * `CJS_REQUIRE_SHIM` banner are not exported) and turned into the esbuild options that
 * aws-cdk-lib/aws-lambda-nodejs passes to its local esbuild run (`--bundle --target=node22 --platform=node
 * --format=esm --outfile=<dir>/index.mjs --minify --sourcemap --sources-content=false --tsconfig=…
 * --banner:js=… --main-fields=module,main`, run from the project root, no externals). `checkDeployedOptions`
 * reads gateway-function.ts and fails when its bundling block or NODE_OPTIONS no longer match this copy.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..');
const WRAPPER = 'infra/constructs/gateway-function.ts';

/** `CJS_REQUIRE_SHIM` in gateway-function.ts, verbatim. */
const CJS_REQUIRE_SHIM =
  "import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);";

/** The `bundling` props of the NodejsFunction in gateway-function.ts, as written there. */
const DEPLOYED_BUNDLING_SOURCE: Record<string, string> = {
  format: 'OutputFormat.ESM',
  target: "'node22'",
  platform: "'node'",
  mainFields: "['module', 'main']",
  minify: 'true',
  sourceMap: 'true',
  sourcesContent: 'false',
  tsconfig: "resolve(REPOSITORY_ROOT, 'tsconfig.json')",
  externalModules: '[]',
  banner: 'CJS_REQUIRE_SHIM',
};

/** What those props become on the esbuild command line of aws-lambda-nodejs. */
export const DEPLOYED_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true, // `--sourcemap`: a linked index.mjs.map
  sourcesContent: false,
  tsconfig: resolve(REPOSITORY_ROOT, 'tsconfig.json'),
  external: [],
  banner: { js: CJS_REQUIRE_SHIM },
  absWorkingDir: REPOSITORY_ROOT,
};

/** The function environment's NODE_OPTIONS in gateway-function.ts (every deployed function has it). */
export const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';

/** Throws when gateway-function.ts bundles or starts functions differently from what this file copies. */
export function checkDeployedOptions(): void {
  const source = readFileSync(resolve(REPOSITORY_ROOT, WRAPPER), 'utf8');
  const problems: string[] = [];
  const shim = /const CJS_REQUIRE_SHIM =\s*"([^"]*)";/.exec(source)?.[1];
  if (shim !== CJS_REQUIRE_SHIM) problems.push(`CJS_REQUIRE_SHIM is now ${JSON.stringify(shim)}`);
  const block = /bundling: \{([\s\S]*?)\n {6}\},/.exec(source)?.[1];
  if (!block) problems.push('no `bundling: { … }` block found');
  else {
    const found: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const match = /^\s*(\w+): (.*?),?\s*$/.exec(line.replace(/\/\/.*$/, ''));
      if (match) found[match[1]!] = match[2]!;
    }
    for (const key of new Set([...Object.keys(found), ...Object.keys(DEPLOYED_BUNDLING_SOURCE)])) {
      if (found[key] !== DEPLOYED_BUNDLING_SOURCE[key])
        problems.push(
          `bundling.${key} is ${found[key] ?? '(unset)'}, bench has ${DEPLOYED_BUNDLING_SOURCE[key]}`,
        );
    }
  }
  if (!source.includes(`NODE_OPTIONS: '${DEPLOYED_NODE_OPTIONS}'`))
    problems.push(`NODE_OPTIONS is no longer '${DEPLOYED_NODE_OPTIONS}'`);
  if (!source.includes('lambda.Runtime.NODEJS_22_X')) problems.push('the runtime is no longer nodejs22.x');
  if (problems.length > 0) {
    throw new Error(`bench/bundle.ts no longer matches ${WRAPPER}; update it:\n- ${problems.join('\n- ')}`);
  }
}

export interface Bundle {
  file: string;
  bytes: number;
  mapBytes: number;
}

/** Bundles `entry` (relative to the repository root) into `<outDir>/index.mjs` (+ `.map`), as deployed. */
export async function bundleAsDeployed(entry: string, outDir: string): Promise<Bundle> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  await build({ ...DEPLOYED_BUILD_OPTIONS, entryPoints: [entry], outfile: file, logLevel: 'error' });
  return { file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size };
}
