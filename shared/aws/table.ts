/**
 * The single DynamoDB table. Every item of a user lives under the partition `USER#<sub>`, so each query
 * is scoped to the caller by construction; the sort key prefix names the entity.
 */
import { settings } from '#shared/settings';

/** TABLE_NAME, read once per runtime (shared/settings.ts). */
export const tableEnv = settings.table;

export const userPartition = (sub: string) => `USER#${sub}`;
