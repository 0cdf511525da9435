/**
 * The transactional outbox: an event is written into the item whose change it reports, by the very write
 * that makes the change (the job's status move, the health record's new status, the credential's new
 * state), so a change is never stored without its event nor an event sent for a change that was refused.
 * The item keeps its pending events in its `outbox` list and, while that is not empty, carries the keys of
 * the sparse keys-only outbox index (GSI3: `OUTBOX`, `<due>#<PK>#<SK>`); the publisher
 * (publish-events.ts) finds the items with something due by one Query, sends their events to the bus and
 * then removes exactly the entries it sent, by a conditional update naming each entry's position and id.
 * Writers only ever append, and only the publisher removes, so positions stay valid between its read and
 * its removal; a write after the read appends behind and is kept.
 *
 * An entry may be scheduled (`due` in the future): a token's expiry is known when it is stored, and is
 * published once it has come (if that token is still the one stored, not rejected). The index's sort key
 * is then the entry's due time, so the publisher does not see the item before.
 */
import { ulid } from 'ulid';
import type { Item, ItemKey, ItemUpdate } from '#shared/aws/item-store';
import { tableKeys } from '#shared/aws/table-definition';

export const OUTBOX_PARTITION = 'OUTBOX';

export type TokenState = 'active' | 'rejected' | 'expired';

interface EntryBase {
  /** Unique, time-ordered (a ULID): the event's id, for consumers to drop a repeat. */
  id: string;
  /** When the change happened (ISO). */
  at: string;
  /** Not published before (ISO); absent: at once. */
  due?: string;
}

/** A job moved to `to` (the state it came from is read from the job's history when published). */
export interface JobStatusEntry extends EntryBase {
  kind: 'JOB_STATUS';
  to: string;
  detail?: string;
}

/** A service's health status changed. */
export interface ServiceHealthEntry extends EntryBase {
  kind: 'SERVICE_HEALTH';
  from: string | null;
  to: string;
  detail?: string;
}

/**
 * A stored token's state changed: stored (`to: active`; `from` null, the replaced token is not read),
 * refused by the service (`rejected`), or past its expiry (`expired`, scheduled when it is stored). Each
 * names the token by its `verifiedAt`: an entry of a token since replaced is dropped, not published.
 */
export interface TokenStateEntry extends EntryBase {
  kind: 'TOKEN_STATE';
  from: TokenState | null;
  to: TokenState;
  verifiedAt: string;
  expiresAt?: string | null;
}

export type OutboxEntry = JobStatusEntry | ServiceHealthEntry | TokenStateEntry;

type WithoutId<T> = T extends OutboxEntry ? Omit<T, 'id'> : never;

/** An entry with a fresh id (a ULID of its time, so ids sort by when things happened). */
export function outboxEntry<T extends WithoutId<OutboxEntry>>(entry: T): T & { id: string } {
  return { id: ulid(Date.parse(entry.at)), ...entry };
}

/** The outbox entries of job history events (`{ at, to, detail }`: shared/jobs/job-record.ts). */
export function jobStatusEntries(
  events: readonly { at: string; to: string; detail?: string }[],
): JobStatusEntry[] {
  return events.map(({ at, to, detail }) =>
    outboxEntry({ kind: 'JOB_STATUS', at, to, ...(detail === undefined ? {} : { detail }) }),
  );
}

export const dueAt = (entry: OutboxEntry): string => entry.due ?? entry.at;

/** The index sort key of an item whose first pending entry is due at `due`. */
export const outboxSortKey = (due: string, key: ItemKey) => `${due}#${key.PK}#${key.SK}`;

/** The index sort key below which everything is due at `now` (`~` sorts after any key). */
export const dueBy = (now: Date) => `${now.toISOString()}~`;

function earliest(entries: readonly OutboxEntry[]): string {
  if (entries.length === 0) throw new Error('An outbox write needs at least one entry');
  return entries.map(dueAt).reduce((a, b) => (b < a ? b : a));
}

/** The attributes of a new item (an insert or a whole-item put) with `entries` pending. */
export function outboxFields(entries: readonly OutboxEntry[], key: ItemKey): Record<string, unknown> {
  if (entries.length === 0) return {};
  return {
    [tableKeys.outboxAttribute]: entries,
    [tableKeys.gsi3.partitionKey]: OUTBOX_PARTITION,
    [tableKeys.gsi3.sortKey]: outboxSortKey(earliest(entries), key),
  };
}

/**
 * `update` that also appends `entries` to the item's outbox and puts the item in the outbox index, in the
 * same UpdateItem. The index's sort key becomes the earliest due time of `entries`: at least one must be
 * due at once (a change that happens now), which is never later than anything pending before.
 */
