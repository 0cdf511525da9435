/**
 * The sweep's cost per watcher run at BENCH_SWEEP_JOBS jobs (default 10,000): what the watcher pays,
 * every minute, to find jobs whose Step Functions execution is gone. Every job driven by an execution
 * (VALIDATING, SUBMITTING, COPYING_RESULTS) carries a VALIDATE, SUBMIT or COLLECT watch in the sparse
 * keys-only watch index (GSI2); each run Queries each kind's partition for what is due and, per due job,
 * reads it (GetItem), asks Step Functions whether its execution still runs (DescribeExecution) and either
 * pushes the watch 5 minutes on (UpdateItem) or re-drives the job (`restartIfGone` in
 * shared/health/watch-jobs.ts: a timeline note, StartExecution, UpdateItems).
 *
 * Per run, afresh: dynalite with the gateway table in a process of its own (bench/serve.ts); in this
 * process a Cloudgene simulator (the run's probe finds the service UP) and a fake Step Functions endpoint
 * (the JSON protocol of infra/local/emulators/json-protocol.ts: DescribeExecution answers RUNNING, or for
 * a seeded execution of the `due-gone` run the 400 `{"__type":"ExecutionDoesNotExist"}` the SDK turns into
 * its ExecutionDoesNotExist exception; StartExecution answers an ARN, and what it started is RUNNING
 * afterwards; it counts every call; no workflow runs). Seeded by BatchWriteItem: the service's health
 * record after a week of probes (the steady state, so the probe changes nothing), BENCH_SWEEP_JOBS job
 * items of BENCH_SWEEP_OWNERS owners (jobRecord from test/support/job-fixtures, 22 inputs chr1–22, with
 * `executionArn`; 30 % VALIDATING/VALIDATE, 10 % SUBMITTING/SUBMIT, 60 % COPYING_RESULTS/COLLECT with the
 * service's messages, its 29 result files listed and half of them copied), and the owners' upload-slot
 * items holding leases of their submitting jobs. No other kind has a job: the run still Queries POLL,
 * SERVICE, SLOT, TOKEN, CANCEL (and the token verification and the outbox), as in production. Runs:
 *   - `idle`: no watch due (each look 1–5 min ahead): the sweep is its three Queries;
 *   - `due-running`: every watch due, every execution RUNNING: each job read, described, pushed 5 min;
 *   - `due-gone`: BENCH_SWEEP_GONE (default 1,000) of the jobs due, their executions gone: re-driven.
 * Then ONE watcher run, `watchServices()`, with the deployed settings (WORKFLOW_TIME_SCALE 1,
 * WATCH_BUDGET_MS 45000, WATCH_CONCURRENCY 8, INFO logs, EMF metrics on) in a fresh Node 22 process
 * (bench/sweep-cost-run.ts), which counts its calls by phase; the sweep part is from the Query of the
 * VALIDATE partition to the next Query of another partition (the token verification's: the watcher
 * handles VALIDATE, SUBMIT and COLLECT after every other kind).
 *
 * Measured: calls by command and phase, the jobs the index returned and the jobs read, the re-drives, the
 * wall and CPU times (on this box: dynalite is slower than DynamoDB, the fake answers Step Functions calls
 * in ~1 ms where AWS takes tens: BENCH_SWEEP_SFN_MS holds each answer that long), the size of every job
 * item read (GetItem, as watcher-model's itemBytes counts) and of every item before and after the run
 * (read back), the log bytes the run wrote. Modelled from those (bench/watcher-model.ts): request units
 * and prices. A GetItem is strongly consistent (ItemStore.get): ceil(size / 4 KB) RRU, 1 if absent. A
 * Query of the keys-only index is eventually consistent: 0.5 RRU per 4 KB of keys returned, at least
 * 0.5. An UpdateItem of a job is billed (jobItemUnits) on the larger of the item's sizes before and after
 * the run (the sizes between lie between them; a job's items only grow here): the table, plus GSI1 (the
 * status index, projection ALL: the whole item again), plus, when it sets GSI2SK, GSI2 (keys only: the
 * entry's delete and put); a write whose condition failed bills the table only; the note of a re-drive
 * moves no GSI2 key. Other items (health, upload slots) have no index keys: the table only. dynalite's
 * own ReturnConsumedCapacity (table only, no minimum) is printed beside as a cross-check. Lambda: the run's
 * wall time at 1,024 MB, arm64 as deployed ($0.0000133334 per GB-s) plus a request; the sweep part's
 * share is its wall time. Step Functions API calls are not billed (Standard workflows pay per state
 * transition); a re-drive's StartExecution starts a workflow whose transitions are the job's own cost,
 * not the sweep's, and are left out. Per day: the run's cost × 1,440 (one run a minute), as if every run
 * were like it. Also modelled at the end: one look by kind (from the seeded sizes), and the steady state of
 * jobs whose executions run, each looked at every 5 min (EXECUTION_LOOK_SECONDS; 288 a day) at the seeded
 * mix's DynamoDB cost per look plus the Lambda time per look measured in `due-running`.
 *
 * Run: npm run bench:sweep — BENCH_SWEEP_RUNS (default `idle,due-running,due-gone`), BENCH_SWEEP_JOBS,
 * BENCH_SWEEP_GONE, BENCH_SWEEP_OWNERS (default 1,000), BENCH_SWEEP_SFN_MS (default 0).
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { AwsProtocolError, startJsonProtocolServer } from '#infra/local/emulators/json-protocol';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { userPartition } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import { type HealthRecord, observe } from '#shared/health/service-health';
import type { JobRecord, RemoteResultFile, ResultFileOutcome } from '#shared/jobs/job-record';
import { JobStatus } from '#shared/jobs/job-status';
import { EXECUTION_LOOK_SECONDS, type JobWatch } from '#shared/jobs/job-watch';
import { resultKey } from '#shared/jobs/result-store';
import { logger } from '#shared/logger';
import { resetRuntime } from '#shared/runtime';
import { environmentFor } from '#shared/settings';
import { jobRecord } from '#test/support/job-fixtures';
import { catalogEntry } from '#test/support/simulated-service';
import { markedResult, runNode } from './child-process';
import { node22 } from './node22';
import { forEachLimited, int, ms, type Summary, usd, type WatcherRunFigures } from './report-format';
import { batchWrite, CHROMOSOMES, cohortJobFields, jobItem } from './seed-cohort';
import { startServer } from './serve';
import { itemBytes, jobItemUnits, PRICES, prng } from './watcher-model';

const JOBS = Number(process.env.BENCH_SWEEP_JOBS ?? 10_000);
const GONE = Math.min(JOBS, Number(process.env.BENCH_SWEEP_GONE ?? 1_000));
const OWNERS = Number(process.env.BENCH_SWEEP_OWNERS ?? 1_000);
const SFN_MS = Number(process.env.BENCH_SWEEP_SFN_MS ?? 0);
const RUNS = (process.env.BENCH_SWEEP_RUNS ?? 'idle,due-running,due-gone').split(',').map((r) => r.trim());
const BUDGET_MS = 45_000;
const CONCURRENCY = 8;
const LAMBDA_GB = 1;
const RUNS_PER_DAY = 1_440;
const TABLE = 'bench-sweep';
const SERVICE_ID = 'michigan';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:imputation-job';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const root = resolve(import.meta.dirname, '..');
const node = node22();
// This process only seeds and serves; the run's logs are the child's (and weighed there).
logger.setLogLevel('ERROR');

type Scenario = 'idle' | 'due-running' | 'due-gone';
type SweepKind = 'VALIDATE' | 'SUBMIT' | 'COLLECT';
type Phase = 'before' | 'sweep' | 'after';
const SCENARIOS: Record<Scenario, string> = {
  idle: `${JOBS.toLocaleString('en-US')} jobs, no watch due`,
  'due-running': `${JOBS.toLocaleString('en-US')} jobs, every watch due, every execution RUNNING`,
  'due-gone': `${JOBS.toLocaleString('en-US')} jobs, ${GONE.toLocaleString('en-US')} due with their execution gone, the rest not due`,
};
for (const r of RUNS) {
  if (!(r in SCENARIOS)) throw new Error(`BENCH_SWEEP_RUNS: "${r}" is not one of ${Object.keys(SCENARIOS)}`);
}

const KIND_OF: Record<SweepKind, { status: JobStatus; lookSeconds: number }> = {
  VALIDATE: { status: JobStatus.VALIDATING, lookSeconds: EXECUTION_LOOK_SECONDS },
  SUBMIT: { status: JobStatus.SUBMITTING, lookSeconds: EXECUTION_LOOK_SECONDS },
  COLLECT: { status: JobStatus.COPYING_RESULTS, lookSeconds: EXECUTION_LOOK_SECONDS },
};

/** What bench/sweep-cost-run.ts prints. */
interface ChildResult extends WatcherRunFigures {
  sweepMs: number | null;
  calls: Record<Phase, Record<string, number>>;
  dynaliteUnits: Record<Phase, Record<string, number>>;
  reads: Record<Phase, { calls: number; bytes: number; rru: number; jobs: number }>;
  queries: { phase: Phase; partition: string; items: number; bytes: number; ms: number }[];
  updates: [Phase, string, 0 | 1, 0 | 1, number][];
  otherWrites: { phase: Phase; command: string; key: string; dynaliteUnits: number }[];
  sfnCalls: Record<Phase, Record<string, number>>;
  sfnOutcomes: Record<string, number>;
  latencies: Record<string, Summary>;
}

