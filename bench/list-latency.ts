/**
 * Listing jobs: latency of the first page (25, newest first) and of a status-filtered page as one user's
 * job count grows from 100 to 10,000, against dynalite. A Query on the owner's partition (never a Scan)
 * should stay flat.
 *
 * Run: npx tsx bench/list-latency.ts
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { ensureGatewayTable, startDynamoDbEmulator } from '#infra/local/emulators/dynamodb';

const dynamodb = await startDynamoDbEmulator();
await ensureGatewayTable(dynamodb.url, 'bench-list');
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
  TABLE_NAME: 'bench-list',
});
const { dynamoDocumentClient } = await import('#shared/aws/clients');
const { jobRepository } = await import('#shared/jobs/job-repository');
const owner = 'bench-owner';
const statuses = ['SUCCEEDED', 'FAILED', 'RUNNING', 'CANCELED'];

async function addJobs(count: number) {
  for (let done = 0; done < count; done += 25) {
    const items = Array.from({ length: Math.min(25, count - done) }, (_, i) => {
      const jobId = ulid();
      const status = statuses[(done + i) % statuses.length]!;
      return {
        PutRequest: {
          Item: {
            PK: `USER#${owner}`,
            SK: `JOB#${jobId}`,
            GSI1PK: `USER#${owner}#STATUS#${status}`,
            GSI1SK: `JOB#${jobId}`,
            entity: 'Job',
            jobId,
            owner,
            name: `job ${done + i}`,
            serviceId: 'michigan',
            status,
            inputs: [],
            events: [],
            createdAt: new Date().toISOString(),
          },
        },
      };
    });
    await dynamoDocumentClient().send(new BatchWriteCommand({ RequestItems: { 'bench-list': items } }));
  }
}

async function median(run: () => Promise<unknown>, times = 20) {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

console.log('jobs of the user   first page ms   filtered page ms   page 3 (cursor) ms');
let total = 0;
for (const target of [100, 1_000, 10_000]) {
  await addJobs(target - total);
  total = target;
  const repo = jobRepository();
  const first = await median(() => repo.list(owner, { limit: 25 }));
  const filtered = await median(() => repo.list(owner, { limit: 25, status: 'FAILED' }));
  const third = await median(async () => {
    const one = await repo.list(owner, { limit: 25 });
    const two = await repo.list(owner, { limit: 25, cursor: one.nextCursor! });
    return repo.list(owner, { limit: 25, cursor: two.nextCursor! });
  }, 10);
  console.log(
    `${String(target).padStart(16)} ${first.toFixed(1).padStart(15)} ${filtered.toFixed(1).padStart(18)} ${third.toFixed(1).padStart(20)}`,
  );
}
await dynamodb.close();
