/**
 * Each service's health record, one item under the service's own partition (`SERVICE#<id>`, never a
 * user's). Written by the watcher only, with a condition on the check it read, so two runs that overlap
 * cannot put an older observation over a newer one; read by the services routes. A write that changes the
 * status also appends the change to the item's outbox (shared/events/outbox.ts) in the same UpdateItem.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { assignments, type ItemKey, ItemStore } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
import { outboxEntry, withOutbox } from '#shared/events/outbox';
import { perRuntime } from '#shared/runtime';
import type { HealthRecord } from './service-health';

const healthKey = (serviceId: string): ItemKey => ({ PK: `SERVICE#${serviceId}`, SK: 'HEALTH' });

export class HealthStore {
  private readonly items: ItemStore;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
  }

  get(serviceId: string): Promise<HealthRecord | undefined> {
    return this.items.get<HealthRecord>(healthKey(serviceId));
  }

  async getMany(serviceIds: readonly string[]): Promise<Map<string, HealthRecord>> {
    const records = await Promise.all(serviceIds.map((id) => this.get(id)));
    return new Map(records.flatMap((record) => (record ? [[record.serviceId, record] as const] : [])));
  }

  /**
   * Writes the record unless another run wrote after `previous` was read; false then. Every field of the
   * record is set (an UpdateItem, so the item's pending outbox stays); a new status is an outbox entry.
   */
  put(record: HealthRecord, previous: HealthRecord | undefined): Promise<boolean> {
    const key = healthKey(record.serviceId);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const set = assignments({ entity: 'ServiceHealth', ...record }, names, values);
    if (previous) values[':previous'] = previous.checkedAt;
    const update = {
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: previous ? 'checkedAt = :previous' : 'attribute_not_exists(PK)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    if (record.status === previous?.status) return this.items.update(key, update);
    const error = record.lastError?.at === record.checkedAt ? record.lastError.detail : undefined;
    const entry = outboxEntry({
      kind: 'SERVICE_HEALTH',
      at: record.checkedAt,
      from: previous?.status ?? null,
      to: record.status,
      ...(error === undefined ? {} : { detail: error }),
    });
    return this.items.update(key, withOutbox(update, [entry], key));
  }
}

export function healthStore(): HealthStore {
  return perRuntime(healthStore, () => new HealthStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
