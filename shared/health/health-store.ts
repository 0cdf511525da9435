/**
 * Each service's health record, one item under the service's own partition (`SERVICE#<id>`, never a
 * user's). Written by the watcher only, with a condition on the check it read, so two runs that overlap
 * cannot put an older observation over a newer one; read by the services routes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ItemKey, ItemStore } from '#shared/aws/item-store';
import { tableEnv } from '#shared/aws/table';
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

  /** Writes the record unless another run wrote after `previous` was read; false then. */
  put(record: HealthRecord, previous: HealthRecord | undefined): Promise<boolean> {
    return this.items.put(
      { ...healthKey(record.serviceId), entity: 'ServiceHealth', ...record },
      previous
        ? {
            ConditionExpression: 'checkedAt = :previous',
            ExpressionAttributeValues: { ':previous': previous.checkedAt },
          }
        : { ConditionExpression: 'attribute_not_exists(PK)' },
    );
  }
}

export function healthStore(): HealthStore {
  return perRuntime(healthStore, () => new HealthStore(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
