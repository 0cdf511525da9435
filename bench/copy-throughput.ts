/**
 * Copying large results, and the copy's memory.
 *
 * Throughput: the same simulated result file, in the same run, through each of
 *   download alone   – a plain fetch of the share URL (following redirects), bytes discarded;
 *   upload alone     – the same bytes generated locally, into the same multipart upload as the copy task;
 *   plain pipe       – that fetch's body piped straight into that upload: the best a copy can do;
 *   copy task        – the deployed handler (functions/workflow/copy-result.ts, bundled as deployed);
 * into two sinks: s3rver (the local stack's S3, writing to disk) and bench/discard-s3.ts (reads and
 * discards bodies, so the copy code itself is what is measured). The source (Cloudgene simulator), each
 * sink and DynamoDB (the job record) run in processes of their own; every measurement is a fresh Node 22
 * process running a bundle built by bench/bundle.ts with the deployed NODE_OPTIONS. Runs are interleaved
 * (variant order rotates each round); a figure is the median of BENCH_REPEAT rounds.
 *
 * Besides MiB/s (wall time of the transfer, init excluded), each row shows the measured process's CPU
 * seconds per GiB: on a loaded machine wall time is noisy, CPU cost per byte much less so.
 *
 * Memory: the copy task's peak RSS (`process.resourceUsage().maxRSS` of its own fresh process) per file
 * size, into the discarding sink; the worst of BENCH_REPEAT runs.
 *
 * Run: npm run bench:copy. Environment: BENCH_SIZES (bytes, comma list; default 1 GiB,4 GiB),
 * BENCH_MEMORY_SIZES (default 1 GiB,4 GiB), BENCH_REPEAT (default 3), BENCH_SINKS (default discard,s3rver),
 * BENCH_REDIRECT=1 (every download redirects to a presigned-style URL, as at TOPMed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CloudgeneClient } from '#shared/cloudgene/client';
import { resultKey } from '#shared/jobs/result-store';
import { submitRequest } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import { bundleAsDeployed, DEPLOYED_NODE_OPTIONS } from './bundle';
import { runNode } from './child-process';
import { node22 } from './node22';
import { type RunningServer, startServer } from './serve';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const sizeList = (value: string | undefined, fallback: number[]) =>
  value ? value.split(',').map((s) => Number(s.trim())) : fallback;
const sizes = sizeList(process.env.BENCH_SIZES, [GiB, 4 * GiB]);
const memorySizes = sizeList(process.env.BENCH_MEMORY_SIZES, [GiB, 4 * GiB]).sort((a, b) => a - b);
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const sinkNames = (process.env.BENCH_SINKS ?? 'discard,s3rver').split(',') as SinkName[];
const redirect = process.env.BENCH_REDIRECT === '1';
const GOALS = { copyVsPipe: 0.95, copyVsSlowerLeg: 0.8, memoryRatio: 1.1, memoryMiB: 256 };

type SinkName = 'discard' | 's3rver';
type Variant = 'download' | 'upload' | 'pipe' | 'copy';
const VARIANT_LABEL: Record<Variant, string> = {
  download: 'download alone (fetch → discard)',
  upload: 'upload alone (local bytes → Upload)',
  pipe: 'plain pipe (fetch body → Upload)',
  copy: 'copy task (bundled handler)',
};
const human = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${(bytes / MiB).toFixed(0)} MiB`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const mark = (ok: boolean) => (ok ? '✓' : '✗');

const node = node22();
const work = mkdtempSync(join(tmpdir(), 'bench-copy-'));
const [task, legs, probe] = await Promise.all([
  bundleAsDeployed('functions/workflow/copy-result.ts', join(work, 'copyResult')),
  bundleAsDeployed('bench/copy-legs.ts', join(work, 'legs')),
  bundleAsDeployed('bench/copy-probe.ts', join(work, 'probe')),
]);
console.log(
  `Node ${node.version} (${node.path}), NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}; copy task bundle ${(task.bytes / 1024).toFixed(0)} KiB, legs bundle ${(legs.bytes / 1024).toFixed(0)} KiB`,
);
console.log(
  `sizes ${sizes.map(human).join(', ')}; memory sizes ${memorySizes.map(human).join(', ')}; ${repeat} round(s); downloads ${redirect ? 'redirected' : 'direct'}`,
);

const allSizes = [...new Set([...sizes, ...memorySizes])].sort((a, b) => a - b);
const specs = allSizes.map((size, index) => ({ name: `chr_${index + 1}.zip`, size, redirect }));
const BUCKET = 'bench-results';
const TABLE = 'bench';
const servers: RunningServer[] = [];
const stopAll = () => Promise.all(servers.map((s) => s.stop()));
process.once('SIGINT', () => {
  stopAll().finally(() => process.exit(130));
});
const [source, dynamodb, ...sinkServers] = await Promise.all([
  startServer('source', { BENCH_RESULT_FILES: JSON.stringify(specs) }),
  startServer('dynamodb', { BENCH_TABLE: TABLE }),
  startServer('discard'),
  ...(sinkNames.includes('s3rver') ? [startServer('s3rver', { BENCH_BUCKET: BUCKET })] : []),
]).then((started) => {
  servers.push(...started);
  return started;
});
const sinks: Record<SinkName, RunningServer | undefined> = {
  discard: sinkServers[0],
  s3rver: sinkServers.find((s) => s.role === 's3rver'),
};
const localAws = { region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...localAws, endpoint: dynamodb!.url }));
const s3rverClient = sinks.s3rver
  ? new S3Client({
      ...localAws,
      endpoint: sinks.s3rver.url,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
  : undefined;

// One finished service job listing every file, submitted through the client like a real one.
const created = await fetch(`${source!.url}/__admin/users`, {
  method: 'POST',
  body: JSON.stringify({ username: 'bench' }),
});
const serviceToken = ((await created.json()) as { token: string }).token;
const service = new CloudgeneClient({
  baseUrl: source!.url,
  appId: 'imputationserver2',
  token: serviceToken,
});
// An input the service accepts, so that the job reaches success (the simulator validates what it gets).
const input = makeVcfGz({ samples: 20, records: 30 });
const { id: serviceJobId } = await service.submitJob(
  submitRequest({
    jobName: 'bench',
    password: 'x',
    files: [{ name: 'in.vcf.gz', size: input.length, stream: () => [input] as never }],
  }),
);
let serviceJob = await service.getJob(serviceJobId);
while (serviceJob.state !== 4) {
  await new Promise((r) => setTimeout(r, 50));
  serviceJob = await service.getJob(serviceJobId);
}
const listed = serviceJob.outputParams.flatMap((p) => p.files);
const adminJobs = (await (await fetch(`${source!.url}/__admin/jobs`)).json()) as {
  id: string;
  results: { name: string; seed: string }[];
}[];
const seeds = new Map(adminJobs.find((j) => j.id === serviceJobId)!.results.map((r) => [r.name, r.seed]));
const files = specs.map((spec) => {
  const index = listed.findIndex((f) => f.name === spec.name);
  const file = listed[index]!;
  return {
    ...spec,
    index,
    hash: file.hash,
    seed: seeds.get(spec.name)!,
    url: `${source!.url}/share/results/${encodeURIComponent(file.hash)}/${encodeURIComponent(file.name)}`,
  };
});
type BenchFile = (typeof files)[number];

const owner = 'bench-user';
const SERVICE_CATALOG = JSON.stringify([
  {
    id: 'sim',
    name: 'Simulator',
    baseUrl: source!.url,
    appId: 'imputationserver2',
    location: 'local',
    notes: '',
    maxConcurrentJobs: 2,
    enabled: true,
  },
]);

interface Measurement {
  mibPerSecond: number;
  /** CPU time of the measured process per GiB moved: what the code costs, whatever the machine's load. */
  cpuSecondsPerGiB: number;
  rssMiB: number;
  initMs: number;
}