export function withOutbox(update: ItemUpdate, entries: readonly OutboxEntry[], key: ItemKey): ItemUpdate {
  if (entries.length === 0) return update;
  if (!entries.some((entry) => entry.due === undefined)) {
    throw new Error('An outbox append needs an entry due at once');
  }
  const names = {
    ...update.ExpressionAttributeNames,
    '#outbox': tableKeys.outboxAttribute,
    '#outboxPK': tableKeys.gsi3.partitionKey,
    '#outboxSK': tableKeys.gsi3.sortKey,
  };
  const values = {
    ...update.ExpressionAttributeValues,
    ':outboxEntries': entries,
    ':outboxNone': [],
    ':outboxPK': OUTBOX_PARTITION,
    ':outboxSK': outboxSortKey(earliest(entries), key),
  };
  const append =
    '#outbox = list_append(if_not_exists(#outbox, :outboxNone), :outboxEntries), ' +
    '#outboxPK = :outboxPK, #outboxSK = :outboxSK';
  const expression = update.UpdateExpression ?? '';
  return {
    ...update,
    UpdateExpression: /^\s*SET\s/i.test(expression)
      ? expression.replace(/^\s*SET\s+/i, `SET ${append}, `)
      : `SET ${append} ${expression}`.trim(),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Removes the entries at `positions` (each with its id as read) from the outbox: refused when any of
 * them is no longer there, so nothing but what was sent is ever removed.
 */
export function outboxRemoval(done: readonly { position: number; id: string }[]): ItemUpdate {
  const names: Record<string, string> = { '#outbox': tableKeys.outboxAttribute };
  const values: Record<string, unknown> = {};
  const conditions = done.map(({ position, id }, index) => {
    values[`:id${index}`] = id;
    return `#outbox[${position}].id = :id${index}`;
  });
  return {
    // Highest position first: DynamoDB reads every position against the list as it was, and so does an
    // emulator that removes them one by one (dynalite) when none is shifted by an earlier removal.
    UpdateExpression: `REMOVE ${[...done]
      .sort((a, b) => b.position - a.position)
      .map(({ position }) => `#outbox[${position}]`)
      .join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Once the publisher removed what it sent: takes the item out of the outbox index when nothing is left,
 * or moves its sort key to the next entry's due time when all that is left is scheduled — only while the
 * outbox is still exactly `remaining` (nothing appended meanwhile: an append sets the keys itself).
 */
export function outboxSettle(remaining: readonly OutboxEntry[], key: ItemKey): ItemUpdate {
  const names = {
    '#outbox': tableKeys.outboxAttribute,
    '#outboxPK': tableKeys.gsi3.partitionKey,
    '#outboxSK': tableKeys.gsi3.sortKey,
  };
  if (remaining.length === 0) {
    return {
      UpdateExpression: 'REMOVE #outbox, #outboxPK, #outboxSK',
      ConditionExpression:
        'attribute_exists(PK) AND (attribute_not_exists(#outbox) OR size(#outbox) = :zero)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':zero': 0 },
    };
  }
  return {
    UpdateExpression: 'SET #outboxSK = :sk',
    ConditionExpression: `size(#outbox) = :size AND #outbox[${remaining.length - 1}].id = :last`,
    ExpressionAttributeNames: { '#outbox': names['#outbox'], '#outboxSK': names['#outboxSK'] },
    ExpressionAttributeValues: {
      ':size': remaining.length,
      ':last': remaining[remaining.length - 1]!.id,
      ':sk': outboxSortKey(earliest(remaining), key),
    },
  };
}

/** The prefix of the item that keeps a deleted job's unpublished events (`departedJobItem`). */
export const DEPARTED_JOB_PREFIX = 'DEPARTED#JOB#';
/** How long a departed job's events are kept should they never be published. */
const DEPARTED_KEPT_SECONDS = 7 * 24 * 3600;

/**
 * The item that keeps a job's unpublished events once the job itself is deleted (a job deleted within
 * the minute it ended: its last move not yet sent): the job's key in the owner's partition with
 * `DEPARTED_JOB_PREFIX`, what the events are built from (job-event fields, history, error) and the outbox.
 * The publisher sends its events like any item's, then deletes it (publish-events.ts); a week's TTL
 * removes it should that never happen. No index but the outbox's: no listing ever shows it.
 */
export function departedJobItem(job: Item, outbox: readonly OutboxEntry[], now: Date): ItemKey & Item {
  const key = { PK: String(job.PK), SK: `${DEPARTED_JOB_PREFIX}${String(job.jobId)}` };
  return {
    ...key,
    departed: true,
    jobId: job.jobId,
    serviceId: job.serviceId,
    name: job.name,
    events: job.events,
    ...(job.error ? { error: job.error } : {}),
    ...outboxFields(outbox, key),
    [tableKeys.ttlAttribute]: Math.floor(now.getTime() / 1000) + DEPARTED_KEPT_SECONDS,
  };
}

/** The condition that an item's outbox is still exactly `outbox` as read (only appends and removals change it). */
export function outboxUnchanged(outbox: readonly OutboxEntry[]): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const names = { '#outbox': tableKeys.outboxAttribute };
  if (outbox.length === 0) {
    return {
      ConditionExpression: '(attribute_not_exists(#outbox) OR size(#outbox) = :outboxSize)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':outboxSize': 0 },
    };
  }
  return {
    ConditionExpression: `(size(#outbox) = :outboxSize AND #outbox[0].id = :outboxFirst AND #outbox[${outbox.length - 1}].id = :outboxLast)`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: {
      ':outboxSize': outbox.length,
      ':outboxFirst': outbox[0]!.id,
      ':outboxLast': outbox[outbox.length - 1]!.id,
    },
  };
}
