/**
 * Cold start: bundles every handler of the route and task tables as deployed (bench/bundle.ts: the CDK
 * wrapper's esbuild options, source maps included), then imports each bundle in fresh Node 22 processes
 * with the deployed NODE_OPTIONS (--enable-source-maps) and prints its size and module-init time — the
 * time from the start of `import()` to its end, which a Lambda cold start pays on top of the runtime's own
 * start (wall time; the import's CPU time is shown too, being steadier on a loaded machine).
 * BENCH_COLD_RUNS (default 11, at least 7) processes per function, interleaved round-robin over
 * the functions so machine noise spreads evenly; median and p90 per function.
 *
 * Run: npm run bench:cold-start
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';
import { type Bundle, bundleAsDeployed, DEPLOYED_NODE_OPTIONS } from './bundle';
import { node22 } from './node22';

const RUNS = Math.max(7, Number(process.env.BENCH_COLD_RUNS ?? 11));
const entries = [
  { id: 'authorizer', entry: 'functions/authorizer/handler.ts' },
  ...routes.map((r) => ({ id: r.id, entry: r.entry })),
  ...workflowTasks.map((t) => ({ id: t.id, entry: t.entry })),
];

const node = node22();
const out = mkdtempSync(join(tmpdir(), 'cold-start-'));
const env = {
  PATH: process.env.PATH ?? '',
  NODE_OPTIONS: DEPLOYED_NODE_OPTIONS,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  TABLE_NAME: 't',
  AUTH_MODE: 'oidc',
  OIDC_ISSUER: 'https://idp.example.org',
  OIDC_AUDIENCE: 'a',
  POWERTOOLS_SERVICE_NAME: 'imputation-gateway',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
console.log(
  `Node ${node.version} (${node.path}), NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}, ${RUNS} fresh processes per function`,
);

const bundles = new Map<string, Bundle>();
for (const { id, entry } of entries) bundles.set(id, await bundleAsDeployed(entry, join(out, id)));

const samples = new Map<string, { ms: number; cpuMs: number }[]>(entries.map((e) => [e.id, []]));
for (let run = 0; run < RUNS; run++) {
  for (const { id } of entries) {
    const file = bundles.get(id)!.file;
    const [ms, cpuMs] = execFileSync(
      node.path,
      [
        '--input-type=module',
        '-e',
        `const c=process.cpuUsage(), t=performance.now(); await import(${JSON.stringify(file)}); const u=process.cpuUsage(c); console.log(performance.now()-t, (u.user+u.system)/1000)`,
      ],
      { env, encoding: 'utf8' },
    )
      .trim()
      .split(' ')
      .map(Number);
    samples.get(id)!.push({ ms: ms!, cpuMs: cpuMs! });
  }
}
rmSync(out, { recursive: true, force: true });

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const median = (sorted: number[]) =>
  sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
console.log(
  `${'function'.padEnd(20)} ${'bundle KiB'.padStart(10)} ${'map KiB'.padStart(8)} ${'init ms median'.padStart(15)} ${'p90'.padStart(7)} ${'init CPU ms median'.padStart(19)}`,
);
const medians: number[] = [];
for (const { id } of entries) {
  const runs = samples.get(id)!;
  const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
  const cpu = runs.map((r) => r.cpuMs).sort((a, b) => a - b);
  const bundle = bundles.get(id)!;
  medians.push(median(sorted));
  console.log(
    `${id.padEnd(20)} ${(bundle.bytes / 1024).toFixed(0).padStart(10)} ${(bundle.mapBytes / 1024).toFixed(0).padStart(8)} ${median(sorted).toFixed(1).padStart(15)} ${quantile(sorted, 0.9).toFixed(1).padStart(7)} ${median(cpu).toFixed(1).padStart(19)}`,
  );
}
const sorted = medians.sort((a, b) => a - b);
console.log(
  `over ${entries.length} functions: median of the medians ${median(sorted).toFixed(1)} ms, slowest median ${sorted.at(-1)!.toFixed(1)} ms (init CPU ms: CPU time of the import, all threads; steadier than wall time on a loaded machine)`,
);