// --- the fake Step Functions endpoint --------------------------------------------------------------------

async function startFakeStepFunctions(goneArns: ReadonlySet<string>) {
  const counts: Record<string, number> = {};
  const started = new Set<string>();
  const count = (what: string) => {
    counts[what] = (counts[what] ?? 0) + 1;
  };
  const hold = () => (SFN_MS > 0 ? sleep(SFN_MS) : undefined);
  const server = await startJsonProtocolServer({
    targetPrefix: 'AWSStepFunctions',
    operations: {
      async DescribeExecution(input) {
        await hold();
        const arn = String(input.executionArn);
        if (goneArns.has(arn) && !started.has(arn)) {
          count('DescribeExecution ExecutionDoesNotExist');
          // The error shape of the emulator (and of AWS): the SDK maps __type to ExecutionDoesNotExist.
          throw new AwsProtocolError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        }
        count('DescribeExecution RUNNING');
        return {
          executionArn: arn,
          stateMachineArn: STATE_MACHINE_ARN,
          name: arn.split(':').at(-1),
          status: 'RUNNING',
          startDate: Date.now() / 1000 - 3600,
          input: '{}',
        };
      },
      async StartExecution(input) {
        await hold();
        if (input.stateMachineArn !== STATE_MACHINE_ARN) {
          count('StartExecution StateMachineDoesNotExist');
          throw new AwsProtocolError('StateMachineDoesNotExist', `State Machine Does Not Exist`);
        }
        const arn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${String(input.name)}`;
        if (started.has(arn)) {
          count('StartExecution ExecutionAlreadyExists');
          throw new AwsProtocolError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
        }
        started.add(arn);
        count('StartExecution');
        return { executionArn: arn, startDate: Date.now() / 1000 };
      },
    },
  });
  return { ...server, counts };
}

// --- seeding -----------------------------------------------------------------------------------------------

/** The services' log messages of a finished 22-file imputation, as poll-job keeps them (plain text). */
const REMOTE_MESSAGES: { step: string; type: number; message: string }[] = [
  {
    step: 'Input Validation',
    type: 0,
    message: `22 valid VCF file(s) found.\nSamples: 2504\nChromosomes: ${CHROMOSOMES.join(' ')}\nSNPs: 1784231\nChunks: 155\nDatatype: unphased\nBuild: hg19\nReference Panel: 1000g-phase-3-v5 (hg19)\nPopulation: eur\nPhasing: eagle\nMode: imputation`,
  },
  {
    step: 'Quality Control',
    type: 0,
    message:
      'Uploaded data is hg19 and reference is hg19.\n\nStatistics:\nAlternative allele frequency > 0.5 sites: 215,402\nReference Overlap: 98.71 %\nMatch: 1,752,310\nAllele switch: 9,804\nStrand flip: 12\nStrand flip and allele switch: 3\nA/T, C/G genotypes: 4,112\nFiltered sites:\nFilter flag set: 0\nInvalid alleles: 0\nMultiallelic sites: 0\nDuplicated sites: 41\nNonSNP sites: 0\nMonomorphic sites: 1,208\nAllele mismatch: 377\nSNPs call rate < 90%: 0',
  },
  {
    step: 'Quality Control',
    type: 2,
    message:
      'Excluded sites in total: 1,626\nRemaining sites in total: 1,760,214\nSee snps-excluded.txt for details\nTyped only sites: 21,433\nSee typed-only.txt for details',
  },
  { step: 'Quality Control', type: 0, message: 'Calculating QC Statistics done.' },
  { step: 'Pre-phasing and Imputation', type: 0, message: 'Imputation finished successfully (155 chunks).' },
  {
    step: 'Data Compression and Encryption',
    type: 0,
    message: 'Exported data. Data have been encrypted with the password sent by email.',
  },
];

/** The results a 22-file Michigan imputation lists (logs excluded: resultFilesToCopy skips them). */
function remoteFiles(random: () => number): RemoteResultFile[] {
  const hash = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
  return [
    ...CHROMOSOMES.map((c) => ({
      name: `chr_${c}.zip`,
      hash: hash(),
      size: `${(0.4 + random() * 2).toFixed(1)} GB`,
      param: 'outputimputation',
    })),
    { name: 'qc_report.txt', hash: hash(), size: '2 KB', param: 'qcreport' },
    { name: 'quality-control.html', hash: hash(), size: '1 MB', param: 'qcreport' },
    { name: 'snps-excluded.txt', hash: hash(), size: '120 KB', param: 'statistics' },
    { name: 'chunks-excluded.txt', hash: hash(), size: '1 KB', param: 'statistics' },
    { name: 'typed-only.txt', hash: hash(), size: '800 KB', param: 'statistics' },
    { name: 'chunks.txt', hash: hash(), size: '9 KB', param: 'statistics' },
    { name: 'statistics.txt', hash: hash(), size: '1 KB', param: 'statistics' },
  ];
}

/** The service's health record after a week of probes a minute, the last a minute ago (steady: UP). */
function healthItem(now: number): Record<string, unknown> {
  let record: HealthRecord | undefined;
  const start = now - 7 * 24 * HOUR;
  for (let minute = 0; minute < 7 * 24 * 60; minute++) {
    record = observe(record, SERVICE_ID, {
      at: new Date(start + minute * MINUTE).toISOString(),
      outcome: 'UP',
      latencyMs: 180 + (minute % 97),
      queueSize: 30 + (minute % 41),
    });
  }
  return { PK: `SERVICE#${SERVICE_ID}`, SK: 'HEALTH', entity: 'ServiceHealth', ...record };
}

interface Seeded {
  jobs: Map<string, { item: Record<string, unknown>; kind: SweepKind; due: boolean; bytes: number }>;
  others: Map<string, Record<string, unknown>>;
  goneArns: Set<string>;
  perKind: Record<SweepKind, { jobs: number; due: number }>;
}

function seedItems(scenario: Scenario): Seeded {
  const random = prng(42);
  const now = Date.now();
  const nextUlid = monotonicFactory();
  const executionArn = (name: string) =>
    `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
  const owners = Array.from({ length: OWNERS }, (_, i) => `sub-bench-${String(i).padStart(5, '0')}`);
  const jobs: Seeded['jobs'] = new Map();
  const goneArns = new Set<string>();
  const leases = new Map<string, Record<string, string>>();
  const perKind: Seeded['perKind'] = {
    VALIDATE: { jobs: 0, due: 0 },
    SUBMIT: { jobs: 0, due: 0 },
    COLLECT: { jobs: 0, due: 0 },
  };
  const goneEvery = GONE > 0 ? JOBS / GONE : Number.POSITIVE_INFINITY;
  for (let i = 0; i < JOBS; i++) {
    const owner = owners[Math.floor(random() * owners.length)]!;
    const r = random();
    const kind: SweepKind = r < 0.3 ? 'VALIDATE' : r < 0.4 ? 'SUBMIT' : 'COLLECT';
    const { status, lookSeconds } = KIND_OF[kind];
    const due =
      scenario === 'due-running' ||
      (scenario === 'due-gone' && Math.floor(i / goneEvery) !== Math.floor((i - 1) / goneEvery));
    // Due: up to 5 min late (a running watcher leaves them so); not due: the next look 1 to 5 min ahead.
    const nextAt = due
      ? now - 1_000 - Math.floor(random() * 5 * MINUTE)
      : now + MINUTE + Math.floor(random() * (lookSeconds * 1000 - MINUTE));
    const since = nextAt - lookSeconds * 1000;
    const createdAt = new Date(since - (kind === 'VALIDATE' ? 0 : 20 * MINUTE) - 5 * MINUTE).toISOString();
    const jobId = nextUlid(Date.parse(createdAt));
    // The job's own execution validates and submits; a collect is started by the watcher, numbered.
    const arn = executionArn(kind === 'COLLECT' ? `${jobId}-collect-1` : jobId);
    if (due && scenario === 'due-gone') goneArns.add(arn);
    const iso = (ms: number) => new Date(ms).toISOString();
    const events: JobRecord['events'] = [
      { at: createdAt, to: JobStatus.QUEUED },
      { at: createdAt, to: JobStatus.VALIDATING },
    ];
    const extra: Partial<JobRecord> = {};
    if (kind !== 'VALIDATE') {
      extra.inputChecks = {
        samples: 2504,
        chromosomes: CHROMOSOMES,
        variants: 1_784_231,
        build: 'hg19',
        buildEvidence: [
          'the contig lengths in the header are GRCh37’s',
          'positions beyond GRCh38 ends on chr1',
        ],
      };
      events.push({
        at: iso(kind === 'SUBMIT' ? since : since - 3 * HOUR),
        to: JobStatus.SUBMITTING,
        detail: `22 input file(s) valid: 2504 samples, chromosome(s) ${CHROMOSOMES.join(', ')}, 1784231 variants, hg19 by the files' own evidence`,
      });
    }
    if (kind === 'SUBMIT') {
      extra.submissionAttemptAt = iso(since + 30_000);
      const held = leases.get(owner) ?? {};
      if (Object.keys(held).length < 3) held[jobId] = iso(since + 20_000);
      leases.set(owner, held);
    }
    if (kind === 'COLLECT') {
      const submittedAt = since - 3 * HOUR + 2 * MINUTE;
      const at = new Date(submittedAt);
      const externalJobId = `job-${iso(submittedAt).slice(0, 10).replaceAll('-', '')}-${iso(submittedAt).slice(11, 19).replaceAll(':', '')}-${at.getUTCMilliseconds()}-${i}`;
      const files = remoteFiles(random);
      const copyOutcomes: Record<string, ResultFileOutcome> = {};
      files.forEach((file, index) => {
        if (index % 2 === 1) return;
        copyOutcomes[String(index)] = {
          status: 'COPIED',
          at: iso(since + index * 20_000),
          name: file.name,
          key: resultKey(owner, jobId, file.name),
          size: 400_000_000 + index,
          sha256: '0'.repeat(64),
        };
      });
      events.push(
        {
          at: iso(submittedAt),
          to: JobStatus.QUEUED_REMOTE,
          detail: `submitted to the service as ${externalJobId}`,
        },
        {
          at: iso(submittedAt + MINUTE),
          to: JobStatus.RUNNING,
          detail: 'Quality Control: Calculating QC Statistics done.',
        },
        { at: iso(since), to: JobStatus.COPYING_RESULTS, detail: `${files.length} result file(s) to copy` },
      );
      Object.assign(extra, {
        externalJobId,
        remote: { state: 4, messages: REMOTE_MESSAGES, checkedAt: iso(since) },
        remoteFiles: files,
        copyOutcomes,
      } satisfies Partial<JobRecord>);
    }
    const watch: JobWatch = {
      kind,
      nextAt: iso(nextAt),
      since: iso(since),
      baseWaitSeconds: 0,
      count: kind === 'COLLECT' ? 1 : 0,
    };
    const record = jobRecord({
      jobId,
      owner,
      ...cohortJobFields(owner, i, () => nextUlid(Date.parse(createdAt) - 30 * MINUTE)),
      status,
      createdAt,
      updatedAt: iso(since),
      statusChangedAt: events.at(-1)!.at,
      events,
      executionArn: arn,
      ...extra,
    });
    const item = jobItem(record, SERVICE_ID, watch);
    const key = `${item.PK}|${item.SK}`;
    jobs.set(key, { item, kind, due, bytes: itemBytes(item) });
    perKind[kind].jobs++;
    if (due) perKind[kind].due++;
  }
  const others = new Map<string, Record<string, unknown>>();
  const health = healthItem(now - MINUTE);
  others.set(`${health.PK}|${health.SK}`, health);
  for (const [owner, held] of leases) {
    const item = {
      PK: userPartition(owner),
      SK: `SLOTS#${SERVICE_ID}`,
      entity: 'UploadSlots',
      leases: held,
      submitted: 12,
    };
    others.set(`${item.PK}|${item.SK}`, item);
  }
  return { jobs, others, goneArns, perKind };
}

