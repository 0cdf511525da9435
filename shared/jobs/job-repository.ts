/**
 * Jobs in DynamoDB. A job is one item under the owner's partition (`USER#<sub>`, `JOB#<ulid>`), so
 * listing is a Query newest-first and another user's id simply is not found. Every status change is a
 * single conditional UpdateItem that checks the previous state and appends the event to the item's own
 * history: atomic without transactions (which dynalite lacks), and a retried task cannot move a job twice.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv, userPartition } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import { perRuntime } from '#shared/runtime';
import { allowedPredecessors, IllegalTransitionError, type JobStatus } from './job-status';

const JOB_PREFIX = 'JOB#';

export interface JobInput {
  uploadId: string;
  key: string;
  fileName: string;
  size: number;
}

export interface JobResultFile {
  name: string;
  key: string;
  size: number;
  sha256: string;
}

/**
 * What became of one result file the service listed. `COPIED`: in our bucket, verified. `UNAVAILABLE`:
 * the service refused it (its reason kept). `FAILED`: the copy gave up after its retries.
 */
export type ResultFileOutcome =
  | ({ status: 'COPIED'; at: string } & JobResultFile)
  | { status: 'UNAVAILABLE' | 'FAILED'; name: string; code: string; reason: string; at: string };

/** A result file that could not be copied, as the owner sees it. */
export interface MissingResultFile {
  name: string;
  code: string;
  reason: string;
}

/** One status change; the state it came from is the `to` of the event before it. */
export interface JobEvent {
  at: string;
  to: JobStatus;
  detail?: string;
}

export interface JobError {
  code: string;
  message: string;
}

export interface JobRecord {
  jobId: string;
  owner: string;
  name: string;
  serviceId: string;
  refPanel: string;
  build: 'hg19' | 'hg38';
  phasing: string;
  population: string;
  mode: string;
  r2Filter: string;
  aesEncryption?: boolean;
  meta?: boolean;
  inputs: JobInput[];
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
  events: JobEvent[];
  externalJobId?: string;
  executionArn?: string;
  remote?: {
    state: number;
    positionInQueue?: number;
    messages: { step: string; type: number; message: string }[];
    checkedAt: string;
  };
  error?: JobError;
  /**
   * The service's result files as it listed them. The hash is the file's download key at the service, so
   * it stays here and out of the workflow's execution history.
   */
  remoteFiles?: RemoteResultFile[];
  /** Per-file copy outcomes keyed by the file's index in `remoteFiles`; each copy task writes its own. */
  copyOutcomes?: Record<string, ResultFileOutcome>;
  results?: JobResultFile[];
  missingResults?: MissingResultFile[];
  /** Things the owner should know about a job that still succeeded (e.g. result files missing). */
  warnings?: JobError[];
  /**
   * Set while a submission may be on its way to the service (the upload started, its outcome is not
   * known yet). A cancel then waits for the outcome instead of stopping the workflow under it.
   */
  submissionAttemptAt?: string;
  /** The last error a workflow task threw, in full; the execution state carries only its name. */
  lastFailure?: { type: string; message: string; at: string };
  /** When the marked attempt ended without a known outcome (its answer lost); see submit-job.ts. */
  submissionAttemptEndedAt?: string;
  idempotencyKey?: string;
}

export interface RemoteResultFile {
  name: string;
  hash: string;
  /** Human-readable, as the service lists it. */
  size: string;
  /** The output parameter it is listed under. */
  param?: string;
  /** Our object key's name part (differs from `name` only when two parameters list the same name). */
  target?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export class JobTransitionConflict extends Error {
  override name = 'JobTransitionConflict';
  constructor(
    readonly jobId: string,
    readonly to: JobStatus,
  ) {
    super(`Job ${jobId} is not in a state that can move to ${to}`);
  }
}

const statusIndexKey = (owner: string, status: JobStatus) => `${userPartition(owner)}#STATUS#${status}`;

export class JobRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Writes a new job; false when a job with this id already exists (a retried create). */
  async create(job: JobRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: userPartition(job.owner),
            SK: JOB_PREFIX + job.jobId,
            [tableKeys.gsi1.partitionKey]: statusIndexKey(job.owner, job.status),
            [tableKeys.gsi1.sortKey]: JOB_PREFIX + job.jobId,
            entity: 'Job',
            ...job,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(owner: string, jobId: string): Promise<JobRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { PK: userPartition(owner), SK: JOB_PREFIX + jobId },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toJob(result.Item) : undefined;
  }

