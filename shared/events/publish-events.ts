/**
 * The outbox publisher, run at the end of every watcher run (shared/health/watch-services.ts): finds the
 * items with events due through the outbox index (one Query, oldest first), reads each, sends their due
 * events to the bus (PutEvents, at most 10 entries and 256 KB a call), then removes from each item exactly
 * the entries that went through (conditional on their positions and ids: what was appended meanwhile
 * stays) and takes the item out of the index once nothing is left. An entry whose PutEvents failed, or
 * that came back with an error code, stays and is sent again by the next run; so does one whose removal
 * failed after it was sent: delivery is at least once, and a consumer drops an `eventId` it has seen.
 * A run never throws: what went wrong is logged and left for the next run.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type Item, type ItemKey, ItemStore } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import { logger } from '#shared/logger';
import { settings } from '#shared/settings';
import { type EventSink, eventBridgeClient, type PutEventsRequestEntry } from './event-bus-client';
import { EVENT_SOURCE, eventOf } from './event-types';
import {
  dueAt,
  dueBy,
  OUTBOX_PARTITION,
  type OutboxEntry,
  outboxRemoval,
  outboxSettle,
  outboxUnchanged,
} from './outbox';

/** PutEvents takes at most 10 entries and 256 KB in all. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

export interface PublishRun {
  /** Items read with something due. */
  items: number;
  published: number;
  /** Entries left for the next run (PutEvents refused them or failed). */
  failed: number;
  /** Scheduled entries that no longer stood (a replaced token's expiry), removed unpublished. */
  dropped: number;
  errors: number;
}

export interface PublishOptions {
  now?: Date;
  sink?: EventSink;
  client?: DynamoDBDocumentClient;
  tableName?: string;
  eventBusName?: string;
  /** Items taken in one run at most (the rest is due at the next). */
  maxItems?: number;
}

interface Pending {
  key: ItemKey;
  position: number;
  entry: OutboxEntry;
  request?: PutEventsRequestEntry;
  sent: boolean;
}

/** PutEvents' own measure of an entry's size. */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    14 +
    Buffer.byteLength(entry.Source) +
    Buffer.byteLength(entry.DetailType) +
    Buffer.byteLength(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + Buffer.byteLength(resource), 0)
  );
}

/** Groups entries into PutEvents calls: at most 10 and 256 KB each, in order. */
export function batches<T extends { request?: PutEventsRequestEntry }>(pending: readonly T[]): T[][] {
  const result: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of pending) {
    const size = entrySize(item.request!);
    if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      result.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) result.push(batch);
  return result;
}

