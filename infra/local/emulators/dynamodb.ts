/**
 * DynamoDB for the local stack and the tests: dynalite (in memory, or on disk under a folder), plus the
 * creation of the gateway's table with the same key schema the CDK stack deploys. dynalite has no
 * transactions and no TTL, which is why the gateway relies on conditional writes only.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableKeys } from '#shared/aws/table-definition';

export interface DynamoDbEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDynamoDbEmulator(
  options: { port?: number; path?: string } = {},
): Promise<DynamoDbEmulator> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Creates the gateway table if it does not exist yet (idempotent, so a restart keeps the data). */
export async function ensureGatewayTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: tableKeys.partitionKey, AttributeType: 'S' },
          { AttributeName: tableKeys.sortKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi1.partitionKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi1.sortKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi2.partitionKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi2.sortKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi3.partitionKey, AttributeType: 'S' },
          { AttributeName: tableKeys.gsi3.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: tableKeys.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableKeys.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: tableKeys.gsi1.indexName,
            KeySchema: [
              { AttributeName: tableKeys.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: tableKeys.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          watchIndex,
          outboxIndex,
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await untilActive(client, tableName);
  // A table kept on disk from before the watch or the outbox index gets it now (the CDK stack adds each
  // by an update too; DynamoDB creates one index per update).
  for (const index of [watchIndex, outboxIndex]) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.GlobalSecondaryIndexes?.some((existing) => existing.IndexName === index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: index.KeySchema.map(({ AttributeName }) => ({
          AttributeName,
          AttributeType: 'S' as const,
        })),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await untilActive(client, tableName);
  }
  client.destroy();
}

/** A sparse keys-only index of the table: items carry its keys only while they are listed there. */
const keysOnlyIndex = (index: { indexName: string; partitionKey: string; sortKey: string }) => ({
  IndexName: index.indexName,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' as const },
});

/** The watch index: what the watcher looks after, by service, kind and due time (shared/jobs/job-watch.ts). */
const watchIndex = keysOnlyIndex(tableKeys.gsi2);

/** The outbox index: items with events not yet published (shared/events/outbox.ts). */
const outboxIndex = keysOnlyIndex(tableKeys.gsi3);

async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
    );
    if (Table?.TableStatus === 'ACTIVE' && indexesReady) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** s3rver accepts only S3RVER/S3RVER; the other emulators accept anything, so all use these. */
export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
