/**
 * Where a job item lives and the conditional writes that change it, built apart from the repository so
 * each reads as the one UpdateItem it is. Field names and values always go through placeholders
 * (`#f0 = :v0`), so any field name is safe and no value is spliced into an expression. The condition
 * names the states the job must be in (`#status IN (:from0, …)`): what makes a retried task or a lost
 * race a refused write instead of a second move.
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  assignments,
  type ItemKey,
  type ItemUpdate,
  userItemKey,
  type WriteCondition,
} from '#shared/aws/item-store';
import { userPartition } from '#shared/aws/table';
import { jobStatusEntries, withOutbox } from '#shared/events/outbox';
import type { JobEvent, JobRecord, ResultFileOutcome } from './job-record';
import type { JobStatus } from './job-status';

export const JOB_PREFIX = 'JOB#';

/**
 * The most events a job's history keeps on its item: with details of at most 1 KB (text-limit.ts) they
 * stay far below DynamoDB's 400 KB. A full history keeps its first JOB_EVENTS_KEPT_FIRST events (how the
 * job began) and the latest, and counts the others in `eventsDropped` (`compactedHistory`).
 */
export const MAX_JOB_EVENTS = 50;
export const JOB_EVENTS_KEPT_FIRST = 10;

/** A full history made room for `event`: the first events, the latest ones, then `event`. */
export function compactedHistory(events: readonly JobEvent[], event: JobEvent) {
  const latest = MAX_JOB_EVENTS - JOB_EVENTS_KEPT_FIRST - 1;
  const kept = [...events.slice(0, JOB_EVENTS_KEPT_FIRST), ...events.slice(-latest)];
  return { events: [...kept, event], seen: events.length, dropped: events.length - kept.length };
}

export const jobKey = (owner: string, jobId: string) => userItemKey(owner, JOB_PREFIX + jobId);

/** The status index's partition: one per owner and status. */
export const statusIndexKey = (owner: string, status: JobStatus) =>
  `${userPartition(owner)}#STATUS#${status}`;

type Values = NonNullable<UpdateCommandInput['ExpressionAttributeValues']>;

/** `attribute_exists(PK) AND #status IN (:from0, …)`, its values added to `values`. */
function inStates(whileIn: readonly JobStatus[], values: Values): string {
  const placeholders = whileIn.map((status, index) => {
    values[`:from${index}`] = status;
    return `:from${index}`;
  });
  return `attribute_exists(PK) AND #status IN (${placeholders.join(', ')})`;
}

/**
 * Sets `set`, removes `remove`, optionally appends `event` to the history, while the job is in one of
 * `whileIn` and has none of `requireAbsent`. `whileIn` must not be empty. With `outbox` (the job's key),
 * the event also goes to the item's outbox in the same write, to be published (shared/events/outbox.ts).
 */
export function jobUpdate(change: {
  set: Record<string, unknown>;
  whileIn: readonly JobStatus[];
  remove?: readonly (keyof JobRecord)[];
  requireAbsent?: readonly (keyof JobRecord)[];
  event?: JobEvent;
  outbox?: ItemKey;
  /**
   * How the event goes into the history: appended while it holds fewer than `below` events (the
   * default), or the whole history replaced by `events` (which end with the event) while it holds
   * exactly `seen`, `dropped` added to the job's `eventsDropped`.
   */
  history?: { below: number } | { events: JobEvent[]; seen: number; dropped: number };
}): ItemUpdate {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Values = {};
  const set = assignments(change.set, names, values);
  let historyCondition = '';
  if (change.event) {
    names['#events'] = 'events';
    const history = change.history ?? { below: MAX_JOB_EVENTS };
    if ('below' in history) {
      values[':event'] = [change.event];
      values[':empty'] = [];
      values[':eventsBelow'] = history.below;
      set.push('#events = list_append(if_not_exists(#events, :empty), :event)');
      historyCondition = ' AND (attribute_not_exists(#events) OR size(#events) < :eventsBelow)';
    } else {
      names['#dropped'] = 'eventsDropped';
      values[':events'] = history.events;
      values[':eventsSeen'] = history.seen;
      values[':dropped'] = history.dropped;
      values[':zero'] = 0;
      set.push('#events = :events', '#dropped = if_not_exists(#dropped, :zero) + :dropped');
      historyCondition = ' AND size(#events) = :eventsSeen';
    }
  }
  const absent = (change.requireAbsent ?? []).map((field, index) => {
    names[`#a${index}`] = field;
    return ` AND attribute_not_exists(#a${index})`;
  });
  const removed = (change.remove ?? []).map((field, index) => {
    names[`#r${index}`] = field;
    return `#r${index}`;
  });
  const update: ItemUpdate = {
    UpdateExpression: `SET ${set.join(', ')}${removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : ''}`,
    ConditionExpression: inStates(change.whileIn, values) + absent.join('') + historyCondition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  return change.outbox && change.event
    ? withOutbox(update, jobStatusEntries([change.event]), change.outbox)
    : update;
}

/** The condition of deleting a job: it exists and is in one of `whileIn`. */
export function jobInStates(whileIn: readonly JobStatus[]): WriteCondition {
  const values: Values = {};
  return {
    ConditionExpression: inStates(whileIn, values),
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
  };
}

/** Sets one file's outcome in `copyOutcomes`; the map must exist (see `copyOutcomesMap`). */
export function copyOutcomeUpdate(index: number, outcome: ResultFileOutcome, now: Date): ItemUpdate {
  return {
    UpdateExpression: 'SET #outcomes.#index = :outcome, updatedAt = :now',
    ConditionExpression: 'attribute_exists(PK) AND attribute_exists(#outcomes)',
    ExpressionAttributeNames: { '#outcomes': 'copyOutcomes', '#index': String(index) },
    ExpressionAttributeValues: { ':outcome': outcome, ':now': now.toISOString() },
  };
}

/** Creates the `copyOutcomes` map of an existing job if it has none. */
export const copyOutcomesMap: ItemUpdate = {
  UpdateExpression: 'SET #outcomes = if_not_exists(#outcomes, :empty)',
  ConditionExpression: 'attribute_exists(PK)',
  ExpressionAttributeNames: { '#outcomes': 'copyOutcomes' },
  ExpressionAttributeValues: { ':empty': {} },
};

/** Records the last task failure on an existing job, whatever its state. */
export const taskFailureUpdate = (failure: NonNullable<JobRecord['lastFailure']>): ItemUpdate => ({
  UpdateExpression: 'SET lastFailure = :failure',
  ConditionExpression: 'attribute_exists(PK)',
  ExpressionAttributeValues: { ':failure': failure },
});