  /** Newest first (ULIDs sort by time); with a status, served from the status index. */
  async list(
    owner: string,
    options: { limit: number; cursor?: string; status?: JobStatus },
  ): Promise<JobPage> {
    const startKey = options.cursor ? decodeCursor(options.cursor, owner) : undefined;
    const byStatus = options.status !== undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byStatus ? tableKeys.gsi1.indexName : undefined,
        KeyConditionExpression: byStatus ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: byStatus
          ? { '#pk': tableKeys.gsi1.partitionKey }
          : { '#pk': tableKeys.partitionKey, '#sk': tableKeys.sortKey },
        ExpressionAttributeValues: byStatus
          ? { ':pk': statusIndexKey(owner, options.status as JobStatus) }
          : { ':pk': userPartition(owner), ':prefix': JOB_PREFIX },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      jobs: (result.Items ?? []).map(toJob),
      nextCursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : null,
    };
  }

  /**
   * Moves a job to `to` if its current state allows it, with optional field changes, and records the
   * event. Throws JobTransitionConflict when the job is elsewhere (already moved, canceled, deleted).
   */
  async transition(
    owner: string,
    jobId: string,
    to: JobStatus,
    options: {
      detail?: string;
      set?: Partial<JobRecord>;
      from?: JobStatus[];
      now?: Date;
      /** Fields that must be absent for the move (e.g. no submission in flight). */
      requireAbsent?: (keyof JobRecord)[];
      /** Fields removed with the move. */
      remove?: (keyof JobRecord)[];
    } = {},
  ): Promise<JobRecord> {
    // The transition table is the only gate: a caller may narrow the predecessors, never widen them.
    const allowed = allowedPredecessors(to);
    const from = options.from ?? allowed;
    const illegal = from.find((status) => !allowed.includes(status));
    if (illegal) throw new IllegalTransitionError(illegal, to);
    const at = (options.now ?? new Date()).toISOString();
    const fields: Record<string, unknown> = {
      ...options.set,
      status: to,
      statusChangedAt: at,
      updatedAt: at,
      [tableKeys.gsi1.partitionKey]: statusIndexKey(owner, to),
    };
    const names: Record<string, string> = { '#events': 'events', '#status': 'status' };
    const values: Record<string, unknown> = {
      ':event': [{ at, to, detail: options.detail } satisfies JobEvent],
      ':empty': [],
    };
    const assignments = Object.entries(fields).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    const fromPlaceholders = from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    if (fromPlaceholders.length === 0) throw new JobTransitionConflict(jobId, to);
    const absent = (options.requireAbsent ?? []).map((field, index) => {
      names[`#a${index}`] = field;
      return ` AND attribute_not_exists(#a${index})`;
    });
    const removed = (options.remove ?? []).map((field, index) => {
      names[`#r${index}`] = field;
      return `#r${index}`;
    });
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(owner), SK: JOB_PREFIX + jobId },
          UpdateExpression:
            `SET ${assignments.join(', ')}, #events = list_append(if_not_exists(#events, :empty), :event)` +
            (removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''),
          ConditionExpression: `attribute_exists(PK) AND #status IN (${fromPlaceholders.join(', ')})${absent.join('')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toJob(result.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new JobTransitionConflict(jobId, to);
      throw error;
    }
  }

  /**
   * Binds an Idempotency-Key to a job id, first writer wins. Returns the binding that holds afterwards:
   * ours, or the one an earlier request made (whose job then answers the retry).
   */
  async claimIdempotencyKey(
    owner: string,
    key: string,
    claim: { jobId: string; requestHash: string },
    ttlSeconds = 7 * 86_400,
  ): Promise<{ jobId: string; requestHash: string; claimed: boolean }> {
    const itemKey = { PK: userPartition(owner), SK: `IDEMPOTENCY#${key}` };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKey,
            entity: 'IdempotencyKey',
            ...claim,
            [tableKeys.ttlAttribute]: Math.floor(Date.now() / 1000) + ttlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { ...claim, claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }),
    );
    return {
      jobId: String(existing.Item?.jobId),
      requestHash: String(existing.Item?.requestHash),
      claimed: false,
    };
  }

  /** Removes a job (its history goes with it: it lives in the item). */
  async delete(owner: string, jobId: string, whileIn: JobStatus[]): Promise<boolean> {
    const values: Record<string, unknown> = {};
    const allowed = whileIn.map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(owner), SK: JOB_PREFIX + jobId },
          ConditionExpression: `attribute_exists(PK) AND #status IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records one result file's outcome in the job's `copyOutcomes` map, whatever the job's state: an
   * object we copied must stay findable even if the job failed meanwhile. False when the job is gone.
   * Parallel copies each set their own key of the map, so they never overwrite each other.
   */
  async recordCopyOutcome(
    owner: string,
    jobId: string,
    index: number,
    outcome: ResultFileOutcome,
  ): Promise<boolean> {
    const key = { PK: userPartition(owner), SK: JOB_PREFIX + jobId };
    const setOutcome = () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #outcomes.#index = :outcome, updatedAt = :now',
          ConditionExpression: 'attribute_exists(PK) AND attribute_exists(#outcomes)',
          ExpressionAttributeNames: { '#outcomes': 'copyOutcomes', '#index': String(index) },
          ExpressionAttributeValues: { ':outcome': outcome, ':now': new Date().toISOString() },
        }),
      );
    try {
      await setOutcome();
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // A job from before per-file outcomes (or a lost first write): create the map, then set the key.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #outcomes = if_not_exists(#outcomes, :empty)',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#outcomes': 'copyOutcomes' },
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
      await setOutcome();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Records the last task failure on the job (any state; nothing if the job is gone). */
  async recordTaskFailure(owner: string, jobId: string, failure: NonNullable<JobRecord['lastFailure']>) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(owner), SK: JOB_PREFIX + jobId },
          UpdateExpression: 'SET lastFailure = :failure',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':failure': failure },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Changes fields without a state change, only while the job is in one of `whileIn`. */
  async update(
    owner: string,
    jobId: string,
    set: Partial<JobRecord>,
    whileIn: JobStatus[],
    remove: (keyof JobRecord)[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const assignments = Object.entries({ ...set, updatedAt: new Date().toISOString() }).map(
      ([field, value], i) => {
        names[`#f${i}`] = field;
        values[`:v${i}`] = value;
        return `#f${i} = :v${i}`;
      },
    );
    const allowed = whileIn.map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    const removed = remove.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: userPartition(owner), SK: JOB_PREFIX + jobId },
          UpdateExpression: `SET ${assignments.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(PK) AND #status IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** Cursors are opaque to clients, and bound to the owner so one cannot page through another's keys. */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

function decodeCursor(cursor: string, owner: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const partition = String(key.PK ?? '');
    if (partition !== userPartition(owner)) throw new Error('cursor of another partition');
    return key;
  } catch {
    throw new InvalidCursorError('The cursor is not valid for this listing');
  }
}

function toJob(item: Record<string, unknown>): JobRecord {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, entity: _entity, ...job } = item;
  return job as unknown as JobRecord;
}

export function jobRepository(): JobRepository {
  return perRuntime(jobRepository, () => new JobRepository(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
