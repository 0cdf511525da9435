/**
 * The watcher under load: how many in-flight jobs one run (one Lambda invocation a minute, 1024 MB,
 * reserved concurrency 1) polls within its budget, and what the watcher costs per 1,000 in-flight jobs
 * a day, against the Step Functions transitions it replaced.
 *
 * Per measurement, afresh: dynalite with the gateway table in a process of its own (bench/serve.ts),
 * and in this process the Secrets Manager and Step Functions emulators and one Cloudgene simulator.
 * BENCH_WATCH_OWNERS owners (default 100) each store a service token (saveServiceToken, verified by the
 * simulator); BENCH_WATCH_JOBS jobs (default 10,000), spread over the owners at random, each RUNNING at
 * the simulator (seeded in its state: a 48 h run, two hours in, with the services' validation and QC
 * messages) and as a RUNNING job item with 22 inputs (chr1–22) whose POLL watch is due now and whose
 * last seen answer is what the service says now — the steady state, where a poll finds nothing changed
 * (batch writes for the seed; the watcher itself never scans). Then ONE watcher run, `watchServices()`
 * with the deployed settings (WATCH_BUDGET_MS 45000, WORKFLOW_TIME_SCALE 1, WATCH_CONCURRENCY 8 unless
 * the run says otherwise), in a fresh Node 22 process (bench/watcher-load-run.ts), which counts its calls.
 * Every call to the simulator can be held `latency` ms first (its `failNext` delay rule): the real
 * services answer in ~100–300 ms, the local simulator in ~1.
 *
 * The cost model (bench/watcher-model.ts) takes the measured counts per poll, the measured item sizes
 * and the measured time per poll, and the polls a job gets per day from the backoff policy.
 *
 * Run: npm run bench:watcher — BENCH_WATCH_RUNS (default `empty,0,200,200x32`: a run with no jobs at
 * 200 ms, then N jobs at 0 ms, at 200 ms, and at 200 ms with WATCH_CONCURRENCY 32), BENCH_WATCH_JOBS,
 * BENCH_WATCH_OWNERS.
 */
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { startSecretsManagerEmulator } from '#infra/local/emulators/secrets-manager';
import { startStepFunctionsEmulator } from '#infra/local/emulators/step-functions';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import {
  type CloudgeneSimulator,
  type SimulatedJob,
  type SubmissionReport,
  startCloudgeneSimulator,
} from '#infra/local/simulator/cloudgene-simulator';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableKeys } from '#shared/aws/table-definition';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { type HealthRecord, observe } from '#shared/health/service-health';
import type { JobRecord } from '#shared/jobs/job-record';
import { JobStatus } from '#shared/jobs/job-status';
import type { JobWatch } from '#shared/jobs/job-watch';
import { logger } from '#shared/logger';
import { resetRuntime } from '#shared/runtime';
import { environmentFor } from '#shared/settings';
import { plainText } from '#shared/workflow/poll-job';
import { jobRecord } from '#test/support/job-fixtures';
import { catalogEntry } from '#test/support/simulated-service';
import { markedResult, runNode } from './child-process';
import { node22 } from './node22';
import { forEachLimited, int, ms, type Summary, usd, type WatcherRunFigures } from './report-format';
import { batchWrite, CHROMOSOMES, cohortJobFields, jobItem, PANEL } from './seed-cohort';
import { startServer } from './serve';
import {
  itemBytes,
  jobItemUnits,
  POLICY,
  PRICES,
  pollTimes,
  prng,
  TOKEN_CACHE_SECONDS,
  tokenReadsPerPoll,
} from './watcher-model';

const JOBS = Number(process.env.BENCH_WATCH_JOBS ?? 10_000);
const OWNERS = Number(process.env.BENCH_WATCH_OWNERS ?? 100);
const RUNS = (process.env.BENCH_WATCH_RUNS ?? 'empty,0,200,200x32').split(',').map(parseRun);
const BUDGET_MS = 45_000;
const LAMBDA_GB = 1;
/** Lambda gives a function one full vCPU at 1,769 MB; 1,024 MB gets that share of one. */
const LAMBDA_VCPU = 1024 / 1769;
const TABLE = 'bench-watch';
const SERVICE_ID = 'michigan';
const HOUR = 3_600_000;
/** The design the watcher replaced: transitions of a 24 h job (bench/poll-cost.ts, backoff polling). */
const OLD_TRANSITIONS_24H = 1_303;
const root = resolve(import.meta.dirname, '..');
const node = node22();
// This process only seeds; the run's logs are the child's (and weighed there).
logger.setLogLevel('ERROR');

interface RunSpec {
  label: string;
  jobs: number;
  latencyMs: number;
  concurrency: number;
}

