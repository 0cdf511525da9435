/**
 * Key schema of the gateway's one table, shared by the CDK stack and the local stack so both create the
 * same table. `expiresAt` (epoch seconds) is the TTL attribute.
 */
export const tableKeys = {
  partitionKey: 'PK',
  sortKey: 'SK',
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  ttlAttribute: 'expiresAt',
} as const;