export async function publishEvents(options: PublishOptions = {}): Promise<PublishRun> {
  const now = options.now ?? new Date();
  const client = options.client ?? dynamoDocumentClient();
  const tableName = options.tableName ?? tableEnv().TABLE_NAME;
  const busName = options.eventBusName ?? settings.events().EVENT_BUS_NAME;
  const sink = options.sink ?? eventBridgeClient();
  const items = new ItemStore(client, tableName);
  const run: PublishRun = { items: 0, published: 0, failed: 0, dropped: 0, errors: 0 };

  const keys = await dueKeys(items, now, options.maxItems ?? 500);
  const read = await readItems(client, tableName, keys);

  const byItem = new Map<
    string,
    { key: ItemKey; outbox: OutboxEntry[]; pending: Pending[]; departed: boolean }
  >();
  for (const { key, item } of read) {
    if (!item) continue;
    const outbox = (item[tableKeys.outboxAttribute] as OutboxEntry[] | undefined) ?? [];
    const pending: Pending[] = [];
    outbox.forEach((entry, position) => {
      if (dueAt(entry) > now.toISOString()) return;
      const event = eventOf(item, entry);
      pending.push({
        key,
        position,
        entry,
        sent: false,
        request: event
          ? {
              Source: EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
              EventBusName: busName,
              Time: new Date(entry.at),
            }
          : undefined,
      });
    });
    run.items += 1;
    byItem.set(`${key.PK}\u0000${key.SK}`, { key, outbox, pending, departed: item.departed === true });
  }

  const toSend = [...byItem.values()].flatMap(({ pending }) => pending.filter((p) => p.request));
  for (const batch of batches(toSend)) {
    try {
      const result = await sink.putEvents(batch.map((p) => p.request!));
      batch.forEach((p, index) => {
        const answer = result.Entries[index];
        p.sent = answer !== undefined && !answer.ErrorCode;
        if (!p.sent) {
          logger.warn('event not accepted by the bus; kept for the next run', {
            eventId: p.entry.id,
            errorCode: answer?.ErrorCode ?? 'NO_ANSWER',
          });
        }
      });
    } catch (error) {
      run.errors += 1;
      logger.warn('PutEvents failed; the events stay in the outbox', {
        entries: batch.length,
        error: (error as Error).message,
      });
    }
  }

  for (const { key, outbox, pending, departed } of byItem.values()) {
    const done = pending.filter((p) => p.sent || !p.request);
    run.published += done.filter((p) => p.sent).length;
    run.dropped += done.filter((p) => !p.request).length;
    run.failed += pending.length - done.length;
    try {
      if (done.length > 0) {
        const removed = await items.update(
          key,
          outboxRemoval(done.map((p) => ({ position: p.position, id: p.entry.id }))),
        );
        if (!removed) {
          logger.warn('outbox changed under the publisher; its entries are sent again', { key });
          run.errors += 1;
          continue;
        }
      }
      const gone = new Set(done.map((p) => p.position));
      const remaining = outbox.filter((_, position) => !gone.has(position));
      // Past-due entries left (not accepted) keep the item where it is: the next run takes them again.
      if (remaining.some((entry) => dueAt(entry) <= now.toISOString())) continue;
      // A deleted job's events (outbox.ts `departedJobItem`): the item was only there to send them.
      if (departed && remaining.length === 0) await items.delete(key, outboxUnchanged([]));
      else await items.update(key, outboxSettle(remaining, key));
    } catch (error) {
      run.errors += 1;
      logger.warn('outbox update failed; its entries are sent again', {
        key,
        error: (error as Error).message,
      });
    }
  }
  return run;
}

/**
 * The items, read strongly consistent, 100 a call (BatchGetItem); keys DynamoDB leaves unprocessed are
 * left for the next run (they stay in the index).
 */
async function readItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
): Promise<{ key: ItemKey; item: Item | undefined }[]> {
  const found = new Map<string, Item>();
  for (let start = 0; start < keys.length; start += 100) {
    const result = await client.send(
      new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: keys.slice(start, start + 100), ConsistentRead: true } },
      }),
    );
    for (const item of result.Responses?.[tableName] ?? []) found.set(`${item.PK}\u0000${item.SK}`, item);
  }
  return keys.map((key) => ({ key, item: found.get(`${key.PK}\u0000${key.SK}`) }));
}

/** The keys of the items with an entry due at `now`, oldest first. */
async function dueKeys(items: ItemStore, now: Date, maxItems: number): Promise<ItemKey[]> {
  const keys: ItemKey[] = [];
  let cursor: Item | undefined;
  do {
    const page = await items.queryKeys({
      IndexName: tableKeys.gsi3.indexName,
      KeyConditionExpression: '#pk = :pk AND #sk <= :due',
      ExpressionAttributeNames: { '#pk': tableKeys.gsi3.partitionKey, '#sk': tableKeys.gsi3.sortKey },
      ExpressionAttributeValues: { ':pk': OUTBOX_PARTITION, ':due': dueBy(now) },
      Limit: Math.min(100, maxItems - keys.length),
      ExclusiveStartKey: cursor,
    });
    for (const item of page.items) {
      keys.push({ PK: String(item[tableKeys.partitionKey]), SK: String(item[tableKeys.sortKey]) });
    }
    cursor = page.lastKey;
  } while (cursor && keys.length < maxItems);
  return keys;
}

/** The watcher's call: a run's outcome, logged when anything happened; never throws. */
export async function publishPendingEvents(options: PublishOptions = {}): Promise<PublishRun | undefined> {
  try {
    const run = await publishEvents(options);
    if (run.items > 0) logger.info('events published', { ...run });
    return run;
  } catch (error) {
    logger.error('event publishing failed; the outbox keeps the events', {
      error: (error as Error).message,
    });
    return undefined;
  }
}
