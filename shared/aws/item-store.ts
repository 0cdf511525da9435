/**
 * The get / conditional-write / strip-keys pattern the DynamoDB stores (jobs, credentials, uploads,
 * upload slots) share. Items are read strongly consistent and handed back without the table's own
 * attributes (keys, index keys, the entity tag), which no record type carries. A conditional write answers
 * whether its condition held instead of throwing: a failed condition is an expected outcome (a retried
 * create, a lost race, a job that moved on) that each store turns into `false` or its own typed conflict.
 * Anything else DynamoDB throws (throttling after the SDK's retries, a 5xx) is thrown on unchanged.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { userPartition } from './table';
import { tableKeys } from './table-definition';

export type Item = Record<string, unknown>;
export interface ItemKey {
  PK: string;
  SK: string;
}

/** The condition of a put or delete, in DynamoDB's own terms. */
export type WriteCondition = Pick<
  PutCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;
/** An UpdateItem without table, key and return values (the store fills those in). */
export type ItemUpdate = Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues'>;

/** The key of an item under the owner's partition. */
export const userItemKey = (owner: string, sortKey: string): ItemKey => ({
  PK: userPartition(owner),
  SK: sortKey,
});

const TABLE_ATTRIBUTES: string[] = [
  tableKeys.partitionKey,
  tableKeys.sortKey,
  tableKeys.gsi1.partitionKey,
  tableKeys.gsi1.sortKey,
  tableKeys.gsi2.partitionKey,
  tableKeys.gsi2.sortKey,
  tableKeys.gsi3.partitionKey,
  tableKeys.gsi3.sortKey,
  tableKeys.outboxAttribute,
  'entity',
];

export function withoutTableAttributes(item: Item): Item {
  const record = { ...item };
  for (const name of TABLE_ATTRIBUTES) delete record[name];
  return record;
}

/**
 * `#f0 = :v0, #f1 = :v1, …` for an UpdateExpression's SET, the fields' names and values added to
 * `names` and `values`: any field name is safe, and no value is spliced into the expression.
 */
export function assignments(
  fields: Record<string, unknown>,
  names: Record<string, string>,
  values: Record<string, unknown>,
): string[] {
  return Object.entries(fields).map(([field, value], index) => {
    names[`#f${index}`] = field;
    values[`:v${index}`] = value;
    return `#f${index} = :v${index}`;
  });
}

const EXISTS: WriteCondition = { ConditionExpression: `attribute_exists(${tableKeys.partitionKey})` };

/** The write's result, or undefined when its condition did not hold. */
async function unlessConditionFails<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export class ItemStore {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The item as the record type `T` it stores (the store's own type: nothing checks it here). */
  async get<T = Item>(key: ItemKey): Promise<T | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item ? (withoutTableAttributes(result.Item) as T) : undefined;
  }

  /** The item as stored, the table's own attributes (index keys, outbox, TTL) included. */
  async getStored(key: ItemKey): Promise<Item | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }

  /** Writes a new item; false when one with its key exists already (nothing was written). */
  insert(item: ItemKey & Item): Promise<boolean> {
    return this.put(item, { ConditionExpression: `attribute_not_exists(${tableKeys.partitionKey})` });
  }

  /** Writes the whole item; false when the condition did not hold (nothing was written). */
  async put(item: ItemKey & Item, condition: WriteCondition = {}): Promise<boolean> {
    const written = await unlessConditionFails(
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition })),
    );
    return written !== undefined;
  }

  /** Applies the update; false when its condition did not hold (nothing was changed). */
  async update(key: ItemKey, update: ItemUpdate): Promise<boolean> {
    const written = await unlessConditionFails(
      this.client.send(new UpdateCommand({ TableName: this.tableName, Key: key, ...update })),
    );
    return written !== undefined;
  }

  /** Applies the update and returns the item as it is now; undefined when the condition did not hold. */
  async updateAndGet<T = Item>(key: ItemKey, update: ItemUpdate): Promise<T | undefined> {
    const written = await unlessConditionFails(
      this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: key, ...update, ReturnValues: 'ALL_NEW' }),
      ),
    );
    return written ? (withoutTableAttributes(written.Attributes ?? {}) as T) : undefined;
  }

  /**
   * Deletes the item if the condition holds (by default: that it exists); false when nothing was
   * deleted.
   */
  async delete(key: ItemKey, condition: WriteCondition = EXISTS): Promise<boolean> {
    const deleted = await unlessConditionFails(
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key, ...condition })),
    );
    return deleted !== undefined;
  }

  /** One page of a query; `lastKey` is where the next page starts (absent on the last). */
  /** A page of a keys-only index: the items as stored, keys included. */
  async queryKeys(query: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; lastKey?: Item }> {
    const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...query }));
    return { items: page.Items ?? [], lastKey: page.LastEvaluatedKey };
  }

  async queryPage<T = Item>(
    query: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: T[]; lastKey?: Item }> {
    const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...query }));
    const items = (page.Items ?? []).map((item) => withoutTableAttributes(item) as T);
    return { items, lastKey: page.LastEvaluatedKey };
  }
}
