/**
 * The measured process of the copy benchmark, bundled as deployed and run once per (variant × size ×
 * sink) in a fresh Node 22 with the deployed NODE_OPTIONS. It imports one bundled module — the copy task's
 * handler, or bench/copy-legs.ts for the single legs and the plain pipe — runs it once, and prints
 * `BENCH_PROBE {"initMs","runMs","cpuMs","maxRssKiB","result"}`: wall and CPU time of the run alone
 * (init excluded) and maxRSS, the whole process's peak, read at exit.
 *
 * argv[2]: JSON `{ module, variant: 'copy' | 'download' | 'upload' | 'pipe', input }`; for `copy`, input
 * is the task's event and the module's `handler` gets it, as the Lambda runtime would call it.
 */
export {};

interface ProbeSpec {
  module: string;
  variant: 'copy' | 'download' | 'upload' | 'pipe';
  input: unknown;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ProbeSpec;
const started = performance.now();
const loaded = (await import(spec.module)) as Record<string, (input: unknown, context?: unknown) => unknown>;
const initialised = performance.now();
const context = {
  awsRequestId: 'bench',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 900_000,
  callbackWaitsForEmptyEventLoop: false,
};
const run = spec.variant === 'copy' ? loaded.handler : loaded[spec.variant];
if (!run) throw new Error(`${spec.module} has no ${spec.variant === 'copy' ? 'handler' : spec.variant}`);
const cpuBefore = process.cpuUsage();
const result = await run(spec.input, context);
const finished = performance.now();
const cpu = process.cpuUsage(cpuBefore);
console.log(
  `BENCH_PROBE ${JSON.stringify({
    initMs: initialised - started,
    runMs: finished - initialised,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
    result,
  })}`,
);
