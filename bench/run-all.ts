/**
 * `npm run bench`: every benchmark, in order, each in a fresh Node 22 process of its own (so none
 * inherits another's heap, JIT state or servers), with a header per bench. A bench file that does not
 * exist (yet) is reported and skipped; a failing bench does not stop the others, but fails the run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { node22 } from './node22';

const BENCHES = [
  { file: 'bench/poll-cost.ts', title: 'Cost per job: state transitions of the real ASL run' },
  { file: 'bench/cold-start.ts', title: 'Cold start: bundles as deployed, module init on Node 22' },
  { file: 'bench/list-latency.ts', title: 'Listing jobs: latency from 100 to 10,000 jobs' },
  { file: 'bench/watcher-load.ts', title: 'Watcher: jobs one run polls, cost per 1,000 job-days' },
  {
    file: 'bench/sweep-cost.ts',
    title: 'Watcher: the sweep for stranded executions, cost per run at 10,000 jobs',
  },
  {
    file: 'bench/copy-throughput.ts',
    title: 'Copying results: throughput against the plain pipe, and memory',
  },
  { file: 'bench/slot-refusals.ts', title: 'Refused submissions per job under the per-user limit' },
  { file: 'bench/vcf-validate.ts', title: 'VCF validation' },
  { file: 'bench/validation-parallel.ts', title: 'A 22-file job validated: serial, then in parallel' },
  {
    file: 'bench/quota-load.ts',
    title: 'One user looping POST /jobs: refused at the limit, others unaffected',
  },
  { file: 'bench/console.ts', title: 'Console: initial JavaScript, usable after navigation, API calls/min' },
  { file: 'bench/console-precheck.ts', title: 'Console: checking a picked file (head and tail) in Chromium' },
];

const root = resolve(import.meta.dirname, '..');
const node = node22();
console.log(`Benchmarks on Node ${node.version} (${node.path}); the launching Node was ${process.version}`);
const failed: string[] = [];
for (const { file, title } of BENCHES) {
  console.log(`\n=== ${title} (${file}) ${'='.repeat(Math.max(3, 100 - title.length - file.length))}`);
  if (!existsSync(resolve(root, file))) {
    console.log(`(skipped: ${file} does not exist)`);
    continue;
  }
  const started = performance.now();
  const run = spawnSync(node.path, ['--import', 'tsx', file], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failed.push(file);
  console.log(
    `--- ${file}: ${run.status === 0 ? 'done' : `FAILED (exit ${run.status ?? run.signal})`} in ${seconds} s`,
  );
}
if (failed.length > 0) {
  console.error(`\n${failed.length} bench(es) failed: ${failed.join(', ')}`);
  process.exit(1);
}