async function readBack(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const batches = Array.from({ length: Math.ceil(keys.length / 100) }, (_, b) =>
    keys.slice(b * 100, b * 100 + 100),
  );
  await forEachLimited(batches, 4, async (batch) => {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
      [TABLE]: {
        Keys: batch.map((k) => {
          const [PK, SK] = k.split('|');
          return { PK, SK };
        }),
        ConsistentRead: true,
      },
    };
    while (Object.keys(request).length > 0) {
      const out = await dynamoDocumentClient().send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[TABLE] ?? []) found.set(`${item.PK}|${item.SK}`, item);
      request = (out.UnprocessedKeys ?? {}) as typeof request;
    }
  });
  return found;
}

// --- one measurement ------------------------------------------------------------------------------------

interface Bill {
  calls: Record<string, number>;
  rru: number;
  rruGet: number;
  rruQuery: number;
  wru: number;
  wruTable: number;
  wruGsi1: number;
  wruGsi2: number;
  dynaliteRead: number;
  dynaliteWrite: number;
}

interface Measurement {
  scenario: Scenario;
  seeded: Seeded;
  child: ChildResult;
  seedSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
  emfBytes: number;
  logBytes: number;
  fakeCounts: Record<string, number>;
  bills: Record<Phase | 'run', Bill>;
  jobsRead: number;
  returnedByKind: Record<SweepKind, number>;
  itemBytesAfter: Map<string, number>;
}

