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
  ttlAttribute: 'expiresAt',
} as const;
