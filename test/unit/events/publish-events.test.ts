import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { ItemStore } from '#shared/aws/item-store';
import { credentialStore } from '#shared/credentials/credential-store';
import type { PutEventsRequestEntry, PutEventsResult } from '#shared/events/event-bus-client';
import { outboxRemoval, withOutbox } from '#shared/events/outbox';
import { batches, MAX_BATCH_BYTES, publishEvents } from '#shared/events/publish-events';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { settings } from '#shared/settings';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';

let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;

beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(() => emulators.close());

type Answer = (entries: PutEventsRequestEntry[]) => PutEventsResult | Promise<PutEventsResult>;
const accepted: Answer = (entries) => ({
  FailedEntryCount: 0,
  Entries: entries.map((_, index) => ({ EventId: `event-${index}` })),
});

function sink(answer: Answer = accepted) {
  const calls: PutEventsRequestEntry[][] = [];
  const published: Record<string, unknown>[] = [];
  return {
    calls,
    published,
    async putEvents(entries: PutEventsRequestEntry[]) {
      calls.push(entries);
      const result = await answer(entries);
      entries.forEach((entry, index) => {
        if (!result.Entries[index]?.ErrorCode) published.push(JSON.parse(entry.Detail));
      });
      return result;
    },
  };
}

const publish = (s: ReturnType<typeof sink>, now?: Date) =>
  publishEvents({ sink: s, eventBusName: 'bus', ...(now ? { now } : {}) });

async function rawItem(PK: string, SK: string) {
  const { Item } = await dynamoDocumentClient().send(
    new GetCommand({ TableName: settings.table().TABLE_NAME, Key: { PK, SK } }),
  );
  return Item;
}

let counter = 0;
async function newJob() {
  counter += 1;
  const jobId = `01JOB00000000000000000${String(counter).padStart(4, '0')}`;
  await jobRepository().create(jobRecord({ jobId, owner: 'alice' }));
  return jobId;
}

// Each test starts from an empty outbox.
beforeEach(async () => {
  await publish(sink());
});

describe('outbox expressions', () => {
  it('adds the append and the index keys to the SET clause of the same update', () => {
    const key = { PK: 'USER#a', SK: 'JOB#1' };
    const entry = { id: 'E1', kind: 'JOB_STATUS' as const, at: '2026-01-01T00:00:00.000Z', to: 'VALIDATING' };
    const update = withOutbox(
      { UpdateExpression: 'SET #f0 = :v0 REMOVE #r0', ConditionExpression: 'attribute_exists(PK)' },
      [entry],
      key,
    );
    expect(update.UpdateExpression).toBe(
      'SET #outbox = list_append(if_not_exists(#outbox, :outboxNone), :outboxEntries), #outboxPK = :outboxPK, #outboxSK = :outboxSK, #f0 = :v0 REMOVE #r0',
    );
    expect(update.ConditionExpression).toBe('attribute_exists(PK)');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':outboxEntries': [entry],
      ':outboxPK': 'OUTBOX',
      ':outboxSK': '2026-01-01T00:00:00.000Z#USER#a#JOB#1',
    });
  });

  it('removes exactly the positions sent, each on the condition that its id is still there', () => {
    const update = outboxRemoval([
      { position: 0, id: 'A' },
      { position: 2, id: 'C' },
    ]);
    expect(update.UpdateExpression).toBe('REMOVE #outbox[2], #outbox[0]');
    expect(update.ConditionExpression).toBe('#outbox[0].id = :id0 AND #outbox[2].id = :id1');
  });

  it('batches at most 10 entries and 256 KB per PutEvents', () => {
    const small = { request: { Source: 's', DetailType: 't', Detail: '{}', EventBusName: 'b' } };
    expect(batches(Array.from({ length: 23 }, () => small)).map((batch) => batch.length)).toEqual([
      10, 10, 3,
    ]);
    const big = { request: { ...small.request, Detail: 'x'.repeat(100 * 1024) } };
    const grouped = batches([big, big, big, big]);
    expect(grouped.map((batch) => batch.length)).toEqual([2, 2]);
    expect(2 * 100 * 1024).toBeLessThan(MAX_BATCH_BYTES);
  });
});

