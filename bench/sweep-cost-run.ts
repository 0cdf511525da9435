/**
 * One watcher run of the sweep-cost benchmark, in a process of its own (a child of bench/sweep-cost.ts,
 * which started dynalite, the fake Step Functions endpoint and the simulator for the probe, seeded the
 * table and passes the deployed settings in the environment): `watchServices()` exactly as the scheduled
 * Lambda calls it, timed, with every DynamoDB and Step Functions call it makes counted on the shared SDK
 * clients (middleware, as bench/watcher-load-run.ts counts).
 *
 * Phases, by the calls themselves (one service, whose kinds watch-jobs.ts handles in order): `before` is
 * the probe's health record and the POLL, SERVICE, SLOT, TOKEN and CANCEL kinds; `sweep` starts when the
 * Query of `WATCH#<service>#VALIDATE` is sent (the watcher looks at executions last) and ends when the next
 * Query of another partition is sent (the token verification's), so it holds the VALIDATE, SUBMIT and
 * COLLECT Queries and what restartIfGone does for each job they return; `after` is the rest (the token
 * verification, the outbox publisher).
 *
 * Per call it keeps what the parent needs to bill it: a GetItem's item size (measured here, as
 * watcher-model's `itemBytes` counts it), a Query's returned keys and their size, an UpdateItem's key,
 * whether it moved the watch index key (GSI2SK set) and whether its condition failed. Each request also
 * asks dynalite for its own ReturnConsumedCapacity (TOTAL), a cross-check: dynalite bills the table only.
 * Prints `BENCH_SWEEP {…}`; log and metric lines go to stdout as in Lambda, and the parent weighs them.
 */
import { performance } from 'node:perf_hooks';
import { summary } from './report-format';
import { itemBytes } from './watcher-model';

type Phase = 'before' | 'sweep' | 'after';
interface QueryCall {
  phase: Phase;
  partition: string;
  items: number;
  bytes: number;
  ms: number;
}

const latencies = new Map<string, number[]>();
const note = (kind: string, ms: number) => {
  const list = latencies.get(kind) ?? [];
  list.push(ms);
  latencies.set(kind, list);
};

const importStarted = performance.now();
const { dynamoDocumentClient, sfnClient } = await import('#shared/aws/clients');
const { watchServices } = await import('#shared/health/watch-services');
const importMs = performance.now() - importStarted;

let phase: Phase = 'before';
let sweepStarted: number | undefined;
let sweepEnded: number | undefined;
const calls: Record<Phase, Record<string, number>> = { before: {}, sweep: {}, after: {} };
/** GetItems per phase: calls, bytes read, RRU (strongly consistent: per 4 KB, 1 if absent), job keys read. */
const reads: Record<Phase, { calls: number; bytes: number; rru: number; jobs: Set<string> }> = {
  before: { calls: 0, bytes: 0, rru: 0, jobs: new Set() },
  sweep: { calls: 0, bytes: 0, rru: 0, jobs: new Set() },
  after: { calls: 0, bytes: 0, rru: 0, jobs: new Set() },
};
const queries: QueryCall[] = [];
/** Compact: [phase, key, moved the watch key (GSI2SK set), condition failed, dynalite's units]. */
const updates: [Phase, string, 0 | 1, 0 | 1, number][] = [];
const otherWrites: { phase: Phase; command: string; key: string; dynaliteUnits: number }[] = [];
const dynaliteUnits: Record<Phase, Record<string, number>> = { before: {}, sweep: {}, after: {} };
const keyOf = (key: unknown) => {
  const k = key as { PK?: unknown; SK?: unknown } | undefined;
  return k ? `${String(k.PK)}|${String(k.SK)}` : '';
};