function bill(
  child: ChildResult,
  phases: Phase[],
  before: (key: string) => number | undefined,
  after: (key: string) => Record<string, unknown> | undefined,
): Bill {
  const calls: Record<string, number> = {};
  for (const p of phases) {
    for (const [command, n] of Object.entries(child.calls[p])) calls[command] = (calls[command] ?? 0) + n;
  }
  let rruGet = 0;
  let rruQuery = 0;
  let wruTable = 0;
  let wruGsi1 = 0;
  let wruGsi2 = 0;
  // GetItem: strongly consistent, ceil(size / 4 KB) of each item read (1 if absent), summed by the child.
  for (const p of phases) rruGet += child.reads[p].rru;
  for (const q of child.queries)
    if (phases.includes(q.phase)) rruQuery += 0.5 * Math.max(1, Math.ceil(q.bytes / 4096));
  for (const [phase, key, movesWatch, failed, dynaliteUnits] of child.updates) {
    if (!phases.includes(phase)) continue;
    const now = after(key);
    const size = Math.max(before(key) ?? 0, now ? itemBytes(now) : 0);
    if (size === 0) {
      // An item this bench did not seed nor find: what dynalite counted (table only).
      wruTable += Math.max(1, dynaliteUnits);
      continue;
    }
    if (!key.includes('|JOB#')) {
      wruTable += Math.ceil(size / 1024);
      continue;
    }
    const entry = now
      ? itemBytes({
          PK: now.PK,
          SK: now.SK,
          [tableKeys.gsi2.partitionKey]: now[tableKeys.gsi2.partitionKey],
          [tableKeys.gsi2.sortKey]: now[tableKeys.gsi2.sortKey],
        })
      : 0;
    const units = jobItemUnits(size, entry);
    wruTable += units.table;
    if (failed) continue;
    wruGsi1 += units.gsi1;
    if (movesWatch) wruGsi2 += units.gsi2;
  }
  for (const w of child.otherWrites) {
    if (phases.includes(w.phase) && !['GetItem', 'Query', 'BatchGetItem'].includes(w.command)) {
      wruTable += Math.max(1, w.dynaliteUnits);
    } else if (phases.includes(w.phase)) {
      rruGet += w.dynaliteUnits;
    }
  }
  let dynaliteRead = 0;
  let dynaliteWrite = 0;
  for (const p of phases) {
    for (const [command, units] of Object.entries(child.dynaliteUnits[p])) {
      if (['GetItem', 'Query', 'BatchGetItem', 'Scan'].includes(command)) dynaliteRead += units;
      else dynaliteWrite += units;
    }
  }
  return {
    calls,
    rru: rruGet + rruQuery,
    rruGet,
    rruQuery,
    wru: wruTable + wruGsi1 + wruGsi2,
    wruTable,
    wruGsi1,
    wruGsi2,
    dynaliteRead,
    dynaliteWrite,
  };
}

