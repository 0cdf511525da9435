/**
 * Lost conditional-write races. Against dynalite (which locks an item per write, as DynamoDB
 * serialises them) many lease takers race for real; with aws-sdk-client-mock the orderings no emulator
 * produces on demand: a second task moving the same job, a lease refreshed between the read that finds
 * it stale and the write that removes it, a binding that vanishes between a refused claim and its read.
 * Each time exactly one writer wins, the loser gets `false` or the typed conflict, and nothing the
 * winner wrote is overwritten.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as submitJob } from '#functions/workflow/submit-job';
import { JobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { LEASE_STALE_MS, UploadSlots } from '#shared/workflow/upload-slots';
import { startAwsEmulators } from '#test/support/aws-emulators';
import {
  conditionFailed,
  JOB_ID,
  jobItem,
  mockedDynamo,
  OWNER,
  retriedErrors,
  unreachableCatalog,
} from './support';

const documents = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

describe('lease takers racing against the emulator', () => {
  let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
  beforeAll(async () => {
    emulators = await startAwsEmulators();
  });
  afterAll(() => emulators.close());

  it('grants exactly the free slots, whatever the interleaving', async () => {
    const slots = new UploadSlots(documents(), emulators.tableName);
    const seen = { limit: 2, submitted: 0 };
    const jobs = Array.from({ length: 8 }, (_, i) => `job-${i}`);
    const granted = await Promise.all(jobs.map((job) => slots.acquire(OWNER, 'michigan', job, 2, seen)));
    expect(granted.filter(Boolean)).toHaveLength(2);
    const item = await documents().send(
      new GetCommand({ TableName: emulators.tableName, Key: { PK: `USER#${OWNER}`, SK: 'SLOTS#michigan' } }),
    );
    expect(Object.keys(item.Item?.leases ?? {}).sort()).toEqual(jobs.filter((_, i) => granted[i]).sort());
  });
});

describe('orderings only a mock produces', () => {
  const mocked = mockedDynamo({ SERVICE_CATALOG: unreachableCatalog });

  const updates = () =>
    mocked()
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input);

  it('two SubmitJob attempts moving the same job: one moves it, the other is retried and then adopts it', async () => {
    // Both read the job before either wrote; from then on the job is where the winner moved it.
    mocked()
      .on(GetCommand)
      .resolvesOnce({ Item: jobItem({ status: JobStatus.SUBMITTING }) })
      .resolvesOnce({ Item: jobItem({ status: JobStatus.SUBMITTING }) })
      .resolves({ Item: jobItem({ status: JobStatus.QUEUED_REMOTE }) })
      // No health record: the service counts as up.
      .on(GetCommand, { Key: { PK: 'SERVICE#michigan', SK: 'HEALTH' } })
      .resolves({});
    mocked()
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: jobItem({ status: JobStatus.QUEUED_REMOTE }) })
      .rejects(conditionFailed());
    const ref = { jobId: JOB_ID, owner: OWNER };
    const [first, second] = await Promise.allSettled([submitJob(ref), submitJob(ref)]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { outcome: 'SUBMITTED' } });
    expect(second).toMatchObject({ status: 'rejected', reason: { name: 'TransientError' } });
    expect(retriedErrors('SubmitJob')).toContain('TransientError');
    // Both writes were conditional on the job's old state: the loser's changed nothing.
    expect(updates()).toHaveLength(2);
    for (const update of updates()) {
      expect(update.ConditionExpression).toMatch(
        /^attribute_exists\(PK\) AND #status IN \(:from0, :from1, :from2, :from3\)/,
      );
      expect([
        update.ExpressionAttributeValues?.[':from0'],
        update.ExpressionAttributeValues?.[':from1'],
      ]).toEqual([JobStatus.SUBMITTING, JobStatus.WAITING_FOR_SLOT]);
    }
    // The state machine's retry finds the job moved and leaves it to the watcher, without another write.
    expect(await submitJob(ref)).toMatchObject({ outcome: 'SUBMITTED' });
    expect(updates()).toHaveLength(2);
  });

  it('a task whose move lost to a cancel ends quietly', async () => {
    mocked()
      .on(GetCommand)
      .resolvesOnce({ Item: jobItem({ status: JobStatus.SUBMITTING }) })
      .resolves({ Item: jobItem({ status: JobStatus.CANCELED }) });
    mocked().on(UpdateCommand).rejects(conditionFailed());
    expect(await submitJob({ jobId: JOB_ID, owner: OWNER })).toEqual({ outcome: 'STOPPED' });
    expect(updates()).toHaveLength(1);
  });

  describe('a lease found stale', () => {
    const now = new Date('2026-11-23T12:00:00.000Z');
    const staleAt = new Date(now.getTime() - LEASE_STALE_MS - 60_000).toISOString();
    const seen = { limit: 1, submitted: 0 };
    const slots = () => new UploadSlots(documents(), 'gateway-test');
    const isTake = (input: { UpdateExpression?: string }) =>
      input.UpdateExpression === 'SET #leases.#job = :now';
    const isRemove = (input: { UpdateExpression?: string }) =>
      input.UpdateExpression === 'REMOVE #leases.#job';

    beforeEach(() => {
      mocked()
        .on(GetCommand)
        .resolves({ Item: { leases: { 'job-a': staleAt } } });
    });

    it('but refreshed by its holder before the removal: the holder keeps it, the taker waits', async () => {
      mocked()
        .on(UpdateCommand)
        .callsFake(async (input: { UpdateExpression?: string }) => {
          // The slot is full, and the lease is no longer the stale one when the removal arrives.
          if (isTake(input) || isRemove(input)) throw conditionFailed();
          return {};
        });
      expect(await slots().acquire(OWNER, 'michigan', 'job-b', 1, seen, now)).toBe(false);
      const removal = updates().find(isRemove);
      expect(removal?.ConditionExpression).toBe('#leases.#job = :at');
      expect(removal?.ExpressionAttributeValues).toEqual({ ':at': staleAt });
      expect(removal?.ExpressionAttributeNames?.['#job']).toBe('job-a');
      // One take only: with nothing removed, the taker does not try again.
      expect(updates().filter(isTake)).toHaveLength(1);
    });

    it('and really abandoned: it is removed and the slot taken', async () => {
      let takes = 0;
      mocked()
        .on(UpdateCommand)
        .callsFake(async (input: { UpdateExpression?: string }) => {
          if (isTake(input) && takes++ === 0) throw conditionFailed();
          return {};
        });
      expect(await slots().acquire(OWNER, 'michigan', 'job-b', 1, seen, now)).toBe(true);
      expect(updates().filter(isRemove)).toHaveLength(1);
      expect(updates().filter(isTake)).toHaveLength(2);
    });
  });

  describe('Idempotency-Key claims', () => {
    const repository = () => new JobRepository(documents(), 'gateway-test');
    const claim = { jobId: '01JFAST0000000000000000002', requestHash: 'hash-b' };

    it('the later request gets the earlier binding, and its own is written nowhere', async () => {
      mocked().on(PutCommand).rejects(conditionFailed());
      mocked()
        .on(GetCommand)
        .resolves({ Item: { jobId: JOB_ID, requestHash: 'hash-a' } });
      expect(await repository().claimIdempotencyKey(OWNER, 'key-1', claim)).toEqual({
        jobId: JOB_ID,
        requestHash: 'hash-a',
        claimed: false,
      });
      const put = mocked().commandCalls(PutCommand)[0]!.args[0].input;
      expect(put.ConditionExpression).toBe('attribute_not_exists(PK)');
    });

    it('a binding that vanished between the refused claim and the read is claimed anew', async () => {
      mocked().on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
      mocked().on(GetCommand).resolves({});
      expect(await repository().claimIdempotencyKey(OWNER, 'key-1', claim)).toEqual({
        ...claim,
        claimed: true,
      });
      expect(mocked().commandCalls(PutCommand)).toHaveLength(2);
    });
  });
});
