/**
 * Listing jobs: latency of the first page (25, newest first), of a status-filtered page and of page 3
 * (two cursors) through the real job repository, for users with 100, 1,000 and 10,000 jobs in one table.
 * dynalite runs in a process of its own. After BENCH_LIST_WARMUP untimed rounds, BENCH_LIST_ROUNDS timed
 * rounds each query every user once, in an order that rotates per round, so the sizes are measured
 * interleaved under the same conditions; median and p95 per size. A Query on the owner's partition
 * (never a Scan) should stay flat as the count grows.
 *
 * Run: npm run bench:list
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { jobRecord } from '#test/support/job-fixtures';
import { startServer } from './serve';

const SIZES = [100, 1_000, 10_000];
const WARMUP = Number(process.env.BENCH_LIST_WARMUP ?? 5);
const ROUNDS = Number(process.env.BENCH_LIST_ROUNDS ?? 30);
const TABLE = 'bench-list';

const dynamodb = await startServer('dynamodb', { BENCH_TABLE: TABLE });
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
  TABLE_NAME: TABLE,
});
const { dynamoDocumentClient } = await import('#shared/aws/clients');
const { tableKeys } = await import('#shared/aws/table-definition');
const { userPartition } = await import('#shared/aws/table');
const { jobRepository } = await import('#shared/jobs/job-repository');
const statuses = ['SUCCEEDED', 'FAILED', 'RUNNING', 'CANCELED'] as const;
const ownerOf = (count: number) => `bench-owner-${count}`;

/** Items shaped as JobRepository.create writes them (keys, status index, entity), with a job's usual fields. */
async function addJobs(owner: string, count: number) {
  for (let done = 0; done < count; done += 25) {
    const items = Array.from({ length: Math.min(25, count - done) }, (_, i) => {
      const jobId = ulid();
      const status = statuses[(done + i) % statuses.length]!;
      const at = new Date().toISOString();
      return {
        PutRequest: {
          Item: {
            PK: userPartition(owner),
            SK: `JOB#${jobId}`,
            [tableKeys.gsi1.partitionKey]: `${userPartition(owner)}#STATUS#${status}`,
            [tableKeys.gsi1.sortKey]: `JOB#${jobId}`,
            entity: 'Job',
            ...jobRecord({
              jobId,
              owner,
              name: `job ${done + i}`,
              status,
              inputs: [
                {
                  uploadId: ulid(),
                  key: `inputs/${owner}/${jobId}.vcf.gz`,
                  fileName: 'chr20.vcf.gz',
                  size: 1e8,
                },
              ],
              events: [
                { at, to: 'QUEUED' },
                { at, to: 'QUEUED_REMOTE', detail: 'submitted to the service as job-20250101-000000-000' },
                { at, to: status },
              ],
              createdAt: at,
            }),
          },
        },
      };
    });
    await dynamoDocumentClient().send(new BatchWriteCommand({ RequestItems: { [TABLE]: items } }));
  }
}

for (const size of SIZES) await addJobs(ownerOf(size), size);
const repo = jobRepository();
const queries = {
  first: (owner: string) => repo.list(owner, { limit: 25 }),
  filtered: (owner: string) => repo.list(owner, { limit: 25, status: 'FAILED' }),
  third: async (owner: string) => {
    const one = await repo.list(owner, { limit: 25 });
    const two = await repo.list(owner, { limit: 25, cursor: one.nextCursor! });
    return repo.list(owner, { limit: 25, cursor: two.nextCursor! });
  },
};
type Query = keyof typeof queries;
const samples = new Map<string, number[]>();
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (let step = 0; step < SIZES.length; step++) {
    const size = SIZES[(step + round) % SIZES.length]!;
    for (const query of Object.keys(queries) as Query[]) {
      const started = performance.now();
      await queries[query](ownerOf(size));
      const ms = performance.now() - started;
      if (round >= WARMUP) samples.set(`${size}|${query}`, [...(samples.get(`${size}|${query}`) ?? []), ms]);
    }
  }
}
await dynamodb.stop();

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return `${at(0.5).toFixed(1).padStart(6)} ${at(0.95).toFixed(1).padStart(6)}`;
};
console.log(
  `Node ${process.version}; dynalite in its own process; ${WARMUP} warm-up rounds, then ${ROUNDS} interleaved rounds`,
);
console.log('jobs of the user    first page ms     filtered page ms   page 3 (2 cursors) ms');
console.log('                   median    p95      median    p95      median    p95');
for (const size of SIZES) {
  console.log(
    `${String(size).padStart(16)}   ${stats(samples.get(`${size}|first`)!)}    ${stats(samples.get(`${size}|filtered`)!)}    ${stats(samples.get(`${size}|third`)!)}`,
  );
}
