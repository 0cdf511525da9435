/**
 * The single DynamoDB table. Every item of a user lives under the partition `USER#<sub>`, so each query
 * is scoped to the caller by construction; the sort key prefix names the entity.
 */
import { z } from 'zod';
import { lazyEnv } from '#shared/config';

export const tableEnv = lazyEnv(z.object({ TABLE_NAME: z.string().min(1) }));

export const userPartition = (sub: string) => `USER#${sub}`;