function parseRun(text: string): RunSpec {
  if (text === 'empty') return { label: 'no jobs, 200 ms', jobs: 0, latencyMs: 200, concurrency: 8 };
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`BENCH_WATCH_RUNS: "${text}" is not "empty", "<ms>" or "<ms>x<concurrency>"`);
  const latencyMs = Number(match[1]);
  const concurrency = Number(match[2] ?? 8);
  return { label: `${latencyMs} ms, concurrency ${concurrency}`, jobs: JOBS, latencyMs, concurrency };
}

/** What bench/watcher-load-run.ts prints. */
interface ChildResult extends WatcherRunFigures {
  dynamoCalls: Record<string, number>;
  tokenReads: number;
  otherSecretCalls: number;
  serviceCalls: Record<string, number>;
  poll: Summary;
  latencies: Record<string, Summary>;
}

interface Measurement extends RunSpec {
  child: ChildResult;
  seedSeconds: number;
  /** Bytes of the EMF metric lines and of the other log lines the run wrote. */
  emfBytes: number;
  logBytes: number;
  /** Status calls the simulator answered (cross-check of the child's count). */
  simulatorStatusCalls: number;
  /** Job items read back after the run: sizes of polled ones, and how many the sample held. */
  items: { sampled: number; polled: number; unchanged: number; bytes: number[]; gsi2EntryBytes: number };
  oneInputBytes: number;
}

// --- seeding -------------------------------------------------------------------------------------------

/** What the services' Input Validation and Quality Control steps say of a 22-file, 2,504-sample upload. */
const REPORT: SubmissionReport = {
  validation: [
    {
      message: [
        '22 valid VCF file(s) found.',
        'Samples: 2504',
        `Chromosomes: ${CHROMOSOMES.join(' ')}`,
        'SNPs: 1784231',
        'Chunks: 155',
        'Datatype: unphased',
        'Build: hg19',
        'Reference Panel: 1000g-phase-3-v5 (hg19)',
        'Population: eur',
        'Phasing: eagle',
        'Mode: imputation',
      ].join('\n'),
      type: 0,
    },
  ],
  qualityControl: [
    {
      message:
        'Uploaded data is hg19 and reference is hg19.<br><br><b>Statistics:</b><br>Alternative allele frequency > 0.5 sites: 215,402<br>Reference Overlap: 98.71 %<br>Match: 1,752,310<br>Allele switch: 9,804<br>Strand flip: 12<br>Strand flip and allele switch: 3<br>A/T, C/G genotypes: 4,112<br><b>Filtered sites:</b><br>Filter flag set: 0<br>Invalid alleles: 0<br>Multiallelic sites: 0<br>Duplicated sites: 41<br>NonSNP sites: 0<br>Monomorphic sites: 1,208<br>Allele mismatch: 377<br>SNPs call rate < 90%: 0',
      type: 0,
    },
    {
      message:
        'Excluded sites in total: 1,626<br>Remaining sites in total: 1,760,214<br>See <a href="#">snps-excluded.txt</a> for details<br>Typed only sites: 21,433<br>See <a href="#">typed-only.txt</a> for details',
      type: 2,
    },
  ],
  liftOver: false,
  excludedChunks: [],
};

/** The fingerprint shared/workflow/poll-job.ts keeps of the service's answer (so the seeded job is unchanged). */
function answerOf(sim: CloudgeneSimulator, job: SimulatedJob) {
  const body = sim.jobBody(job, sim.state.user(job.user));
  const messages = body.steps.flatMap((step) =>
    step.logMessages.map((log) => ({ step: step.name, type: log.type, message: plainText(log.message) })),
  );
  const latest = messages.slice(-20);
  const fingerprint = createHash('sha256')
    .update(`${body.state}|${body.positionInQueue ?? ''}|${messages.length}|${latest.at(-1)?.message ?? ''}`)
    .digest('base64url')
    .slice(0, 16);
  return { state: body.state, positionInQueue: body.positionInQueue, latest, fingerprint };
}