let runNumber = 0;
/** One fresh process: `variant` of `file` into `sink` (none for the download). */
async function measure(variant: Variant, file: BenchFile, sink: SinkName | undefined): Promise<Measurement> {
  runNumber += 1;
  // A fresh job (and so a fresh key) per copy: nothing a check of our bucket could find from earlier runs.
  const jobId = `01BENCH${String(runNumber).padStart(19, '0')}`;
  const key =
    variant === 'copy' ? resultKey(owner, jobId, file.name) : `bench/${variant}/${runNumber}/${file.name}`;
  if (variant === 'copy') {
    // The job record as the poll task leaves it: status COPYING_RESULTS and remoteFiles[index].{name,hash}
    // are all the copy task reads (the other fields are those every job has).
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          PK: `USER#${owner}`,
          SK: `JOB#${jobId}`,
          jobId,
          owner,
          serviceId: 'sim',
          status: 'COPYING_RESULTS',
          inputs: [],
          events: [],
          remoteFiles: listed.map((f) => ({ name: f.name, hash: f.hash, size: String(f.size) })),
        },
      }),
    );
  }
  const input =
    variant === 'copy'
      ? { jobId, owner, file: { name: file.name, index: file.index } }
      : variant === 'download'
        ? { url: file.url }
        : variant === 'upload'
          ? { bucket: BUCKET, key, seed: file.seed, size: file.size }
          : { bucket: BUCKET, key, url: file.url };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TMPDIR: tmpdir(),
    NODE_OPTIONS: DEPLOYED_NODE_OPTIONS,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb!.url,
    AWS_ENDPOINT_URL_S3: sinks[sink ?? 'discard']!.url,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    TABLE_NAME: TABLE,
    RESULTS_BUCKET: BUCKET,
    SERVICE_CATALOG,
    // The simulator is plain http on 127.0.0.1 (its redirects too).
    OUTBOUND_ALLOW_LOOPBACK: 'true',
    POWERTOOLS_SERVICE_NAME: 'imputation-gateway',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  const spec = { module: variant === 'copy' ? task.file : legs.file, variant, input };
  const { stdout, stderr, code } = await runNode(node.path, [probe.file, JSON.stringify(spec)], { env });
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_PROBE '));
  if (code !== 0 || !line) {
    throw new Error(
      `${variant} of ${file.name} into ${sink ?? '-'} failed (exit ${code}):\n${stderr}${stdout}`,
    );
  }
  const result = JSON.parse(line.slice('BENCH_PROBE '.length)) as {
    initMs: number;
    runMs: number;
    cpuMs: number;
    maxRssKiB: number;
    result: unknown;
  };
  // Every byte must have arrived: check at the sink, never trust the code under test.
  const arrived =
    variant === 'download'
      ? (result.result as number)
      : await sinkSize(sink!, key).finally(() => removeObject(sink!, key));
  if (arrived !== file.size) {
    throw new Error(
      `${variant} of ${file.name} into ${sink ?? '-'}: ${arrived} of ${file.size} bytes arrived`,
    );
  }
  return {
    mibPerSecond: file.size / MiB / (result.runMs / 1000),
    cpuSecondsPerGiB: result.cpuMs / 1000 / (file.size / GiB),
    rssMiB: result.maxRssKiB / 1024,
    initMs: result.initMs,
  };
}

