/**
 * How every function is bundled and started, in one place and without CDK imports, so the stack
 * (gateway-function.ts), the benchmarks and the bundle tests build exactly the same thing.
 * aws-lambda-nodejs turns `deployedBundling` into an esbuild command line (`--bundle --platform=node
 * --format=esm --minify --sourcemap …`); `esbuildOptionsAsDeployed` is that command line as esbuild's
 * own options, for code that calls esbuild directly.
 */
import { resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';

/** Repository root: entries, the lockfile and tsconfig.json (with the `#shared/*` paths) are resolved from here. */
export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * ESM bundles still meet CommonJS dependencies that call `require` (e.g. for Node built-ins); this gives
 * them one. The alias keeps the banner from clashing with a bundled module's own `createRequire` import.
 */
export const CJS_REQUIRE_SHIM =
  "import { createRequire as __gatewayCreateRequire } from 'node:module'; const require = __gatewayCreateRequire(import.meta.url);";

/**
 * On Lambda the role's credentials are in the environment: the SDK's default credential chain is
 * replaced by its environment link (shared/aws/lambda-credentials.ts explains what this leaves out).
 */
export const CREDENTIALS_ALIAS = {
  '@aws-sdk/credential-provider-node': resolve(REPOSITORY_ROOT, 'shared/aws/lambda-credentials.ts'),
} as const;

/** Every function's NODE_OPTIONS: stack traces point into the TypeScript sources. */
export const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';

/** The bundling of every function (aws-lambda-nodejs `BundlingOptions`, format as a string). */
export const deployedBundling = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Minified names would hide error classes in logs ("Token verification failed (Le)").
  keepNames: true,
  tsconfig: resolve(REPOSITORY_ROOT, 'tsconfig.json'),
  // The AWS SDK is bundled, not taken from the runtime: the SDK versions the tests ran against are the
  // versions deployed (the runtime's copy changes under us with Lambda updates), and with the ESM builds
  // of the clients (`mainFields: module`) esbuild keeps only the commands a handler imports, so one
  // minified file loads faster than the runtime's many CommonJS files.
  externalModules: [] as string[],
  banner: CJS_REQUIRE_SHIM,
  esbuildArgs: Object.fromEntries(
    Object.entries(CREDENTIALS_ALIAS).map(([module, path]) => [`--alias:${module}`, path]),
  ) as Record<string, string>,
} as const;

/** `deployedBundling` as the esbuild options aws-lambda-nodejs runs esbuild with. */
export function esbuildOptionsAsDeployed(): BuildOptions {
  return {
    bundle: true,
    format: deployedBundling.format,
    target: deployedBundling.target,
    platform: deployedBundling.platform,
    mainFields: [...deployedBundling.mainFields],
    minify: deployedBundling.minify,
    sourcemap: deployedBundling.sourceMap, // `--sourcemap`: a linked index.mjs.map
    sourcesContent: deployedBundling.sourcesContent,
    keepNames: deployedBundling.keepNames,
    tsconfig: deployedBundling.tsconfig,
    external: [...deployedBundling.externalModules],
    banner: { js: deployedBundling.banner },
    alias: { ...CREDENTIALS_ALIAS },
    absWorkingDir: REPOSITORY_ROOT,
  };
}