async function seed(sim: CloudgeneSimulator, jobs: number) {
  const service = getService(SERVICE_ID);
  const owners = Array.from({ length: OWNERS }, (_, i) => ({
    sub: `sub-bench-${String(i).padStart(4, '0')}`,
    username: `bench${i}`,
    groups: [],
    serviceUser: `bench${i}-mis`,
  }));
  await forEachLimited(owners, 8, async (owner) => {
    const token = sim.addUser({ username: owner.serviceUser });
    await saveServiceToken(owner, service, token);
  });

  const random = prng(42);
  const now = Date.now();
  const nextUlid = monotonicFactory();
  const createdAt = new Date(now - 2 * HOUR - 5 * 60_000).toISOString();
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < jobs; i++) {
    const owner = owners[Math.floor(random() * owners.length)]!;
    const jobId = nextUlid(now - 2 * HOUR - 5 * 60_000);
    const submittedAt = now - 2 * HOUR;
    const at = new Date(submittedAt + i).toISOString();
    const externalJobId = `job-${at.slice(0, 10).replaceAll('-', '')}-${at.slice(11, 19).replaceAll(':', '')}-${at.slice(20, 23)}-${i}`;
    const simJob: SimulatedJob = {
      id: externalJobId,
      name: `cohort batch ${i} [gw:${jobId}]`,
      user: owner.serviceUser,
      fields: {
        'job-name': `cohort batch ${i} [gw:${jobId}]`,
        refpanel: PANEL,
        build: 'hg19',
        population: 'eur',
        phasing: 'eagle',
        mode: 'imputation',
        r2Filter: '0',
      },
      files: CHROMOSOMES.map((c) => ({
        name: `cohort.chr${c}.vcf.gz`,
        bytes: 90_000_000,
        sha256: '0'.repeat(64),
      })),
      upload: { contentLength: 22 * 90_000_000, chunked: false, bytes: 22 * 90_000_000 },
      submittedAt,
      clockStart: submittedAt,
      scenario: 'custom',
      outcome: 'success',
      timing: { queueMs: 60_000, runMs: 48 * HOUR, exportMs: 60_000 },
      queueAhead: 0,
      report: REPORT,
      results: [],
    };
    sim.state.jobs.push(simJob);
    const answer = answerOf(sim, simJob);
    const checkedAt = new Date(now - 10 * 60_000).toISOString();
    const watch: JobWatch = {
      kind: 'POLL',
      // Due now, spread over the last 15 minutes as a running watcher leaves them.
      nextAt: new Date(now - 1_000 - Math.floor(random() * 15 * 60_000)).toISOString(),
      since: new Date(submittedAt).toISOString(),
      baseWaitSeconds: POLICY.maxSeconds,
      lastChange: answer.fingerprint,
      count: 12,
    };
    const record: JobRecord = jobRecord({
      jobId,
      owner: owner.sub,
      ...cohortJobFields(owner.sub, i, () => nextUlid(now - 3 * HOUR)),
      inputChecks: {
        samples: 2504,
        chromosomes: CHROMOSOMES,
        variants: 1_784_231,
        build: 'hg19',
        buildEvidence: [
          'the contig lengths in the header are GRCh37’s',
          'positions beyond GRCh38 ends on chr1',
        ],
      },
      status: JobStatus.RUNNING,
      createdAt,
      updatedAt: checkedAt,
      statusChangedAt: new Date(submittedAt + 60_000).toISOString(),
      events: [
        { at: createdAt, to: JobStatus.QUEUED },
        { at: createdAt, to: JobStatus.VALIDATING },
        { at: createdAt, to: JobStatus.SUBMITTING, detail: '22 input file(s) valid' },
        {
          at: new Date(submittedAt).toISOString(),
          to: JobStatus.QUEUED_REMOTE,
          detail: `submitted to the service as ${externalJobId}`,
        },
        {
          at: new Date(submittedAt + 60_000).toISOString(),
          to: JobStatus.RUNNING,
          detail: answer.latest.at(-1)?.message,
        },
      ],
      externalJobId,
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:imputation-job:${jobId}`,
      remote: {
        state: answer.state,
        positionInQueue: answer.positionInQueue,
        messages: answer.latest,
        checkedAt,
      },
    });
    items.push(jobItem(record, SERVICE_ID, watch));
  }
  await batchWrite(TABLE, items);
  return items;
}

// --- one measurement ------------------------------------------------------------------------------------

async function runChild(
  env: Record<string, string>,
): Promise<{ result: ChildResult; emf: number; log: number }> {
  const output = await runNode(
    node.path,
    ['--import', 'tsx', resolve(import.meta.dirname, 'watcher-load-run.ts')],
    {
      cwd: root,
      env,
    },
  );
  const result = markedResult<ChildResult>(output, 'BENCH_WATCH', 'watcher run');
  // What else the run printed: its metric lines (EMF) and its log lines, for the logs' cost.
  const others = output.stdout.split('\n').filter((l) => l.length > 0 && !l.startsWith('BENCH_WATCH '));
  const bytes = (ls: string[]) => ls.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
  return {
    result,
    emf: bytes(others.filter((l) => l.includes('"_aws"'))),
    log: bytes(others.filter((l) => !l.includes('"_aws"'))) + Buffer.byteLength(output.stderr),
  };
}

async function measure(spec: RunSpec): Promise<Measurement> {
  const dynamodb = await startServer('dynamodb', { BENCH_TABLE: TABLE });
  const secrets = await startSecretsManagerEmulator();
  const sfn = await startStepFunctionsEmulator({ root });
  const sim = await startCloudgeneSimulator({ scenario: 'manual' });
  try {
    const env = environmentFor({
      ...emulatorSdkSettings({ dynamodb: dynamodb.url, secretsManager: secrets.url, stepFunctions: sfn.url }),
      TABLE_NAME: TABLE,
      SECRETS_PREFIX: 'bench-watch',
      STATE_MACHINE_ARN: sfn.stateMachineArn,
      SERVICE_CATALOG: [catalogEntry(SERVICE_ID, 'Michigan (simulated)', sim, 3)],
      // The simulator is plain http on 127.0.0.1.
      OUTBOUND_ALLOW_LOOPBACK: true,
      WORKFLOW_TIME_SCALE: 1,
      WATCH_BUDGET_MS: BUDGET_MS,
      WATCH_CONCURRENCY: spec.concurrency,
      // As deployed: INFO logs, EMF metrics on (they are log lines, and they are weighed).
      POWERTOOLS_SERVICE_NAME: 'imputation-gateway',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    Object.assign(process.env, env);
    resetRuntime();
    const seedStarted = performance.now();
    const seeded = await seed(sim, spec.jobs);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    if (spec.latencyMs > 0) {
      sim.failNext({ path: '/api/v2/', delayMs: spec.latencyMs, times: Number.POSITIVE_INFINITY });
    }
    const requestsBefore = sim.requests.length;
    const { result, emf, log } = await runChild({ ...process.env, ...env, NODE_OPTIONS: '' } as Record<
      string,
      string
    >);
    const simulatorStatusCalls = sim.requests
      .slice(requestsBefore)
      .filter((r) => r.method === 'GET' && /^\/api\/v2\/jobs\/[^/]+$/.test(r.path)).length;

    // Job items as the run left them: a sample, read back whole.
    const random = prng(7);
    const sample = Array.from({ length: Math.min(200, seeded.length) }, () => {
      const item = seeded[Math.floor(random() * seeded.length)]!;
      return { PK: item.PK, SK: item.SK };
    });
    const polled: Record<string, unknown>[] = [];
    let unchanged = 0;
    for (const key of sample) {
      const { Item } = await dynamoDocumentClient().send(
        new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }),
      );
      const watch = Item?.watch as JobWatch | undefined;
      if (!Item || !watch || watch.count <= 12) continue;
      polled.push(Item);
      if (watch.baseWaitSeconds === POLICY.maxSeconds) unchanged++;
    }
    const first = polled[0] ?? seeded[0];
    const gsi2EntryBytes = first
      ? itemBytes({
          PK: first.PK,
          SK: first.SK,
          [tableKeys.gsi2.partitionKey]: first[tableKeys.gsi2.partitionKey],
          [tableKeys.gsi2.sortKey]: first[tableKeys.gsi2.sortKey],
        })
      : 0;
    const oneInputBytes = first
      ? itemBytes({
          ...first,
          inputs: (first.inputs as unknown[]).slice(0, 1),
          inputChecks: { ...(first.inputChecks as object), chromosomes: ['20'] },
        })
      : 0;
    return {
      ...spec,
      child: result,
      seedSeconds,
      emfBytes: emf,
      logBytes: log,
      simulatorStatusCalls,
      items: {
        sampled: sample.length,
        polled: polled.length,
        unchanged,
        bytes: polled.map((item) => itemBytes(item)),
        gsi2EntryBytes,
      },
      oneInputBytes,
    };
  } finally {
    await sim.close();
    await sfn.close();
    await secrets.close();
    await dynamodb.stop();
  }
}

// --- report ---------------------------------------------------------------------------------------------

const line = (label: string, value: string) => console.log(`  ${label.padEnd(92)} ${value}`);

/** The health record of a service after a week of probes a minute (what every run reads and writes). */
function steadyHealthRecordBytes(): number {
  let record: HealthRecord | undefined;
  const start = Date.now() - 7 * 24 * HOUR;
  for (let minute = 0; minute < 7 * 24 * 60; minute++) {
    record = observe(record, SERVICE_ID, {
      at: new Date(start + minute * 60_000).toISOString(),
      outcome: 'UP',
      latencyMs: 180 + (minute % 97),
      queueSize: 30 + (minute % 41),
    });
  }
  return itemBytes({ PK: `SERVICE#${SERVICE_ID}`, SK: 'HEALTH', entity: 'ServiceHealth', ...record });
}

console.log(
  `Watcher load: ${int(JOBS)} in-flight jobs of ${OWNERS} owners at one simulated service; one watcher run per measurement in a fresh Node ${node.version} process`,
);
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'} (the deployed watcher: arm64 Lambda)`,
);
console.log(
  `Deployed settings: WATCH_BUDGET_MS ${BUDGET_MS}, WORKFLOW_TIME_SCALE 1, WATCH_CONCURRENCY as labelled. dynalite in its own process; simulator, Secrets Manager and Step Functions emulators in the bench's.`,
);
const measured: Measurement[] = [];
for (const spec of RUNS) {
  const m = await measure(spec);
  measured.push(m);
  const c = m.child;
  const j = c.run.jobs;
  const polls = j.polled;
  console.log(
    `\n--- ${spec.jobs > 0 ? `${int(spec.jobs)} jobs due` : 'no jobs due'}; every service call held ${spec.latencyMs} ms; WATCH_CONCURRENCY ${spec.concurrency}`,
  );
  line(
    'seeding (owners with tokens, simulator jobs, job items by BatchWriteItem), s',
    m.seedSeconds.toFixed(1),
  );
  line('jobs polled in the run', int(polls));
  line('run cut short by the budget (jobs.deferred)', String(j.deferred));
  line('errors / collects started / expired', `${j.errors} / ${j.collectsStarted} / ${j.expired}`);
  line('wall time of watchServices() (probe, then the jobs), s', (c.wallMs / 1000).toFixed(2));
  line('module import before the run (cold start only), ms', c.importMs.toFixed(0));
  if (polls > 0) {
    line('polls per second over the whole run', (polls / (c.wallMs / 1000)).toFixed(1));
    line(
      'time per poll: GetItem of the job start → its UpdateItem end, p50 / p95 / max',
      `${ms(c.poll.p50)} / ${ms(c.poll.p95)} / ${ms(c.poll.max)}`,
    );
    line(
      '  of which the status call at the service, p50 / p95',
      `${ms(c.latencies['service status']?.p50)} / ${ms(c.latencies['service status']?.p95)}`,
    );
    line(
      '  DynamoDB GetItem / UpdateItem latency (dynalite), p50',
      `${ms(c.latencies['dynamodb GetItem']?.p50)} / ${ms(c.latencies['dynamodb UpdateItem']?.p50)}`,
    );
  }
  line(
    `DynamoDB calls: ${Object.keys(c.dynamoCalls).sort().join(' / ')}`,
    Object.keys(c.dynamoCalls)
      .sort()
      .map((k) => int(c.dynamoCalls[k]!))
      .join(' / '),
  );
  if (polls > 0) {
    line(
      'DynamoDB calls per poll: GetItem / UpdateItem / Query',
      ['GetItem', 'UpdateItem', 'Query'].map((k) => ((c.dynamoCalls[k] ?? 0) / polls).toFixed(3)).join(' / '),
    );
  }
  line(
    `Secrets Manager GetSecretValue of owners' tokens (cold cache: one process, ${OWNERS} owners)`,
    `${int(c.tokenReads)}${polls > 0 ? ` (${(c.tokenReads / polls).toFixed(4)} per poll)` : ''}`,
  );
  line(
    'service calls: status (GET /api/v2/jobs/<id>) / probe (/api/v2/server…)',
    `${int(c.serviceCalls.status ?? 0)} / ${int(c.serviceCalls.probe ?? 0)} (the simulator answered ${int(m.simulatorStatusCalls)} status calls)`,
  );
  line('CPU time of the run process (user + system), s', ((c.cpuUserMs + c.cpuSystemMs) / 1000).toFixed(2));
  if (polls > 0) line('CPU time per poll, ms', ((c.cpuUserMs + c.cpuSystemMs) / polls).toFixed(2));
  line('peak RSS of the run process, MB (Lambda has 1024)', c.maxRssMb.toFixed(0));
  line('log bytes written: EMF metric lines / other log lines', `${int(m.emfBytes)} / ${int(m.logBytes)}`);
  if (m.items.polled > 0) {
    const mean = m.items.bytes.reduce((a, b) => a + b, 0) / m.items.bytes.length;
    line(
      `job item after its poll (of ${m.items.sampled} sampled, ${m.items.polled} polled), bytes mean / max`,
      `${int(mean)} / ${int(Math.max(...m.items.bytes))}`,
    );
    line(
      '  polls that found nothing changed at the service (backoff stayed at 900 s), in the sample',
      `${m.items.unchanged} of ${m.items.polled}`,
    );
  }
}

// --- capacity -------------------------------------------------------------------------------------------

const empty = measured.find((m) => m.jobs === 0);
const at = (latencyMs: number, concurrency: number) =>
  measured.find((m) => m.jobs > 0 && m.latencyMs === latencyMs && m.concurrency === concurrency);
const realistic =
  at(200, 8) ?? measured.find((m) => m.jobs > 0 && m.latencyMs > 0) ?? measured.find((m) => m.jobs > 0);
const changeCases = [
  { label: 'nothing changes all day', perDay: 0 },
  { label: 'the answer changes 4 times a day', perDay: 4 },
  { label: 'the answer changes every hour', perDay: 24 },
  {
    label: 'the answer changes at every poll (moving queue position / live progress text)',
    perDay: Number.POSITIVE_INFINITY,
  },
].map((c) => ({ ...c, polls: pollTimes(c.perDay).length }));
const headline = changeCases[1]!;

console.log(
  '\n=== Polls per job per day (modelled from the backoff: 30 s doubling to 900 s, reset on a change; the watcher runs every 60 s)',
);
for (const c of changeCases) line(c.label, `${c.polls} polls/day`);

if (realistic) {
  const polls = realistic.child.run.jobs.polled;
  const perRun = realistic.child.run.jobs.deferred
    ? polls
    : Math.floor((polls / (realistic.child.wallMs / 1000)) * (BUDGET_MS / 1000));
  const loaded = measured.filter((m) => m.jobs > 0 && m.child.run.jobs.polled > 0);
  const cpuPerPoll = loaded.map((m) => (m.child.cpuUserMs + m.child.cpuSystemMs) / m.child.run.jobs.polled);
  const cpuLow = Math.min(...cpuPerPoll);
  const cpuHigh = Math.max(...cpuPerPoll);
  /** Polls a second the function's CPU allows (Node runs the watcher on one thread). */
  const cpuCap = (cpuMs: number) => (LAMBDA_VCPU * 1000) / cpuMs;
  const budgetS = BUDGET_MS / 1000;
  console.log(`\n=== Capacity of one run (from the measurement "${realistic.label}")`);
  line(
    `polls one run makes within its ${budgetS} s budget, one service (${realistic.child.run.jobs.deferred ? 'measured: the budget cut the run' : 'projected from its rate: all due jobs were done'})`,
    int(perRun),
  );
  for (const c of changeCases) {
    line(
      `in-flight jobs one service can have with one run a minute, if ${c.label}`,
      int((perRun * 1440) / c.polls),
    );
  }
  line(
    `a backlog of ${int(JOBS)} jobs due at once (e.g. after an outage) is polled within, min`,
    String(Math.ceil(JOBS / perRun)),
  );
  line(
    `CPU per poll in the runs above, ms; at 1024 MB (${LAMBDA_VCPU.toFixed(2)} vCPU) that caps a run at polls/s (per run)`,
    `${cpuLow.toFixed(1)}–${cpuHigh.toFixed(1)}; ${int(cpuCap(cpuHigh))}–${int(cpuCap(cpuLow))} (${int(cpuCap(cpuHigh) * budgetS)}–${int(cpuCap(cpuLow) * budgetS)})`,
  );
  for (const concurrency of [8, 16, 24, 32, 64]) {
    // Latency-bound, the run's polls grow with the polls in flight; the measured run's own efficiency
    // (page barriers, the probe) carries over.
    const latencyBound = (perRun / budgetS) * (concurrency / realistic.concurrency);
    const bound = Math.min(latencyBound, cpuCap(cpuHigh));
    line(
      `WATCH_CONCURRENCY ${concurrency}: projected polls per run = min(measured × ${concurrency}/${realistic.concurrency}, CPU cap) → in-flight jobs at ${headline.polls} polls/day`,
      `${int(bound * budgetS)} → ${int((bound * budgetS * 1440) / headline.polls)}${latencyBound > cpuCap(cpuHigh) ? ' (CPU-bound)' : ''}`,
    );
  }
  for (const wide of measured.filter(
    (m) => m.jobs > 0 && m.latencyMs === realistic.latencyMs && m.concurrency !== realistic.concurrency,
  )) {
    line(
      `WATCH_CONCURRENCY ${wide.concurrency} measured here: polls per run (this box's emulators saturate: dynalite p50 ${ms(wide.child.latencies['dynamodb GetItem']?.p50)})`,
      `${int(wide.child.run.jobs.polled)} (×${(wide.child.run.jobs.polled / perRun).toFixed(1)} of concurrency ${realistic.concurrency})`,
    );
  }
  console.log(
    '  Services are watched in parallel (Promise.all), each with its own WATCH_CONCURRENCY: these figures are per service,',
  );
  console.log("  but all services share the one function's CPU cap.");

  // Beyond one function: estimates, not measured.
  const sqsPerPoll = 0.3 * (0.4 / 1e6);
  console.log('\n=== Beyond what one run can poll (estimates, not measured)');
  line(
    'raise the memory to 1,769 MB (one full vCPU; the watcher runs on one thread, more does not help): CPU cap, polls per run',
    int((1000 / cpuHigh) * budgetS),
  );
  line(
    "raise WATCH_BUDGET_MS toward the 90 s timeout (e.g. 75 s; a run may then still go on when the next minute's is due): polls ×",
    (75 / budgetS).toFixed(2),
  );
  line(
    'SQS fan-out per service: the watcher only Queries due keys and sends them 10 a SendMessageBatch; pollers (SQS event source, maximum concurrency per service)',
    '',
  );
  line(
    '  poll them. Added cost per poll: ~0.3 SQS requests (send, receive, delete in batches of 10) at $0.40 per million, + a Lambda request per 10',
    `${usd(sqsPerPoll + PRICES.lambdaRequest / 10)} per poll, ${usd((sqsPerPoll + PRICES.lambdaRequest / 10) * headline.polls * 1000)} per 1,000 job-days`,
  );
  line(
    `  the watcher then only reads keys: per 100 due jobs one Query (p50 here ${ms(realistic.child.latencies['dynamodb Query']?.p50)}) and 10 SendMessageBatch at once`,
    '~100,000 polls dispatched per run',
  );
  line(
    "  so the limit becomes the pollers' concurrency, chosen per service (what each service tolerates)",
    '',
  );
  line(
    'shards of the watch index: GSI2PK WATCH#<service>#POLL#<n>, one watcher (or fan-out) per shard; also keeps each index partition',
    '',
  );
  line(
    '  under ~1,000 WCU/s: every poll writes the one WATCH#<service>#POLL partition twice (sort key moves), so ~500 polls/s a service',
    `≈ ${int(500 * 60)} polls a minute`,
  );
}

// --- cost -----------------------------------------------------------------------------------------------

if (realistic && realistic.items.bytes.length > 0 && empty) {
  const c = realistic.child;
  const polls = c.run.jobs.polled;
  const itemMax = Math.max(...realistic.items.bytes);
  const units = jobItemUnits(itemMax, realistic.items.gsi2EntryBytes);
  const oneInput = jobItemUnits(realistic.oneInputBytes, realistic.items.gsi2EntryBytes);
  const getsPerPoll = (c.dynamoCalls.GetItem ?? 0) / polls;
  const updatesPerPoll = (c.dynamoCalls.UpdateItem ?? 0) / polls;
  const queryRru = Math.max(0.5, Math.ceil((100 * realistic.items.gsi2EntryBytes) / 4096) * 0.5);
  const queryRruPerPoll = queryRru / 100;
  const wallPerPollS = (c.wallMs - empty.child.wallMs) / 1000 / polls;
  const emfPerPoll = realistic.emfBytes / polls;
  const healthBytes = steadyHealthRecordBytes();
  const e = empty.child;
  const emptyDynamo = {
    gets: e.dynamoCalls.GetItem ?? 0,
    puts: e.dynamoCalls.PutItem ?? 0,
    queries: e.dynamoCalls.Query ?? 0,
  };
  const fixedRunRru = emptyDynamo.gets * Math.ceil(healthBytes / 4096) + emptyDynamo.queries * 0.5;
  const fixedRunWru = emptyDynamo.puts * Math.ceil(healthBytes / 1024);
  const PLATFORM_LOG_BYTES = 400;
  const fixedDay = {
    lambda: 1440 * ((e.wallMs / 1000) * LAMBDA_GB * PRICES.lambdaGbSecond + PRICES.lambdaRequest),
    dynamodb: 1440 * (fixedRunRru * PRICES.rru + fixedRunWru * PRICES.wru),
    logs: 1440 * (PLATFORM_LOG_BYTES + empty.logBytes) * PRICES.logsByte,
    xray: 1440 * PRICES.xrayTrace,
  };
  const fixedTotal = Object.values(fixedDay).reduce((a, b) => a + b, 0);

  console.log('\n=== Cost: assumptions (us-east-1 on-demand list prices, 2024)');
  line(
    'DynamoDB on-demand: per million write request units (1 KB) / read request units (4 KB strong)',
    '$0.625 / $0.125',
  );
  line(
    'Lambda: per GB-s (x86; the stack deploys arm64 at $0.0000133334, 20% less) / per million requests',
    '$0.0000166667 / $0.20',
  );
  line(
    "Secrets Manager: per 10,000 API calls; each token read also decrypts under the stack's KMS key",
    '$0.05 (+ KMS $0.03)',
  );
  line(
    'CloudWatch Logs ingestion per GB (EMF metric lines are log lines) / X-Ray per million traces',
    '$0.50 / $5.00',
  );
  line(
    `job item after a poll (measured, 22 inputs chr1–22, remote view with the services' messages), bytes`,
    `${int(itemMax)} (1-input job: ${int(realistic.oneInputBytes)})`,
  );
  line(
    'UpdateItem per poll, WRU: table (whole item) + GSI1 status index (projection ALL) + GSI2 watch index (key moves: delete + put)',
    `${units.table} + ${units.gsi1} + ${units.gsi2} = ${units.wru} (1-input job: ${oneInput.wru})`,
  );
  line('GetItem per poll, RRU (strongly consistent)', `${units.rru} (1-input job: ${oneInput.rru})`);
  line(
    `Query of the watch index, RRU per 100-key page (eventually consistent, ${realistic.items.gsi2EntryBytes} B a key) → per poll`,
    `${queryRru} → ${queryRruPerPoll.toFixed(3)}`,
  );
  line(
    'DynamoDB calls per poll (measured): GetItem / UpdateItem',
    `${getsPerPoll.toFixed(3)} / ${updatesPerPoll.toFixed(3)}`,
  );
  line(
    `Lambda time per poll at 200 ms a service call and concurrency ${realistic.concurrency} ((run − empty run) / polls), s × ${LAMBDA_GB} GB`,
    wallPerPollS.toFixed(4),
  );
  line('EMF metric bytes per poll (measured)', emfPerPoll.toFixed(0));

  const readsCases = [
    {
      label: `owners with 1 in-flight job (a token read at nearly every poll past the ${TOKEN_CACHE_SECONDS / 60}-min cache)`,
      jobs: 1,
    },
    { label: 'owners with 10 in-flight jobs each', jobs: 10 },
  ];
  console.log(
    '\n=== Secrets Manager token reads per poll (modelled: one warm watcher, its cache kept 5 min, polls from the backoff)',
  );
  for (const r of readsCases) {
    line(
      r.label,
      changeCases.map((cc) => `${tokenReadsPerPoll(r.jobs, cc.perDay).toFixed(2)}`).join(' / ') +
        '  (per change case above)',
    );
  }
  line(
    'measured in the cold run above (one process, every owner read once; concurrent first polls of one owner may read twice)',
    (c.tokenReads / polls).toFixed(4),
  );

  const perPoll = (tokenReads: number, wru: number, rru: number) => ({
    dynamodbWrites: updatesPerPoll * wru * PRICES.wru,
    dynamodbReads: getsPerPoll * rru * PRICES.rru + queryRruPerPoll * PRICES.rru,
    secrets: tokenReads * PRICES.secretsCall,
    kms: tokenReads * PRICES.kmsRequest,
    lambda: wallPerPollS * LAMBDA_GB * PRICES.lambdaGbSecond,
    logs: emfPerPoll * PRICES.logsByte,
  });
  console.log(
    '\n=== Cost of watching 1,000 in-flight jobs for a day (= 1,000 job-days), USD, excluding the fixed cost below',
  );
  console.log(
    `  ${'case'.padEnd(62)} ${'polls/day'.padStart(9)} ${'DDB write'.padStart(9)} ${'DDB read'.padStart(9)} ${'Secrets'.padStart(8)} ${'KMS'.padStart(8)} ${'Lambda'.padStart(8)} ${'logs'.padStart(8)} ${'total'.padStart(8)}`,
  );
  const rows: { label: string; total: number }[] = [];
  for (const cc of changeCases) {
    for (const [ownerLabel, jobsPerOwner, wru, rru] of [
      ['22-input jobs, 1 job per owner', 1, units.wru, units.rru],
      ['22-input jobs, 10 jobs per owner', 10, units.wru, units.rru],
      ['1-input jobs, 10 jobs per owner', 10, oneInput.wru, oneInput.rru],
    ] as const) {
      const p = perPoll(tokenReadsPerPoll(jobsPerOwner, cc.perDay), wru, rru);
      const n = 1000 * cc.polls;
      const total = Object.values(p).reduce((a, b) => a + b, 0) * n;
      const label = `${cc.perDay === Number.POSITIVE_INFINITY ? 'changes every poll' : `${cc.perDay} changes/day`}, ${ownerLabel}`;
      rows.push({ label, total });
      console.log(
        `  ${label.padEnd(62)} ${int(cc.polls).padStart(9)} ${usd(p.dynamodbWrites * n).padStart(9)} ${usd(p.dynamodbReads * n).padStart(9)} ${usd(p.secrets * n).padStart(8)} ${usd(p.kms * n).padStart(8)} ${usd(p.lambda * n).padStart(8)} ${usd(p.logs * n).padStart(8)} ${usd(total).padStart(8)}`,
      );
    }
  }
  console.log(
    '\n=== Fixed cost of the watcher, whatever the jobs: 1,440 runs a day (measured empty run; one service)',
  );
  line(
    `Lambda: 1,440 × (${(e.wallMs / 1000).toFixed(2)} s × ${LAMBDA_GB} GB + a request)`,
    usd(fixedDay.lambda),
  );
  line(
    `DynamoDB: 1,440 × (${emptyDynamo.gets} GetItem + ${emptyDynamo.puts} PutItem of the health record, ${int(healthBytes)} B after a week; ${emptyDynamo.queries} Queries)`,
    usd(fixedDay.dynamodb),
  );
  line(
    `CloudWatch Logs: 1,440 × (~${PLATFORM_LOG_BYTES} B START/END/REPORT + ${empty.logBytes} B of the run's own)`,
    usd(fixedDay.logs),
  );
  line('X-Ray: 1,440 traces (the first 100,000 a month are free)', usd(fixedDay.xray));
  line(
    'fixed cost per day, per service watched (the DynamoDB part grows with the services, the Lambda part barely)',
    usd(fixedTotal),
  );

  const headlineRow = rows.find((r) =>
    r.label.startsWith(`${headline.perDay} changes/day, 22-input jobs, 1 job`),
  )!;
  const sfnPerJobDay = OLD_TRANSITIONS_24H * PRICES.sfnTransition;
  console.log(
    '\n=== Against the design it replaces (one Step Functions execution per job waiting and polling)',
  );
  line(
    `Step Functions: ${int(OLD_TRANSITIONS_24H)} state transitions for a 24 h job × $0.025 per 1,000, per 1,000 job-days`,
    usd(sfnPerJobDay * 1000),
  );
  line(
    `watcher, per 1,000 job-days (${headline.label}, 22-input jobs, 1 job per owner)`,
    usd(headlineRow.total),
  );
  line(
    'watcher, per 1,000 job-days, the dearest case above (changes every poll)',
    usd(Math.max(...rows.map((r) => r.total))),
  );
  line(
    'the old design paid its Lambda task per poll and the same DynamoDB write per poll on top; counted here: transitions only',
    '',
  );
}