async function measure(scenario: Scenario): Promise<Measurement> {
  const dynamodb = await startServer('dynamodb', { BENCH_TABLE: TABLE });
  const sim = await startCloudgeneSimulator({ scenario: 'manual' });
  const seeded = seedItems(scenario);
  const sfn = await startFakeStepFunctions(seeded.goneArns);
  try {
    const env = environmentFor({
      ...emulatorSdkSettings({
        dynamodb: dynamodb.url,
        stepFunctions: sfn.url,
        // Nothing of the sweep reads a secret or publishes an event: were anything to, it fails at once.
        secretsManager: 'http://127.0.0.1:9',
        eventBridge: 'http://127.0.0.1:9',
      }),
      TABLE_NAME: TABLE,
      SECRETS_PREFIX: 'bench-sweep',
      STATE_MACHINE_ARN,
      EVENT_BUS_NAME: 'bench-sweep',
      SERVICE_CATALOG: [catalogEntry(SERVICE_ID, 'Michigan (simulated)', sim, 3)],
      WORKFLOW_TIME_SCALE: 1,
      WATCH_BUDGET_MS: BUDGET_MS,
      // The simulator listens on 127.0.0.1 over plain http (deployed catalogs are https only).
      OUTBOUND_ALLOW_LOOPBACK: true,
      WATCH_CONCURRENCY: CONCURRENCY,
      POWERTOOLS_SERVICE_NAME: 'imputation-gateway',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    Object.assign(process.env, env);
    resetRuntime();
    const seedStarted = performance.now();
    await batchWrite(TABLE, [...[...seeded.jobs.values()].map((j) => j.item), ...seeded.others.values()]);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const loadBefore = loadavg();
    const output = await runNode(
      node.path,
      ['--import', 'tsx', resolve(import.meta.dirname, 'sweep-cost-run.ts')],
      { cwd: root, env: { ...process.env, ...env, NODE_OPTIONS: '' } },
    );
    const loadAfter = loadavg();
    const child = markedResult<ChildResult>(output, 'BENCH_SWEEP', 'watcher run');
    const others = output.stdout.split('\n').filter((l) => l.length > 0 && !l.startsWith('BENCH_SWEEP '));
    const bytes = (ls: string[]) => ls.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);

    // Every item the run may have written, as it left it.
    const after = await readBack([...seeded.jobs.keys(), ...seeded.others.keys()]);
    const beforeBytes = (key: string) =>
      seeded.jobs.get(key)?.bytes ??
      (seeded.others.has(key) ? itemBytes(seeded.others.get(key)!) : undefined);
    const bills = {
      before: bill(child, ['before'], beforeBytes, (k) => after.get(k)),
      sweep: bill(child, ['sweep'], beforeBytes, (k) => after.get(k)),
      after: bill(child, ['after'], beforeBytes, (k) => after.get(k)),
      run: bill(child, ['before', 'sweep', 'after'], beforeBytes, (k) => after.get(k)),
    };
    const jobsRead = child.reads.sweep.jobs;
    const returnedByKind = { VALIDATE: 0, SUBMIT: 0, COLLECT: 0 };
    for (const q of child.queries) {
      const kind = q.partition.split('#')[2] as SweepKind;
      if (q.phase === 'sweep' && kind in returnedByKind) returnedByKind[kind] += q.items;
    }
    const itemBytesAfter = new Map([...after].map(([k, item]) => [k, itemBytes(item)]));
    return {
      scenario,
      seeded,
      child,
      seedSeconds,
      loadBefore,
      loadAfter,
      emfBytes: bytes(others.filter((l) => l.includes('"_aws"'))),
      logBytes: bytes(others.filter((l) => !l.includes('"_aws"'))) + Buffer.byteLength(output.stderr),
      fakeCounts: { ...sfn.counts },
      bills,
      jobsRead,
      returnedByKind,
      itemBytesAfter,
    };
  } finally {
    await sfn.close();
    await sim.close();
    await dynamodb.stop();
  }
}

// --- report ---------------------------------------------------------------------------------------------

const num = (value: number) =>
  Number.isInteger(value) ? int(value) : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
const line = (label: string, value: string) => console.log(`  ${label.padEnd(96)} ${value}`);
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
const callsText = (calls: Record<string, number>) =>
  Object.keys(calls).length === 0
    ? 'none'
    : Object.keys(calls)
        .sort()
        .map((k) => `${k} ${int(calls[k]!)}`)
        .join(', ');

const dynamoUsd = (b: Bill) => b.rru * PRICES.rru + b.wru * PRICES.wru;

/**
 * DynamoDB cost of one look at a due job whose execution runs (GetItem, UpdateItem pushing the watch,
 * a hundredth of a Query page), averaged over every seeded job: the mix of kinds and their sizes, whatever
 * part of it a run reached before its budget ran out.
 */
function mixLookUsd(seeded: Seeded): number {
  let sum = 0;
  for (const { item, bytes } of seeded.jobs.values()) {
    const entry = itemBytes({
      PK: item.PK,
      SK: item.SK,
      [tableKeys.gsi2.partitionKey]: item[tableKeys.gsi2.partitionKey],
      [tableKeys.gsi2.sortKey]: item[tableKeys.gsi2.sortKey],
    });
    const u = jobItemUnits(bytes, entry);
    sum += (u.rru + 0.5 / 100) * PRICES.rru + u.wru * PRICES.wru;
  }
  return sum / seeded.jobs.size;
}
const lambdaUsd = (wallMs: number) => (wallMs / 1000) * LAMBDA_GB * PRICES.lambdaGbSecondArm;

console.log(
  `Sweep cost: ${int(JOBS)} jobs driven by executions (VALIDATE / SUBMIT / COLLECT watches) of ${int(OWNERS)} owners at one simulated service; one watcher run per measurement in a fresh Node ${node.version} process`,
);
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'} (the deployed watcher: arm64 Lambda, 1,024 MB)`,
);
console.log(`Load average at start (1 / 5 / 15 min): ${load(loadavg())} — other processes share these cores`);
console.log(
  `Deployed settings: WORKFLOW_TIME_SCALE 1, WATCH_BUDGET_MS ${BUDGET_MS}, WATCH_CONCURRENCY ${CONCURRENCY}. dynalite in its own process; simulator (probe) and the fake Step Functions endpoint (answers held ${SFN_MS} ms) in the bench's.`,
);

