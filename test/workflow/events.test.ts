/**
 * The events on the bus, end to end: real jobs, tokens and health changes written by the real code, the
 * real watcher (every 20 ms) publishing the outbox to the EventBridge emulator.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveredEvent } from '#infra/local/emulators/event-bridge';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { userPartition } from '#shared/aws/table';
import { JobStatus } from '#shared/jobs/job-status';
import { settings } from '#shared/settings';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;

beforeAll(async () => {
  h = await startWorkflowHarness();
});
afterAll(() => h?.close());

const ofType = (type: string) => h.eventBridge.events().filter((event) => event['detail-type'] === type);
const jobEvents = (jobId: string) => ofType('Job Status Changed').filter((e) => e.detail.jobId === jobId);

async function until<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('events on the bus (outbox, published by the watcher)', () => {
  it("publishes each of a job's status changes once, in order, exactly as its history has them", async () => {
    const alice = await h.userWithToken('alice');
    const jobId = await h.createJob(alice);
    await h.waitForStatus(alice, jobId, [JobStatus.SUCCEEDED], 30_000);
    const job = await h.job(alice, jobId);
    const published = await until(() => {
      const events = jobEvents(jobId);
      return events.length >= job.events.length && events;
    });
    await h.watcher.runNow();
    const events: DeliveredEvent[] = jobEvents(jobId);
    expect(events.map((e) => e.detail.to)).toEqual(job.events.map((e) => e.to));
    expect(events.map((e) => e.detail.at)).toEqual(job.events.map((e) => e.at));
    expect(events.map((e) => e.detail.from)).toEqual([null, ...job.events.slice(0, -1).map((e) => e.to)]);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(events.length);
    expect(published.length).toBe(events.length);
    for (const event of events) {
      expect(event.source).toBe('imputation-gateway');
      expect(event.eventBusName).toBe('gateway-test');
      expect(event.detail).toMatchObject({ jobId, owner: alice.sub, serviceId: 'michigan' });
    }
    // Nothing is left in the item's outbox, nor the item in the outbox index.
    const { Item } = await dynamoDocumentClient().send(
      new GetCommand({
        TableName: settings.table().TABLE_NAME,
        Key: { PK: userPartition(alice.sub), SK: `JOB#${jobId}` },
      }),
    );
    expect(Item?.outbox).toBeUndefined();
    expect(Item?.GSI3PK).toBeUndefined();
    expect(Item?.GSI3SK).toBeUndefined();
  });

  it('publishes a stored token as active, never the token itself', async () => {
    const bob = await h.userWithToken('bob');
    const event = await until(() =>
      ofType('Service Token State Changed').find((e) => e.detail.owner === bob.sub),
    );
    expect(event.detail).toMatchObject({ owner: bob.sub, serviceId: 'michigan', from: null, to: 'active' });
    expect(Object.keys(event.detail).sort()).toEqual(
      ['at', 'eventId', 'expiresAt', 'from', 'owner', 'serviceId', 'to'].sort(),
    );
  });

  it("publishes a service's health changes: first seen, into maintenance and back", async () => {
    await until(() =>
      ofType('Service Health Changed').find(
        (e) => e.detail.serviceId === 'michigan' && e.detail.from === null,
      ),
    );
    h.sim.maintenance = { message: 'Upgrading the cluster.' };
    try {
      const down = await until(() =>
        ofType('Service Health Changed').find((e) => e.detail.to === 'MAINTENANCE'),
      );
      expect(down.detail).toMatchObject({ serviceId: 'michigan', from: 'UP', to: 'MAINTENANCE' });
      expect(String(down.detail.message ?? '').length).toBeLessThanOrEqual(500);
    } finally {
      h.sim.maintenance = null;
    }
    const back = await until(() =>
      ofType('Service Health Changed').find((e) => e.detail.from === 'MAINTENANCE' && e.detail.to === 'UP'),
    );
    expect(back.detail.serviceId).toBe('michigan');
  });

  it('keeps the events while the bus fails, and publishes them once it works again', async () => {
    h.watcher.pause();
    await h.watcher.runNow();
    h.eventBridge.failNext(1000);
    const carol = await h.userWithToken('carol');
    h.watcher.resume();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ofType('Service Token State Changed').some((e) => e.detail.owner === carol.sub)).toBe(false);
    h.eventBridge.failNext(0);
    const events = await until(() => {
      const found = ofType('Service Token State Changed').filter((e) => e.detail.owner === carol.sub);
      return found.length > 0 && found;
    });
    await h.watcher.runNow();
    expect(ofType('Service Token State Changed').filter((e) => e.detail.owner === carol.sub)).toHaveLength(
      events.length,
    );
    expect(events).toHaveLength(1);
  });
});
