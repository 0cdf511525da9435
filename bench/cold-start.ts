/**
 * Cold start: bundles every handler of the route and task tables with the same esbuild options the CDK
 * wrapper uses, then imports each bundle in a fresh Node process and prints its size and module-init time
 * (median of 3 runs). Init is what a Lambda cold start pays on top of the runtime's own start.
 *
 * Run: npm run bench:cold-start
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';

const entries = [
  { id: 'authorizer', entry: 'functions/authorizer/handler.ts' },
  ...routes.map((r) => ({ id: r.id, entry: r.entry })),
  ...workflowTasks.map((t) => ({ id: t.id, entry: t.entry })),
];
const out = mkdtempSync(join(tmpdir(), 'cold-start-'));
const env = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 't',
  AUTH_MODE: 'oidc',
  OIDC_ISSUER: 'https://idp.example.org',
  OIDC_AUDIENCE: 'a',
};

console.log('function               bundle KiB   init ms (median of 3)');
const rows: { id: string; kib: number; ms: number }[] = [];
for (const { id, entry } of entries) {
  const outfile = join(out, `${id}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    tsconfig: 'tsconfig.json',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const times = [0, 1, 2].map(() =>
    Number(
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const t=performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now()-t)`,
        ],
        { env, encoding: 'utf8' },
      ).trim(),
    ),
  );
  const ms = times.sort((a, b) => a - b)[1]!;
  const kib = statSync(outfile).size / 1024;
  rows.push({ id, kib, ms });
  console.log(`${id.padEnd(22)} ${kib.toFixed(0).padStart(10)}   ${ms.toFixed(1).padStart(8)}`);
}
const sorted = rows.map((r) => r.ms).sort((a, b) => a - b);
console.log(
  `median init ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms over ${rows.length} functions`,
);
