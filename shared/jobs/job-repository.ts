/**
 * Jobs in DynamoDB. A job is one item under the owner's partition (`USER#<sub>`, `JOB#<ulid>`), so
 * listing is a Query newest-first and another user's id simply is not found. Every status change is a
 * single conditional UpdateItem that checks the previous state and appends the event to the item's own
 * history: atomic without transactions (which dynalite lacks), and a retried task cannot move a job twice.
 * The record types, the expressions, the cursor and the Idempotency-Key bindings live in their own
 * modules (job-record, job-update-expressions, job-cursor, job-idempotency); this is the one writer.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ItemKey, ItemStore, type ItemUpdate } from '#shared/aws/item-store';
import { tableEnv, userPartition } from '#shared/aws/table';
import { tableKeys } from '#shared/aws/table-definition';
import {
  departedJobItem,
  jobStatusEntries,
  type OutboxEntry,
  outboxFields,
  outboxUnchanged,
} from '#shared/events/outbox';
import { releaseQuietly, UserQuotas } from '#shared/quotas/user-quotas';
import { perRuntime } from '#shared/runtime';
import { truncated } from '#shared/text-limit';
import { decodeCursor, encodeCursor } from './job-cursor';
import { claimIdempotencyKey, type IdempotencyBinding } from './job-idempotency';
import type { JobEvent, JobPage, JobRecord, ResultFileOutcome } from './job-record';
import { allowedPredecessors, IllegalTransitionError, isTerminal, type JobStatus } from './job-status';
import {
  compactedHistory,
  copyOutcomesMap,
  copyOutcomeUpdate,
  JOB_PREFIX,
  jobInStates,
  jobKey,
  jobUpdate,
  MAX_JOB_EVENTS,
  statusIndexKey,
  taskFailureUpdate,
} from './job-update-expressions';
import {
  dueBefore,
  type JobWatch,
  WATCH_FIELDS,
  type WatchKind,
  watchFields,
  watchPartition,
} from './job-watch';
import type { ParentJobRecord } from './parent-job-record';

export { InvalidCursorError } from './job-cursor';
export type {
  JobError,
  JobEvent,
  JobInput,
  JobPage,
  JobRecord,
  JobResultFile,
  MissingResultFile,
  RemoteResultFile,
  ResultFileOutcome,
} from './job-record';

export class JobTransitionConflict extends Error {
  override name = 'JobTransitionConflict';
  constructor(
    readonly jobId: string,
    readonly to: JobStatus,
  ) {
    super(`Job ${jobId} is not in a state that can move to ${to}`);
  }
}

/**
 * A write that would leave a job that is not over with no watch: nothing would look after it again (a
 * programming error, refused before anything is written).
 */
export class UnwatchedJobError extends Error {
  constructor(jobId: string, statuses: JobStatus[]) {
    super(
      `Job ${jobId} would be left without a watch while ${statuses.join(' or ')}: give it the one that fits`,
    );
    this.name = 'UnwatchedJobError';
  }
}