async function sinkSize(sink: SinkName, key: string): Promise<number | undefined> {
  if (sink === 'discard') {
    const stats = (await (await fetch(`${sinks.discard!.url}/__stats`)).json()) as {
      objects: Record<string, number>;
    };
    return stats.objects[`${BUCKET}/${key}`];
  }
  const head = await s3rverClient!.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  return head.ContentLength;
}

/** s3rver keeps objects on disk: delete each one right after it is checked. */
async function removeObject(sink: SinkName, key: string) {
  if (sink === 's3rver') await s3rverClient!.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  else await fetch(`${sinks.discard!.url}/${BUCKET}/${key}`, { method: 'DELETE' });
}

const results = new Map<string, Measurement[]>();
const record = (id: string, m: Measurement) => results.set(id, [...(results.get(id) ?? []), m]);
const id = (size: number, variant: Variant, sink?: SinkName) => `${size}|${variant}|${sink ?? '-'}`;

try {
  // Throughput: per size, BENCH_REPEAT rounds of every (variant × sink), the order rotating each round.
  for (const size of sizes) {
    const file = files.find((f) => f.size === size)!;
    const plan: [Variant, SinkName | undefined][] = [['download', undefined]];
    for (const sink of sinkNames) for (const v of ['upload', 'pipe', 'copy'] as const) plan.push([v, sink]);
    for (let round = 0; round < repeat; round++) {
      for (let step = 0; step < plan.length; step++) {
        const [variant, sink] = plan[(step + round) % plan.length]!;
        record(id(size, variant, sink), await measure(variant, file, sink));
      }
    }
    for (const sink of sinkNames) printSink(size, sink);
  }

  // Memory: the copy task alone in a fresh process per size (discarding sink, so no disk in the way).
  for (const size of memorySizes) {
    const file = files.find((f) => f.size === size)!;
    const have = results.get(id(size, 'copy', 'discard'))?.length ?? 0;
    for (let round = have; round < repeat; round++) {
      record(id(size, 'copy', 'discard'), await measure('copy', file, 'discard'));
    }
  }
  printMemory();
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}