const measured: Measurement[] = [];
for (const scenario of RUNS as Scenario[]) {
  const m = await measure(scenario);
  measured.push(m);
  const c = m.child;
  const j = c.run.jobs;
  const s = m.bills.sweep;
  const r = m.bills.run;
  const sweepMs = c.sweepMs ?? 0;
  const k = m.seeded.perKind;
  console.log(`\n--- ${scenario}: ${SCENARIOS[scenario]}`);
  line(
    'load average (1 / 5 / 15 min) before / after the run',
    `${load(m.loadBefore)}  →  ${load(m.loadAfter)}`,
  );
  line('seeding (job items, health record, upload slots; BatchWriteItem), s', m.seedSeconds.toFixed(1));
  line(
    'jobs seeded (due): VALIDATING·VALIDATE / SUBMITTING·SUBMIT / COPYING_RESULTS·COLLECT',
    `${int(k.VALIDATE.jobs)} (${int(k.VALIDATE.due)}) / ${int(k.SUBMIT.jobs)} (${int(k.SUBMIT.due)}) / ${int(k.COLLECT.jobs)} (${int(k.COLLECT.due)})`,
  );
  for (const kind of ['VALIDATE', 'SUBMIT', 'COLLECT'] as const) {
    const sizes = [...m.seeded.jobs.values()].filter((x) => x.kind === kind).map((x) => x.bytes);
    if (sizes.length === 0) continue;
    line(
      `  job item size as billed, ${KIND_OF[kind].status}: mean / max bytes`,
      `${int(sizes.reduce((a, b) => a + b, 0) / sizes.length)} / ${int(Math.max(...sizes))}`,
    );
  }
  line(
    'due keys the index returned: VALIDATE / COLLECT / SUBMIT',
    `${int(m.returnedByKind.VALIDATE)} / ${int(m.returnedByKind.COLLECT)} / ${int(m.returnedByKind.SUBMIT)}`,
  );
  line('jobs looked at (read by GetItem in the sweep, distinct)', int(m.jobsRead));
  line(
    'jobs re-driven (jobs.redriven) / errors / run cut short by the budget (jobs.deferred)',
    `${int(j.redriven)} / ${j.errors} / ${j.deferred}`,
  );
  line(
    'wall time of watchServices() (probe, every kind, verification, outbox), s',
    (c.wallMs / 1000).toFixed(2),
  );
  line(
    'wall time of the sweep part (VALIDATE Query → the token verification Query), s',
    (sweepMs / 1000).toFixed(3),
  );
  if (m.jobsRead > 0) {
    line('sweep throughput, jobs looked at per second', (m.jobsRead / (sweepMs / 1000)).toFixed(0));
  }
  line('DynamoDB calls in the sweep', callsText(s.calls));
  line('DynamoDB calls in the whole run', callsText(r.calls));
  line(
    'sweep RRU: GetItem (strong, per 4 KB) + Query (keys-only index, 0.5 per 4 KB, min 0.5)',
    `${num(s.rruGet)} + ${num(s.rruQuery)} = ${num(s.rru)}`,
  );
  line(
    'sweep WRU: table + GSI1 (projection ALL) + GSI2 (keys only, key moved: delete + put)',
    `${num(s.wruTable)} + ${num(s.wruGsi1)} + ${num(s.wruGsi2)} = ${num(s.wru)}`,
  );
  line('whole run RRU / WRU (same model)', `${num(r.rru)} / ${num(r.wru)}`);
  line(
    "  cross-check, dynalite's ReturnConsumedCapacity of the sweep, read / write (table only, no minimum)",
    `${num(s.dynaliteRead)} / ${num(s.dynaliteWrite)}`,
  );
  line('Step Functions calls in the sweep (SDK side)', callsText(c.sfnCalls.sweep));
  line('  as the fake endpoint answered them', callsText(m.fakeCounts));
  line(
    'latency p50: GetItem / UpdateItem / Query (dynalite); DescribeExecution / StartExecution (fake)',
    `${ms(c.latencies['dynamodb GetItem']?.p50)} / ${ms(c.latencies['dynamodb UpdateItem']?.p50)} / ${ms(c.latencies['dynamodb Query']?.p50)}; ${ms(c.latencies['sfn DescribeExecution']?.p50)} / ${ms(c.latencies['sfn StartExecution']?.p50)}`,
  );
  line(
    'CPU time of the run process (user + system), s; peak RSS, MB',
    `${((c.cpuUserMs + c.cpuSystemMs) / 1000).toFixed(2)}; ${c.maxRssMb.toFixed(0)}`,
  );
  line(
    'log bytes the run wrote: EMF metric lines / other log lines',
    `${int(m.emfBytes)} / ${int(m.logBytes)}`,
  );
  const sweepCost = dynamoUsd(s) + lambdaUsd(sweepMs);
  const runLogs = (m.emfBytes + m.logBytes) * PRICES.logsByte;
  const runCost = dynamoUsd(r) + lambdaUsd(c.wallMs) + PRICES.lambdaRequest + runLogs;
  line(
    'cost of the sweep per run: DynamoDB + Lambda (its wall time × 1 GB, arm64) = total',
    `${usd(dynamoUsd(s))} + ${usd(lambdaUsd(sweepMs))} = ${usd(sweepCost)}`,
  );
  line(
    'cost of the whole run: DynamoDB + Lambda (wall × 1 GB + request) + logs = total',
    `${usd(dynamoUsd(r))} + ${usd(lambdaUsd(c.wallMs) + PRICES.lambdaRequest)} + ${usd(runLogs)} = ${usd(runCost)}`,
  );
  line(
    `per day, were each of the ${int(RUNS_PER_DAY)} runs like this one: the sweep / the whole run`,
    `${usd(sweepCost * RUNS_PER_DAY)} / ${usd(runCost * RUNS_PER_DAY)}`,
  );
  if (m.jobsRead > 0) {
    const per = m.jobsRead;
    const perJobCalls = Object.entries(s.calls)
      .map(([cmd, n]) => `${cmd} ${(n / per).toFixed(2)}`)
      .join(', ');
    line(
      `per job looked at: DynamoDB calls; RRU / WRU; cost`,
      `${perJobCalls}; ${(s.rru / per).toFixed(2)} / ${(s.wru / per).toFixed(2)}; ${usd(sweepCost / per)}`,
    );
  }
  if (scenario === 'due-running' && m.jobsRead > 0 && m.jobsRead < JOBS) {
    const perLook = mixLookUsd(m.seeded) + lambdaUsd(sweepMs / m.jobsRead);
    line(
      `all ${int(JOBS)} due jobs, at the seeded mix's cost per look (this run reached ${int(m.jobsRead)}, the rest are due at the next runs)`,
      `${usd(perLook * JOBS)} over ${Math.ceil(JOBS / m.jobsRead)} runs`,
    );
  }
  if (j.redriven > 0) {
    line(
      'per re-drive (the whole sweep / jobs re-driven): RRU / WRU; cost; StartExecution',
      `${(s.rru / j.redriven).toFixed(2)} / ${(s.wru / j.redriven).toFixed(2)}; ${usd(sweepCost / j.redriven)}; ${((c.sfnCalls.sweep.StartExecution ?? 0) / j.redriven).toFixed(2)}`,
    );
  }
}

