/**
 * Copying large results: streams a 1 GiB and a 4 GiB simulated result file from the Cloudgene simulator
 * into S3 (s3rver) with the real copy task, and compares with a plain download of the same file in the
 * same run. Prints throughput and this process's peak RSS for each; the emulators run in a child process
 * so the memory figure is the copy's own.
 *
 * Run: npm run bench   (BENCH_SIZES=1073741824,4294967296 by default; set smaller sizes for a quick run)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PutCommand } from '@aws-sdk/lib-dynamodb';

const GiB = 1024 ** 3;
const sizes = (process.env.BENCH_SIZES ?? `${GiB},${4 * GiB}`).split(',').map(Number);

const child = spawn(process.execPath, ['--import', 'tsx', 'bench/emulators.ts'], {
  env: { ...process.env, BENCH_SIZES: sizes.join(','), NODE_OPTIONS: '--openssl-legacy-provider' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const endpoints = await new Promise<{ dynamodb: string; s3: string; sim: string }>((resolve) => {
  createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
});

Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_S3: endpoints.s3,
  AWS_S3_FORCE_PATH_STYLE: 'true',
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  TABLE_NAME: 'bench',
  RESULTS_BUCKET: 'bench-results',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  SERVICE_CATALOG: JSON.stringify([
    {
      id: 'sim',
      name: 'Simulator',
      baseUrl: endpoints.sim,
      appId: 'imputationserver2',
      location: 'local',
      notes: '',
      maxConcurrentJobs: 2,
      enabled: true,
    },
  ]),
});

const { CloudgeneClient } = await import('#shared/cloudgene/client');
const { copyResultFile } = await import('#shared/workflow/copy-result');
const { dynamoDocumentClient } = await import('#shared/aws/clients');

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const measure = async (run: () => Promise<number>) => {
  global.gc?.();
  peak = process.memoryUsage().rss;
  const baseline = peak;
  const started = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    bytes,
    seconds,
    mibPerSecond: bytes / 1024 ** 2 / seconds,
    peakRssMiB: peak / 1024 ** 2,
    baselineMiB: baseline / 1024 ** 2,
  };
};

// One service job with the files, submitted through the API like a real one.
const owner = 'bench-user';
const client = new CloudgeneClient({ baseUrl: endpoints.sim, appId: 'imputationserver2' });
const created = await fetch(`${endpoints.sim}/__admin/users`, {
  method: 'POST',
  body: JSON.stringify({ username: 'bench' }),
});
const userToken = ((await created.json()) as { token: string }).token;
const authed = new CloudgeneClient({ baseUrl: endpoints.sim, appId: 'imputationserver2', token: userToken });
const { id } = await authed.submitJob({
  jobName: 'bench',
  refPanel: 'apps@1000g-phase-3-v5@2.0.0',
  build: 'hg19',
  phasing: 'eagle',
  population: 'eur',
  mode: 'imputation',
  r2Filter: '0',
  password: 'x',
  files: [{ name: 'in.vcf.gz', size: 1, stream: () => [Buffer.from('x')] as never }],
});
let job = await authed.getJob(id);
while (job.state !== 4) {
  await new Promise((r) => setTimeout(r, 100));
  job = await authed.getJob(id);
}
const files = job.outputParams.flatMap((p) => p.files).filter((f) => /^chr_\d+\.zip$/.test(f.name));
const jobId = '01BENCH0000000000000000000';
await dynamoDocumentClient().send(
  new PutCommand({
    TableName: 'bench',
    Item: {
      PK: `USER#${owner}`,
      SK: `JOB#${jobId}`,
      jobId,
      owner,
      serviceId: 'sim',
      status: 'COPYING_RESULTS',
      inputs: [],
      events: [],
      remoteFiles: files.map((f) => ({ name: f.name, hash: f.hash, size: String(f.size) })),
    },
  }),
);

const { Upload } = await import('@aws-sdk/lib-storage');
const { s3Client } = await import('#shared/aws/clients');
const { resultStream } = await import('#test/simulator/result-bytes');

console.log('file        size     | plain download   | plain S3 upload  | copy task (download → hash → S3)');
console.log('                     | MiB/s  peak RSS  | MiB/s  peak RSS  | MiB/s  peak RSS  RSS before');
for (const [index, file] of files.entries()) {
  const plain = await measure(async () => {
    const download = await client.downloadResult(file);
    let bytes = 0;
    for await (const chunk of download.body) bytes += chunk.length;
    return bytes;
  });
  const upload = await measure(async () => {
    await new Upload({
      client: s3Client(),
      params: {
        Bucket: 'bench-results',
        Key: `plain/${file.name}`,
        Body: resultStream('plain', sizes[index]!),
      },
      partSize: 16 * 1024 * 1024,
      queueSize: 4,
    }).done();
    return sizes[index]!;
  });
  const copy = await measure(
    async () => (await copyResultFile({ jobId, owner }, { name: file.name, index })).size,
  );
  const size =
    sizes[index]! >= GiB ? `${sizes[index]! / GiB} GiB` : `${Math.round(sizes[index]! / 1024 ** 2)} MiB`;
  const cell = (m: { mibPerSecond: number; peakRssMiB: number }) =>
    `${m.mibPerSecond.toFixed(0).padStart(5)}  ${m.peakRssMiB.toFixed(0).padStart(5)} MiB`;
  console.log(
    `${file.name.padEnd(11)} ${size.padEnd(8)} | ${cell(plain)}  | ${cell(upload)}  | ${cell(copy)}  ${copy.baselineMiB.toFixed(0)} MiB`,
  );
}
clearInterval(sampler);
child.kill('SIGTERM');