describe('the publisher', () => {
  it("publishes a job's creation and moves once, in order, with ids, from and to, then empties its outbox", async () => {
    const jobId = await newJob();
    await jobRepository().transition('alice', jobId, JobStatus.VALIDATING, { detail: 'checking' });
    const bus = sink();
    expect(await publish(bus)).toMatchObject({ published: 2, failed: 0 });
    expect(bus.calls[0]!.map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
      ['imputation-gateway', 'Job Status Changed', 'bus'],
      ['imputation-gateway', 'Job Status Changed', 'bus'],
    ]);
    expect(bus.published).toEqual([
      expect.objectContaining({ jobId, owner: 'alice', from: null, to: 'QUEUED' }),
      expect.objectContaining({
        jobId,
        owner: 'alice',
        from: 'QUEUED',
        to: 'VALIDATING',
        message: 'checking',
      }),
    ]);
    const item = await rawItem('USER#alice', `JOB#${jobId}`);
    expect(item).not.toHaveProperty('outbox');
    expect(item).not.toHaveProperty('GSI3PK');
    // A retry finds nothing: what was removed is never sent twice.
    const again = sink();
    await publish(again);
    expect(again.calls).toEqual([]);
    // Nor does the outbox reach a reader of the job.
    expect(await jobRepository().get('alice', jobId)).not.toHaveProperty('outbox');
  });

  it('keeps every event when PutEvents fails, and sends them once it works', async () => {
    const jobId = await newJob();
    const failing = sink(() => {
      throw new Error('EventBridge is down');
    });
    expect(await publish(failing)).toMatchObject({ published: 0, errors: 1 });
    expect((await rawItem('USER#alice', `JOB#${jobId}`))?.outbox).toHaveLength(1);
    const working = sink();
    expect(await publish(working)).toMatchObject({ published: 1 });
    expect(working.published).toEqual([expect.objectContaining({ jobId, to: 'QUEUED' })]);
  });

  it('removes only the entries the bus accepted; the refused ones are sent again, alone', async () => {
    const jobId = await newJob();
    await jobRepository().transition('alice', jobId, JobStatus.VALIDATING);
    await jobRepository().transition('alice', jobId, JobStatus.SUBMITTING);
    const partly = sink((entries) => ({
      FailedEntryCount: 1,
      Entries: entries.map((_, index) =>
        index === 1 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `e${index}` },
      ),
    }));
    expect(await publish(partly)).toMatchObject({ published: 2, failed: 1 });
    expect(partly.published.map((detail) => detail.to)).toEqual(['QUEUED', 'SUBMITTING']);
    const outbox = (await rawItem('USER#alice', `JOB#${jobId}`))!.outbox as { to: string }[];
    expect(outbox.map((entry) => entry.to)).toEqual(['VALIDATING']);
    const retry = sink();
    await publish(retry);
    expect(retry.published.map((detail) => [detail.from, detail.to])).toEqual([['QUEUED', 'VALIDATING']]);
  });

  it('keeps an event written while the publisher was sending', async () => {
    const jobId = await newJob();
    const meanwhile = sink(async (entries) => {
      await jobRepository().transition('alice', jobId, JobStatus.VALIDATING);
      return accepted(entries);
    });
    await publish(meanwhile);
    expect(meanwhile.published.map((detail) => detail.to)).toEqual(['QUEUED']);
    const item = await rawItem('USER#alice', `JOB#${jobId}`);
    expect((item!.outbox as { to: string }[]).map((entry) => entry.to)).toEqual(['VALIDATING']);
    expect(item?.GSI3PK).toBe('OUTBOX');
    const next = sink();
    await publish(next);
    expect(next.published.map((detail) => detail.to)).toEqual(['VALIDATING']);
  });

  it('sends the last moves of a job deleted before they were published, then forgets them', async () => {
    const jobId = await newJob();
    await jobRepository().transition('alice', jobId, JobStatus.CANCELED, { detail: 'canceled by its owner' });
    expect(await jobRepository().delete('alice', jobId, [JobStatus.CANCELED])).toBe(true);
    expect(await rawItem('USER#alice', `JOB#${jobId}`)).toBeUndefined();
    // The job is gone from every listing; its events wait in an item of their own, with a week's TTL.
    const left = await rawItem('USER#alice', `DEPARTED#JOB#${jobId}`);
    expect(left).toMatchObject({ departed: true, jobId, GSI3PK: 'OUTBOX' });
    expect((left!.outbox as unknown[]).length).toBe(2);
    expect(Number(left!.expiresAt) - Date.now() / 1000).toBeGreaterThan(6 * 24 * 3600);
    expect(await jobRepository().list('alice', { limit: 100 })).toMatchObject({
      jobs: expect.not.arrayContaining([expect.objectContaining({ jobId })]),
    });
    const bus = sink();
    expect(await publish(bus)).toMatchObject({ published: 2, failed: 0 });
    expect(bus.published).toEqual([
      expect.objectContaining({ jobId, owner: 'alice', from: null, to: 'QUEUED' }),
      expect.objectContaining({
        jobId,
        owner: 'alice',
        from: 'QUEUED',
        to: 'CANCELED',
        message: 'canceled by its owner',
      }),
    ]);
    expect(await rawItem('USER#alice', `DEPARTED#JOB#${jobId}`)).toBeUndefined();
    const again = sink();
    await publish(again);
    expect(again.calls).toEqual([]);
  });

  it('leaves no copy behind when the publisher sent the events from the job while it was being deleted', async () => {
    const jobId = await newJob();
    await jobRepository().transition('alice', jobId, JobStatus.CANCELED);
    // The publisher, having read the job before the copy was written, sends its events and removes them
    // from the job just before the copy lands: the delete's condition fails, and the next attempt finds
    // the outbox empty.
    const put = ItemStore.prototype.put;
    const sent = sink();
    const spy = vi.spyOn(ItemStore.prototype, 'put').mockImplementation(async function (
      this: ItemStore,
      ...args: Parameters<ItemStore['put']>
    ) {
      if (String(args[0].SK).startsWith('DEPARTED#') && sent.calls.length === 0) await publish(sent);
      return put.apply(this, args);
    });
    try {
      expect(await jobRepository().delete('alice', jobId, [JobStatus.CANCELED])).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(sent.published.map((detail) => detail.to)).toEqual(['QUEUED', 'CANCELED']);
    expect(await rawItem('USER#alice', `DEPARTED#JOB#${jobId}`)).toBeUndefined();
    const again = sink();
    await publish(again);
    expect(again.calls).toEqual([]);
  });

  it('deletes a job whose events were all sent without leaving anything behind', async () => {
    const jobId = await newJob();
    await jobRepository().transition('alice', jobId, JobStatus.CANCELED);
    await publish(sink());
    expect(await jobRepository().delete('alice', jobId, [JobStatus.CANCELED])).toBe(true);
    expect(await rawItem('USER#alice', `JOB#${jobId}`)).toBeUndefined();
    expect(await rawItem('USER#alice', `DEPARTED#JOB#${jobId}`)).toBeUndefined();
    // Not in a state it may be deleted in: nothing is written.
    const active = await newJob();
    expect(await jobRepository().delete('alice', active, [JobStatus.CANCELED])).toBe(false);
    expect(await rawItem('USER#alice', `DEPARTED#JOB#${active}`)).toBeUndefined();
  });

  it("publishes a token's states: stored, rejected, and its expiry when it comes (unless replaced)", async () => {
    const store = credentialStore();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    const metadata = {
      serviceId: 'michigan',
      serviceUsername: 'bob-at-michigan',
      expiresAt,
      tokenHint: '…abcd',
      verifiedAt: now.toISOString(),
    };
    await store.put('bob', metadata, now);
    const first = sink();
    await publish(first, now);
    expect(first.published).toEqual([
      {
        eventId: expect.any(String),
        owner: 'bob',
        serviceId: 'michigan',
        from: null,
        to: 'active',
        at: now.toISOString(),
        expiresAt,
      },
    ]);
    expect(JSON.stringify(first.calls)).not.toContain('abcd');
    // The expiry waits in the index under its due time.
    const item = await rawItem('USER#bob', 'CREDENTIAL#michigan');
    expect(item?.GSI3SK).toMatch(new RegExp(`^${expiresAt}#`));
    const later = new Date(Date.parse(expiresAt) + 1000);
    const atExpiry = sink();
    await publish(atExpiry, later);
    expect(atExpiry.published).toEqual([
      expect.objectContaining({ owner: 'bob', from: 'active', to: 'expired', at: expiresAt }),
    ]);
    expect(await rawItem('USER#bob', 'CREDENTIAL#michigan')).not.toHaveProperty('GSI3PK');

    // A token replaced before its expiry: the old expiry is dropped, the new token's stands.
    const carolFirst = { ...metadata, serviceUsername: 'carol', verifiedAt: now.toISOString() };
    await store.put('carol', carolFirst, now);
    const replacedAt = new Date(now.getTime() + 1000);
    await store.put(
      'carol',
      { ...carolFirst, verifiedAt: replacedAt.toISOString(), expiresAt: null },
      replacedAt,
    );
    expect(await store.markRejected('carol', 'michigan', replacedAt.toISOString(), replacedAt)).toBe(true);
    const replaced = sink();
    const run = await publish(replaced, later);
    expect(replaced.published.map((detail) => [detail.owner, detail.from, detail.to])).toEqual([
      ['carol', null, 'active'],
      ['carol', null, 'active'],
      ['carol', 'active', 'rejected'],
    ]);
    expect(run.dropped).toBe(1);
  });
});