// --- summary and what follows -------------------------------------------------------------------------------

console.log('\n=== Per run (measured counts; request units and dollars modelled as the header says)');
console.log(
  `  ${'run'.padEnd(12)} ${'looked at'.padStart(9)} ${'re-driven'.padStart(9)} ${'sweep s'.padStart(8)} ${'run s'.padStart(7)} ${'DDB calls'.padStart(9)} ${'RRU'.padStart(8)} ${'WRU'.padStart(8)} ${'SFN calls'.padStart(9)} ${'sweep $/run'.padStart(12)} ${'sweep $/day'.padStart(12)} ${'run $/day'.padStart(10)}`,
);
for (const m of measured) {
  const s = m.bills.sweep;
  const sweepMs = m.child.sweepMs ?? 0;
  const sweepCost = dynamoUsd(s) + lambdaUsd(sweepMs);
  const runCost =
    dynamoUsd(m.bills.run) +
    lambdaUsd(m.child.wallMs) +
    PRICES.lambdaRequest +
    (m.emfBytes + m.logBytes) * PRICES.logsByte;
  const ddb = Object.values(s.calls).reduce((a, b) => a + b, 0);
  const sfnCalls = Object.values(m.child.sfnCalls.sweep).reduce((a, b) => a + b, 0);
  console.log(
    `  ${m.scenario.padEnd(12)} ${int(m.jobsRead).padStart(9)} ${int(m.child.run.jobs.redriven).padStart(9)} ${(sweepMs / 1000).toFixed(2).padStart(8)} ${(m.child.wallMs / 1000).toFixed(2).padStart(7)} ${int(ddb).padStart(9)} ${num(s.rru).padStart(8)} ${num(s.wru).padStart(8)} ${int(sfnCalls).padStart(9)} ${usd(sweepCost).padStart(12)} ${usd(sweepCost * RUNS_PER_DAY).padStart(12)} ${usd(runCost * RUNS_PER_DAY).padStart(10)}`,
  );
}