function printSink(size: number, sink: SinkName) {
  const what =
    sink === 'discard'
      ? 'bench/discard-s3.ts (bodies read and discarded)'
      : 's3rver (the local S3 emulator, on disk)';
  console.log(`\n${human(size)} into ${what}; median of ${repeat} (range), peak RSS = worst run`);
  console.log(
    `${'variant'.padEnd(38)} ${'MiB/s'.padStart(7)} ${'range'.padStart(11)}  ${'CPU s/GiB'.padStart(9)}  peak RSS MiB`,
  );
  const figure = (variant: Variant) => {
    const runs = results.get(id(size, variant, variant === 'download' ? undefined : sink)) ?? [];
    const speeds = runs.map((r) => r.mibPerSecond);
    return {
      mibPerSecond: median(speeds),
      range: `${Math.min(...speeds).toFixed(0)}–${Math.max(...speeds).toFixed(0)}`,
      cpu: median(runs.map((r) => r.cpuSecondsPerGiB)),
      rssMiB: Math.max(...runs.map((r) => r.rssMiB)),
    };
  };
  const f = {
    download: figure('download'),
    upload: figure('upload'),
    pipe: figure('pipe'),
    copy: figure('copy'),
  };
  for (const variant of ['download', 'upload', 'pipe', 'copy'] as const) {
    console.log(
      `${VARIANT_LABEL[variant].padEnd(38)} ${f[variant].mibPerSecond.toFixed(0).padStart(7)} ${f[variant].range.padStart(11)}  ${f[variant].cpu.toFixed(2).padStart(9)}  ${f[variant].rssMiB.toFixed(0).padStart(12)}`,
    );
  }
  const vsPipe = f.copy.mibPerSecond / f.pipe.mibPerSecond;
  const slower = Math.min(f.download.mibPerSecond, f.upload.mibPerSecond);
  const vsLeg = f.copy.mibPerSecond / slower;
  console.log(
    `copy / pipe          ${vsPipe.toFixed(2)}   goal ≥ ${GOALS.copyVsPipe}  ${mark(vsPipe >= GOALS.copyVsPipe)}`,
  );
  console.log(
    `copy / slower leg    ${vsLeg.toFixed(2)}   ${sink === 'discard' ? `goal ≥ ${GOALS.copyVsSlowerLeg}  ${mark(vsLeg >= GOALS.copyVsSlowerLeg)}` : '(no goal with a disk sink)'}   slower leg: ${f.download.mibPerSecond <= f.upload.mibPerSecond ? 'download' : 'upload'}`,
  );
  console.log(
    `CPU: copy / pipe     ${(f.copy.cpu / f.pipe.cpu).toFixed(2)}   (CPU seconds per GiB of the measured process; load-independent)`,
  );
}

function printMemory() {
  console.log(
    `\nCopy task memory: peak RSS of its own fresh process (bundled handler, Node ${node.version}, discarding sink), worst of ${repeat}`,
  );
  console.log(`${'file size'.padEnd(12)} ${'peak RSS MiB'.padStart(12)}   runs (MiB)`);
  const peaks = memorySizes.map((size) => {
    const runs = results.get(id(size, 'copy', 'discard')) ?? [];
    const peak = Math.max(...runs.map((r) => r.rssMiB));
    console.log(
      `${human(size).padEnd(12)} ${peak.toFixed(0).padStart(12)}   ${runs.map((r) => r.rssMiB.toFixed(0)).join(', ')}`,
    );
    return { size, peak };
  });
  const smallest = peaks[0]!;
  const largest = peaks.at(-1)!;
  const absolute = Math.max(...peaks.map((p) => p.peak));
  if (peaks.length > 1) {
    const ratio = largest.peak / smallest.peak;
    console.log(
      `${human(largest.size)} / ${human(smallest.size)}: ${ratio.toFixed(2)}×   goal ≤ ${GOALS.memoryRatio}×  ${mark(ratio <= GOALS.memoryRatio)}`,
    );
  }
  console.log(
    `absolute peak: ${absolute.toFixed(0)} MiB   goal ≤ ${GOALS.memoryMiB} MiB  ${mark(absolute <= GOALS.memoryMiB)}`,
  );
}