export class JobRepository {
  private readonly items: ItemStore;
  private readonly quotas: UserQuotas;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new ItemStore(client, tableName);
    this.quotas = new UserQuotas(client, tableName);
  }

  /** Writes a new job; false when a job with this id already exists (a retried create). */
  async create(job: JobRecord): Promise<boolean> {
    return this.items.insert({
      ...jobKey(job.owner, job.jobId),
      ...(job.watch ? watchFields(job.serviceId, job.jobId, job.watch) : {}),
      ...outboxFields(jobStatusEntries(job.events), jobKey(job.owner, job.jobId)),
      [tableKeys.gsi1.partitionKey]: statusIndexKey(job.owner, job.status),
      [tableKeys.gsi1.sortKey]: JOB_PREFIX + job.jobId,
      entity: 'Job',
      ...job,
    });
  }

  /** Writes a parent job (parent-job-record.ts): no status index, watch or outbox; false when it exists. */
  async createParent(parent: ParentJobRecord): Promise<boolean> {
    return this.items.insert({ ...jobKey(parent.owner, parent.jobId), entity: 'JobGroup', ...parent });
  }

  /** Removes a parent job (its children are deleted first, each as a job). */
  async deleteParent(owner: string, jobId: string): Promise<boolean> {
    return this.items.delete(jobKey(owner, jobId));
  }

  /** A job or a parent job (parent-job-record.ts `isParentJob` tells them apart). */
  async getAny(owner: string, jobId: string): Promise<JobRecord | ParentJobRecord | undefined> {
    return this.items.get<JobRecord | ParentJobRecord>(jobKey(owner, jobId));
  }

  async get(owner: string, jobId: string): Promise<JobRecord | undefined> {
    return this.items.get<JobRecord>(jobKey(owner, jobId));
  }

  /** Newest first (ULIDs sort by time); with a status, served from the status index. */
  async list(
    owner: string,
    options: { limit: number; cursor?: string; status?: JobStatus },
  ): Promise<JobPage> {
    const startKey = options.cursor ? decodeCursor(options.cursor, owner) : undefined;
    const byStatus = options.status !== undefined;
    const page = await this.items.queryPage<JobRecord>({
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
    });
    return {
      jobs: page.items,
      nextCursor: page.lastKey ? encodeCursor(page.lastKey) : null,
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
      /**
       * The job's watch after the move: a new one, or `null` to take it off the watch. Left out, a move to
       * a terminal state removes it, any other move keeps it.
       */
      watch?: JobWatch | null;
      /** The job's service, when `watch` sets one (read from the job otherwise). */
      serviceId?: string;
    } = {},
  ): Promise<JobRecord> {
    // The transition table is the only gate: a caller may narrow the predecessors, never widen them.
    const allowed = allowedPredecessors(to);
    const from = options.from ?? allowed;
    const illegal = from.find((status) => !allowed.includes(status));
    if (illegal) throw new IllegalTransitionError(illegal, to);
    if (from.length === 0) throw new JobTransitionConflict(jobId, to);
    const at = (options.now ?? new Date()).toISOString();
    const watchOption = options.watch === undefined && isTerminal(to) ? null : options.watch;
    if (watchOption === null && !isTerminal(to)) throw new UnwatchedJobError(jobId, [to]);
    const serviceId = watchOption
      ? (options.serviceId ?? options.set?.serviceId ?? (await this.get(owner, jobId))?.serviceId)
      : undefined;
    const watch = watchChange(watchOption, serviceId, jobId);
    const change: JobChange & { event: JobEvent } = {
      set: {
        ...options.set,
        ...watch.set,
        status: to,
        statusChangedAt: at,
        updatedAt: at,
        [tableKeys.gsi1.partitionKey]: statusIndexKey(owner, to),
      },
      event: eventOf(at, to, options.detail),
      outbox: jobKey(owner, jobId),
      whileIn: from,
      requireAbsent: options.requireAbsent,
      remove: [...(options.remove ?? []), ...watch.remove] as (keyof JobRecord)[],
    };
    const moved = await this.withEvent(owner, jobId, change, (update) =>
      this.items.updateAndGet<JobRecord>(jobKey(owner, jobId), update),
    );
    if (!moved) throw new JobTransitionConflict(jobId, to);
    // The owner's active-job unit (user-quotas.ts): idempotent per job id; lost in a crash, it is
    // released by the reconciliation of the next refusal, which finds this job ended.
    if (isTerminal(to)) await releaseQuietly(jobId, () => this.quotas.releaseJob(owner, jobId));
    return moved;
  }

  /**
   * Writes a change that adds an event to the job's history. A full history (MAX_JOB_EVENTS) refuses
   * the plain append; the job is then read and its history written back compacted with the event
   * (`compactedHistory`), on condition that nobody changed it meanwhile (else read again). So the last
   * word — a job failing after thousands of events — is always recorded. A write refused for any other
   * reason (the job's state, a field that must be absent, the job gone) stays refused.
   */
  private async withEvent<T>(
    owner: string,
    jobId: string,
    change: JobChange & { event: JobEvent },
    write: (update: ItemUpdate) => Promise<T | undefined | false>,
  ): Promise<T | undefined | false> {
    let written = await write(jobUpdate(change));
    for (let attempt = 0; !written && attempt < 5; attempt++) {
      const job = await this.get(owner, jobId);
      const events = job?.events ?? [];
      if (!job || events.length < MAX_JOB_EVENTS) return written;
      written = await write(jobUpdate({ ...change, history: compactedHistory(events, change.event) }));
    }
    return written;
  }

  /**
   * Binds an Idempotency-Key to a job id, first writer wins. Returns the binding that holds afterwards:
   * ours, or the one an earlier request made (whose job then answers the retry).
   */
  claimIdempotencyKey(
    owner: string,
    key: string,
    claim: IdempotencyBinding,
    ttlSeconds?: number,
  ): Promise<IdempotencyBinding & { claimed: boolean }> {
    return claimIdempotencyKey(this.items, owner, key, claim, ttlSeconds);
  }

  /**
   * Removes a job while it is in one of `whileIn` (its history goes with it: it lives in the item); false
   * when it is not. Events of its outbox not yet published (a job deleted within the minute it ended) are
   * not lost with it: they move to an item of their own first (outbox.ts `departedJobItem`), and the
   * delete holds only while the outbox is still as copied (else it is read and copied again).
   */
  async delete(owner: string, jobId: string, whileIn: JobStatus[], now = new Date()): Promise<boolean> {
    const key = jobKey(owner, jobId);
    let copied: { key: ItemKey; outbox: OutboxEntry[] } | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await this.items.getStored(key);
      if (!stored || !whileIn.includes(stored.status as JobStatus)) return false;
      const outbox = (stored[tableKeys.outboxAttribute] as OutboxEntry[] | undefined) ?? [];
      if (outbox.length > 0) {
        const departed = departedJobItem(stored, outbox, now);
        await this.items.put(departed);
        copied = { key: { PK: departed.PK, SK: departed.SK }, outbox };
      } else if (copied) {
        // Published from the job meanwhile: a copy of an earlier attempt would send them again.
        await this.items.delete(copied.key, outboxUnchanged(copied.outbox));
        copied = undefined;
      }
      const inStates = jobInStates(whileIn);
      const unchanged = outboxUnchanged(outbox);
      const deleted = await this.items.delete(key, {
        ConditionExpression: `${inStates.ConditionExpression} AND ${unchanged.ConditionExpression}`,
        ExpressionAttributeNames: {
          ...inStates.ExpressionAttributeNames,
          ...unchanged.ExpressionAttributeNames,
        },
        ExpressionAttributeValues: {
          ...inStates.ExpressionAttributeValues,
          ...unchanged.ExpressionAttributeValues,
        },
      });
      if (deleted) return true;
    }
    throw new Error(`Job ${jobId}: its outbox kept changing while it was being deleted`);
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
    const key = jobKey(owner, jobId);
    if (await this.items.update(key, copyOutcomeUpdate(index, outcome, new Date()))) return true;
    // A job from before per-file outcomes (or a lost first write): create the map, then set the key.
    if (!(await this.items.update(key, copyOutcomesMap))) return false;
    return this.items.update(key, copyOutcomeUpdate(index, outcome, new Date()));
  }

  /** Records the last task failure on the job (any state; nothing if the job is gone). */
  async recordTaskFailure(
    owner: string,
    jobId: string,
    failure: NonNullable<JobRecord['lastFailure']>,
  ): Promise<void> {
    await this.items.update(
      jobKey(owner, jobId),
      taskFailureUpdate({ ...failure, message: truncated(failure.message) }),
    );
  }

  /**
   * Changes fields without a state change, only while the job is in one of `whileIn`; with `watch`, also
   * sets (or, with `null`, removes) the job's watch.
   */
  async update(
    owner: string,
    jobId: string,
    set: Partial<JobRecord>,
    whileIn: JobStatus[],
    remove: (keyof JobRecord)[] = [],
    watch?: { serviceId: string; watch: JobWatch | null },
  ): Promise<boolean> {
    if (whileIn.length === 0) return false;
    if (watch?.watch === null && !whileIn.every(isTerminal)) throw new UnwatchedJobError(jobId, whileIn);
    const change = watch ? watchChange(watch.watch, watch.serviceId, jobId) : { set: {}, remove: [] };
    return this.items.update(
      jobKey(owner, jobId),
      jobUpdate({
        set: { ...set, ...change.set, updatedAt: new Date().toISOString() },
        whileIn,
        remove: [...remove, ...change.remove] as (keyof JobRecord)[],
      }),
    );
  }

  /**
   * Adds an event to the job's history without a state change (e.g. its resumption after its execution
   * was lost), while the job is in `status`.
   */
  async noteEvent(owner: string, jobId: string, status: JobStatus, detail: string): Promise<boolean> {
    const at = new Date().toISOString();
    const change = { set: { updatedAt: at }, whileIn: [status], event: eventOf(at, status, detail) };
    return (
      (await this.withEvent(owner, jobId, change, (update) =>
        this.items.update(jobKey(owner, jobId), update),
      )) === true
    );
  }

  /**
   * The jobs whose watch of `kind` at the service is due at `now` (all of them without `now`), soonest
   * first, from the sparse watch index: ids only (the watcher reads each job before acting on it).
   */
  async watched(
    serviceId: string,
    kind: WatchKind,
    options: { now?: Date; limit: number; cursor?: Record<string, unknown> },
  ): Promise<{ jobs: { owner: string; jobId: string }[]; cursor?: Record<string, unknown> }> {
    const { partitionKey, sortKey, indexName } = tableKeys.gsi2;
    const page = await this.items.queryKeys({
      IndexName: indexName,
      KeyConditionExpression: options.now ? '#pk = :pk AND #sk <= :due' : '#pk = :pk',
      ExpressionAttributeNames: options.now
        ? { '#pk': partitionKey, '#sk': sortKey }
        : { '#pk': partitionKey },
      ExpressionAttributeValues: {
        ':pk': watchPartition(serviceId, kind),
        ...(options.now ? { ':due': dueBefore(options.now) } : {}),
      },
      Limit: options.limit,
      ExclusiveStartKey: options.cursor,
    });
    return {
      jobs: page.items.map((item) => ({
        owner: String(item[tableKeys.partitionKey]).replace(/^USER#/, ''),
        jobId: String(item[tableKeys.sortKey]).slice(JOB_PREFIX.length),
      })),
      cursor: page.lastKey,
    };
  }
}

type JobChange = Parameters<typeof jobUpdate>[0];

/** A history event, its detail kept to about 1 KB (it may quote the service). */
function eventOf(at: string, to: JobStatus, detail: string | undefined): JobEvent {
  return { at, to, detail: detail === undefined ? undefined : truncated(detail) };
}

/** The fields that set or remove a watch (nothing when `watch` is undefined). */
function watchChange(
  watch: JobWatch | null | undefined,
  serviceId: string | undefined,
  jobId: string,
): { set: Record<string, unknown>; remove: readonly string[] } {
  if (watch === undefined) return { set: {}, remove: [] };
  if (watch === null) return { set: {}, remove: WATCH_FIELDS };
  if (!serviceId) throw new Error(`Job ${jobId} has no service to watch it at`);
  return { set: watchFields(serviceId, jobId, watch), remove: [] };
}

export function jobRepository(): JobRepository {
  return perRuntime(jobRepository, () => new JobRepository(dynamoDocumentClient(), tableEnv().TABLE_NAME));
}
