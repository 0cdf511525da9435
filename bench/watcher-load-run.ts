/**
 * One watcher run of the watcher-load benchmark, in a process of its own (a child of
 * bench/watcher-load.ts, which started the emulators and the simulator, seeded the jobs and passes the
 * deployed settings in the environment): `watchServices()` exactly as the scheduled Lambda calls it,
 * timed, with what it asked of DynamoDB, Secrets Manager and the service counted on the shared SDK
 * clients (middleware, as test/workflow/token-cache.test.ts counts) and on fetch.
 *
 * A poll's time is from the GetItem of its job to the end of the UpdateItem of the same job (what lies
 * between: the token from the vault's cache, the status call at the service, the digest). Prints
 * `BENCH_WATCH {…}`; the EMF metric lines and log lines the run writes go to stdout as in Lambda, and
 * the parent weighs them.
 */
import { performance } from 'node:perf_hooks';
import { summary } from './report-format';

const latencies = new Map<string, number[]>();
const note = (kind: string, ms: number) => {
  const list = latencies.get(kind) ?? [];
  list.push(ms);
  latencies.set(kind, list);
};
const serviceCalls = new Map<string, number>();

// The Cloudgene client and the probes take the global fetch when they are built (per poll).
const realFetch = globalThis.fetch;
const countingFetch: typeof fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
  const kind = /^\/api\/v2\/jobs\/[^/]+$/.test(url.pathname)
    ? 'status'
    : url.pathname.startsWith('/api/v2/server')
      ? 'probe'
      : `other ${url.pathname}`;
  serviceCalls.set(kind, (serviceCalls.get(kind) ?? 0) + 1);
  const started = performance.now();
  try {
    return await realFetch(input, init);
  } finally {
    note(`service ${kind}`, performance.now() - started);
  }
};
globalThis.fetch = countingFetch;

const importStarted = performance.now();
const { dynamoDocumentClient, secretsManagerClient } = await import('#shared/aws/clients');
const { watchServices } = await import('#shared/health/watch-services');
const importMs = performance.now() - importStarted;

const dynamoCalls = new Map<string, number>();
const pollStarted = new Map<string, number>();
const pollMs: number[] = [];
dynamoDocumentClient().middlewareStack.add(
  (next, context) => async (args) => {
    const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
    dynamoCalls.set(command, (dynamoCalls.get(command) ?? 0) + 1);
    const key = JSON.stringify((args.input as { Key?: unknown }).Key ?? null);
    const isJob = key.includes('JOB#');
    const started = performance.now();
    if (isJob && command === 'GetItem') pollStarted.set(key, started);
    try {
      return await next(args);
    } finally {
      const ended = performance.now();
      note(`dynamodb ${command}`, ended - started);
      const pollStart = pollStarted.get(key);
      if (isJob && command === 'UpdateItem' && pollStart !== undefined) {
        pollMs.push(ended - pollStart);
        pollStarted.delete(key);
      }
    }
  },
  { step: 'initialize', name: 'benchWatcherCount' },
);
let tokenReads = 0;
let otherSecretCalls = 0;
secretsManagerClient().middlewareStack.add(
  (next, context) => async (args) => {
    const secretId = String((args.input as { SecretId?: unknown }).SecretId ?? '');
    if (context.commandName === 'GetSecretValueCommand' && secretId.includes('/users/')) tokenReads++;
    else otherSecretCalls++;
    const started = performance.now();
    try {
      return await next(args);
    } finally {
      note('secrets GetSecretValue', performance.now() - started);
    }
  },
  { step: 'initialize', name: 'benchWatcherSecrets' },
);

const cpuBefore = process.cpuUsage();
const started = performance.now();
const run = await watchServices(countingFetch);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);

console.log(
  `BENCH_WATCH ${JSON.stringify({
    run,
    wallMs,
    importMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    dynamoCalls: Object.fromEntries(dynamoCalls),
    tokenReads,
    otherSecretCalls,
    serviceCalls: Object.fromEntries(serviceCalls),
    poll: summary(pollMs),
    latencies: Object.fromEntries([...latencies].map(([kind, values]) => [kind, summary(values)])),
  })}`,
);
// Open keep-alive sockets of the SDK and fetch would keep the process a while.
process.exit(0);
