/**
 * Key schema of the gateway's one table, shared by the CDK stack and the local stack so both create the
 * same table. `expiresAt` (epoch seconds) is the TTL attribute.
 */
export const tableKeys = {
  partitionKey: 'PK',
  sortKey: 'SK',
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /**
   * The watch index (sparse, keys only): a job the watcher looks after carries `WATCH#<service>#<kind>`
   * and `<nextAt>#<jobId>`, so one Query per service and kind finds what is due (shared/jobs/job-watch.ts).
   */
  gsi2: { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  /**
   * The outbox index (sparse, keys only): an item with events not yet published carries `OUTBOX` and
   * `<due>#<PK>#<SK>`, so the publisher finds what is due with one Query (shared/events/outbox.ts).
   */
  gsi3: { indexName: 'GSI3', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
  /** The list of an item's events not yet published (never part of a record: see item-store.ts). */
  outboxAttribute: 'outbox',
  ttlAttribute: 'expiresAt',
} as const;

/**
 * Every global secondary index of the table, with what it projects: the CDK stack (infra/constructs/
 * storage.ts) and the local table (infra/local/emulators/dynamodb.ts) are both made from this list, so
 * an index the code queries cannot exist in one and be missing in the other.
 */
export const tableIndexes = [
  { ...tableKeys.gsi1, projection: 'ALL' },
  { ...tableKeys.gsi2, projection: 'KEYS_ONLY' },
  { ...tableKeys.gsi3, projection: 'KEYS_ONLY' },
] as const;

/**
 * The DynamoDB actions a function may be granted on the table (IAM `dynamodb:<action>`): a route, task or
 * the watcher lists exactly the ones its code issues (test/infra/table-grants.test.ts reads the code to
 * check). `Query` also covers the table's indexes. No function scans, batch-writes or transacts.
 */
export type TableAction = 'GetItem' | 'Query' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem';