dynamoDocumentClient().middlewareStack.add(
  (next, context) => async (args) => {
    const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
    const input = args.input as Record<string, unknown>;
    if (command === 'Query') {
      const pk = String((input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk']);
      if (/^WATCH#[^#]+#VALIDATE$/.test(pk) && phase === 'before') {
        phase = 'sweep';
        sweepStarted = performance.now();
      } else if (!/^WATCH#[^#]+#(VALIDATE|COLLECT|SUBMIT)$/.test(pk) && phase === 'sweep') {
        // The token verification's (or the outbox publisher's) Query.
        phase = 'after';
        sweepEnded = performance.now();
      }
    }
    const at: Phase = phase;
    calls[at][command] = (calls[at][command] ?? 0) + 1;
    const started = performance.now();
    let failed = false;
    let output: Record<string, unknown> | undefined;
    try {
      const result = await next({ ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } });
      output = result.output as Record<string, unknown>;
      return result;
    } catch (error) {
      failed = (error as Error).name === 'ConditionalCheckFailedException';
      throw error;
    } finally {
      const ms = performance.now() - started;
      note(`dynamodb ${command}`, ms);
      const units = Number(
        (output?.ConsumedCapacity as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0,
      );
      dynaliteUnits[at][command] = (dynaliteUnits[at][command] ?? 0) + units;
      const key = keyOf(input.Key);
      if (command === 'GetItem') {
        const item = output?.Item as Record<string, unknown> | undefined;
        const bytes = item ? itemBytes(item) : 0;
        reads[at].calls++;
        reads[at].bytes += bytes;
        reads[at].rru += bytes > 0 ? Math.ceil(bytes / 4096) : 1;
        if (key.includes('|JOB#')) reads[at].jobs.add(key);
      } else if (command === 'Query') {
        const items = (output?.Items ?? []) as Record<string, unknown>[];
        queries.push({
          phase: at,
          partition: String(
            (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'],
          ),
          items: items.length,
          bytes: items.reduce((sum, item) => sum + itemBytes(item), 0),
          ms,
        });
      } else if (command === 'UpdateItem') {
        const names = Object.values((input.ExpressionAttributeNames ?? {}) as Record<string, string>);
        updates.push([at, key, names.includes('GSI2SK') ? 1 : 0, failed ? 1 : 0, units]);
      } else if (command !== 'unknown') {
        otherWrites.push({ phase: at, command, key, dynaliteUnits: units });
      }
    }
  },
  { step: 'initialize', name: 'benchSweepCount' },
);

const sfnCalls: Record<Phase, Record<string, number>> = { before: {}, sweep: {}, after: {} };
const sfnOutcomes: Record<string, number> = {};
sfnClient().middlewareStack.add(
  (next, context) => async (args) => {
    const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
    const at = phase;
    sfnCalls[at][command] = (sfnCalls[at][command] ?? 0) + 1;
    const started = performance.now();
    try {
      const result = await next(args);
      const status = (result.output as { status?: string }).status;
      const outcome = `${command} ${status ?? 'ok'}`;
      sfnOutcomes[outcome] = (sfnOutcomes[outcome] ?? 0) + 1;
      return result;
    } catch (error) {
      const outcome = `${command} ${(error as Error).name}`;
      sfnOutcomes[outcome] = (sfnOutcomes[outcome] ?? 0) + 1;
      throw error;
    } finally {
      note(`sfn ${command}`, performance.now() - started);
    }
  },
  { step: 'initialize', name: 'benchSweepSfn' },
);

const cpuBefore = process.cpuUsage();
const started = performance.now();
const run = await watchServices();
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);

const result = `BENCH_SWEEP ${JSON.stringify({
  run,
  wallMs,
  sweepMs: sweepStarted !== undefined && sweepEnded !== undefined ? sweepEnded - sweepStarted : null,
  importMs,
  cpuUserMs: cpu.user / 1000,
  cpuSystemMs: cpu.system / 1000,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  calls,
  dynaliteUnits,
  reads: Object.fromEntries(
    Object.entries(reads).map(([p, r]) => [
      p,
      { calls: r.calls, bytes: r.bytes, rru: r.rru, jobs: r.jobs.size },
    ]),
  ),
  queries,
  updates,
  otherWrites,
  sfnCalls,
  sfnOutcomes,
  latencies: Object.fromEntries([...latencies].map(([kind, values]) => [kind, summary(values)])),
})}\n`;
// Open keep-alive sockets of the SDK would keep the process a while: exit once the line is written whole
// (stdout to a pipe is asynchronous; an exit before the write ends cuts the line).
process.stdout.write(result, () => process.exit(0));
