/**
 * Cold start: bundles every handler of the route and task tables as deployed (the stack's own bundling,
 * source maps included), then imports each bundle in fresh Node 22 processes with the deployed
 * NODE_OPTIONS (--enable-source-maps) and prints its size and module-init time — the time from the
 * start of `import()` to its end, which a Lambda cold start pays on top of the runtime's own start (wall
 * time; the import's CPU time is shown too, being steadier on a loaded machine).
 *
 * Before and after in one run: with `--baseline <git ref>` (or BENCH_BASELINE) the same functions are
 * also built from that commit — checked out into a temporary worktree and bundled with *that commit's*
 * bundling module, i.e. as that commit deployed them — and both builds are measured interleaved, so
 * machine noise falls on both alike. A function the baseline does not have is shown without a baseline.
 *
 * BENCH_COLD_RUNS (default 11, at least 7) processes per function and build, round-robin.
 * Run: npm run bench:cold-start [-- --baseline <ref>]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';
import { type Bundle, bundleAsDeployed, DEPLOYED_NODE_OPTIONS, REPOSITORY_ROOT } from './bundle';
import { node22 } from './node22';

const RUNS = Math.max(7, Number(process.env.BENCH_COLD_RUNS ?? 11));
const flag = process.argv.indexOf('--baseline');
const baselineRef = flag >= 0 ? process.argv[flag + 1] : process.env.BENCH_BASELINE;
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

type Build = 'before' | 'after';
const bundles = new Map<string, Bundle>(); // `${build}:${id}`
let baselineTree: string | undefined;
try {
  if (baselineRef) {
    const commit = execFileSync('git', ['rev-parse', '--short', `${baselineRef}^{commit}`], {
      cwd: REPOSITORY_ROOT,
      encoding: 'utf8',
    }).trim();
    baselineTree = join(out, 'baseline-tree');
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', baselineTree, commit], {
      cwd: REPOSITORY_ROOT,
    });
    symlinkSync(resolve(REPOSITORY_ROOT, 'node_modules'), join(baselineTree, 'node_modules'), 'dir');
    // That commit's own bundling: what it deployed, not today's options applied to its sources.
    const { bundleAsDeployed: bundleBaseline } = (await import(
      pathToFileURL(join(baselineTree, 'infra/constructs/bundle-as-deployed.ts')).href
    )) as { bundleAsDeployed: typeof bundleAsDeployed };
    for (const { id, entry } of entries) {
      if (!existsSync(join(baselineTree, entry))) continue;
      bundles.set(`before:${id}`, await bundleBaseline(entry, join(out, 'before', id)));
    }
    console.log(`baseline: ${baselineRef} (${commit}), bundled with its own infra/constructs/bundling.ts`);
  }
  for (const { id, entry } of entries)
    bundles.set(`after:${id}`, await bundleAsDeployed(entry, join(out, 'after', id)));
} finally {
  if (baselineTree) {
    execFileSync('git', ['worktree', 'remove', '--force', baselineTree], { cwd: REPOSITORY_ROOT });
  }
}
console.log(
  `Node ${node.version} (${node.path}), NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}, ${RUNS} fresh processes per function and build`,
);

const builds: Build[] = baselineRef ? ['before', 'after'] : ['after'];
const samples = new Map<string, { ms: number; cpuMs: number }[]>();
for (let run = 0; run < RUNS; run++) {
  for (const { id } of entries) {
    for (const build of run % 2 ? [...builds].reverse() : builds) {
      const bundle = bundles.get(`${build}:${id}`);
      if (!bundle) continue;
      const [ms, cpuMs] = execFileSync(
        node.path,
        [
          '--input-type=module',
          '-e',
          `const c=process.cpuUsage(), t=performance.now(); await import(${JSON.stringify(bundle.file)}); const u=process.cpuUsage(c); console.log(performance.now()-t, (u.user+u.system)/1000)`,
        ],
        { env, encoding: 'utf8' },
      )
        .trim()
        .split(' ')
        .map(Number);
      const key = `${build}:${id}`;
      samples.set(key, [...(samples.get(key) ?? []), { ms: ms!, cpuMs: cpuMs! }]);
    }
  }
}
rmSync(out, { recursive: true, force: true });

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
};
const stats = (key: string) => {
  const bundle = bundles.get(key);
  const runs = samples.get(key);
  if (!bundle || !runs) return undefined;
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  return {
    kib: bundle.bytes / 1024,
    kb: bundle.bytes / 1000,
    mapKib: bundle.mapBytes / 1024,
    median: median(ms),
    p90: quantile(ms, 0.9),
    cpu: median(runs.map((r) => r.cpuMs)),
  };
};
const cell = (value: number | undefined, width: number, digits = 0) =>
  (value === undefined ? '–' : value.toFixed(digits)).padStart(width);

const columns = baselineRef
  ? `${'KB before'.padStart(10)} ${'KB after'.padStart(9)} ${'init ms before'.padStart(15)} ${'after'.padStart(7)} ${'p90 after'.padStart(10)} ${'CPU ms before'.padStart(14)} ${'after'.padStart(7)}`
  : `${'KB'.padStart(7)} ${'map KiB'.padStart(8)} ${'init ms median'.padStart(15)} ${'p90'.padStart(7)} ${'init CPU ms median'.padStart(19)}`;
console.log(`${'function'.padEnd(20)} ${columns}`);
const summary = { before: [] as number[], after: [] as number[], afterKb: [] as number[] };
for (const { id } of entries) {
  const before = stats(`before:${id}`);
  const after = stats(`after:${id}`)!;
  summary.after.push(after.median);
  summary.afterKb.push(after.kb);
  if (before) summary.before.push(before.median);
  console.log(
    `${id.padEnd(20)} ${
      baselineRef
        ? `${cell(before?.kb, 10)} ${cell(after.kb, 9)} ${cell(before?.median, 15, 1)} ${cell(after.median, 7, 1)} ${cell(after.p90, 10, 1)} ${cell(before?.cpu, 14, 1)} ${cell(after.cpu, 7, 1)}`
        : `${cell(after.kb, 7)} ${cell(after.mapKib, 8)} ${cell(after.median, 15, 1)} ${cell(after.p90, 7, 1)} ${cell(after.cpu, 19, 1)}`
    }`,
  );
}
const describe = (medians: number[]) =>
  `median of the medians ${median(medians).toFixed(1)} ms, slowest median ${Math.max(...medians).toFixed(1)} ms`;
if (baselineRef) console.log(`before: over ${summary.before.length} functions, ${describe(summary.before)}`);
console.log(
  `${baselineRef ? 'after: ' : ''}over ${entries.length} functions, ${describe(summary.after)}; largest bundle ${Math.max(...summary.afterKb).toFixed(0)} KB (KB = 1,000 bytes of minified JavaScript, source map not counted; init CPU ms: CPU time of the import, all threads; steadier than wall time on a loaded machine)`,
);