const running = measured.find((m) => m.scenario === 'due-running');
const gone = measured.find((m) => m.scenario === 'due-gone');
const idle = measured.find((m) => m.scenario === 'idle');
console.log(
  '\n=== One look at a due job whose execution still runs, by kind (modelled from the seeded item sizes)',
);
const sample = measured[0];
if (sample) {
  for (const kind of ['VALIDATE', 'SUBMIT', 'COLLECT'] as const) {
    const jobs = [...sample.seeded.jobs.values()].filter((x) => x.kind === kind);
    if (jobs.length === 0) continue;
    const size = Math.max(...jobs.map((x) => x.bytes));
    const first = jobs[0]!.item;
    const entry = itemBytes({
      PK: first.PK,
      SK: first.SK,
      [tableKeys.gsi2.partitionKey]: first[tableKeys.gsi2.partitionKey],
      [tableKeys.gsi2.sortKey]: first[tableKeys.gsi2.sortKey],
    });
    const u = jobItemUnits(size, entry);
    line(
      `${KIND_OF[kind].status} (${int(size)} B): GetItem RRU / UpdateItem WRU (table + GSI1 + GSI2) / DynamoDB cost`,
      `${u.rru} / ${u.table} + ${u.gsi1} + ${u.gsi2} = ${u.wru} / ${usd(u.rru * PRICES.rru + u.wru * PRICES.wru)}`,
    );
  }
}

console.log('\n=== What follows from them (modelled)');
if (idle) {
  const perDay = (dynamoUsd(idle.bills.sweep) + lambdaUsd(idle.child.sweepMs ?? 0)) * RUNS_PER_DAY;
  line(
    'the sweep when no look is due: its Queries (empty, 0.5 RRU each), per day, however many jobs',
    `${usd(perDay)} (${int(RUNS_PER_DAY * Object.values(idle.bills.sweep.calls).reduce((a, b) => a + b, 0))} Queries)`,
  );
}
if (running && running.jobsRead > 0) {
  const sweepMs = running.child.sweepMs ?? 0;
  // DynamoDB from the seeded mix (the run may have reached only its first kinds); Lambda time per look measured.
  const perLook = mixLookUsd(running.seeded) + lambdaUsd(sweepMs / running.jobsRead);
  const rate = running.jobsRead / (sweepMs / 1000);
  line(
    `a job whose execution runs is looked at every 5 min: ${int(JOBS)} such jobs (seeded mix) a day`,
    `${int(JOBS * 288)} look-ups, ${usd(JOBS * 288 * perLook)} (${usd(288 * perLook)} a job-day)`,
  );
  line(
    `  (a job pays this only while an execution drives it: a validation minutes, a collect up to an hour)`,
    '',
  );
  line(
    `jobs one run can look at within its ${BUDGET_MS / 1000} s budget at the rate measured here (${running.child.run.jobs.deferred ? 'the budget cut this run' : 'this run finished them all'})`,
    running.child.run.jobs.deferred ? int(running.jobsRead) : int(rate * (BUDGET_MS / 1000)),
  );
}
if (gone && gone.child.run.jobs.redriven > 0) {
  const sweepMs = gone.child.sweepMs ?? 0;
  const rate = gone.child.run.jobs.redriven / (sweepMs / 1000);
  line(
    `re-drives one run makes within its ${BUDGET_MS / 1000} s budget at the rate measured here (${gone.child.run.jobs.deferred ? 'the budget cut this run' : 'this run finished them all'})`,
    gone.child.run.jobs.deferred ? int(gone.child.run.jobs.redriven) : int(rate * (BUDGET_MS / 1000)),
  );
}
line(
  "Step Functions: DescribeExecution and StartExecution are not billed (Standard pays per state transition); a re-drive's",
  '',
);
line(
  "  StartExecution starts the job's workflow again, whose transitions are the job's cost, not the sweep's: not counted here",
  '',
);
line(
  '  Both calls are throttled per account and Region (token buckets; see the Step Functions quotas): a run that describes',
  '',
);
line(
  '  thousands of executions a minute can exceed them, and a throttled call (after the SDK retries) is an error and stays due',
  '',
);
line(
  'wall times here: dynalite in its own process and a fake that answers at once (its p50 above is this loaded box);',
  '',
);
line(
  '  DynamoDB answers in a few ms, DescribeExecution in tens: BENCH_SWEEP_SFN_MS=30 holds every fake answer that long',
  '',
);
