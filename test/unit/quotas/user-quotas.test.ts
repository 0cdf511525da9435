import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { QuotaExceededError } from '#shared/errors';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { QUOTA_RECORD_GRACE_MS, UserQuotas, userQuotas } from '#shared/quotas/user-quotas';
import { uploadStore } from '#shared/uploads/upload-store';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';

let aws: Awaited<ReturnType<typeof startAwsEmulators>>;

beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws.close();
});

const limits = { activeJobs: 2, pendingUploads: 2, storedBytes: 1000 };
let userCount = 0;
const newUser = () => `quota-user-${++userCount}`;

async function refusal(promise: Promise<unknown>): Promise<QuotaExceededError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QuotaExceededError);
  return error as QuotaExceededError;
}

describe('active jobs per user', () => {
  it('counts each job once, refuses at the limit naming it, and frees a unit on release', async () => {
    const quotas = userQuotas();
    const owner = newUser();
    await quotas.acquireJob(owner, 'job-1', limits.activeJobs);
    await quotas.acquireJob(owner, 'job-1', limits.activeJobs); // again: still one unit
    await quotas.acquireJob(owner, 'job-2', limits.activeJobs);
    const refused = await refusal(quotas.acquireJob(owner, 'job-3', limits.activeJobs));
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(refused.message).toBe(
      'You have 2 active jobs, the limit of 2 per user; one frees when one of your jobs ends (succeeds, fails or is canceled)',
    );
    expect(refused.retryAfterSeconds).toBe(60);
    expect(refused.details).toMatchObject({ quota: 'ACTIVE_JOBS', limit: 2, used: 2 });

    expect(await quotas.releaseJob(owner, 'job-1')).toBe(true);
    expect(await quotas.releaseJob(owner, 'job-1')).toBe(false); // released once only
    await quotas.acquireJob(owner, 'job-3', limits.activeJobs);
    expect(Object.keys((await quotas.usage(owner)).activeJobs).sort()).toEqual(['job-2', 'job-3']);
  });

  it('lets concurrent requests take exactly the free units', async () => {
    const quotas = userQuotas();
    const owner = newUser();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => quotas.acquireJob(owner, `job-${i}`, 3)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(Object.keys((await quotas.usage(owner)).activeJobs)).toHaveLength(3);
    // A new user's first requests at once: none is refused while there is room.
    const fresh = newUser();
    await Promise.all(Array.from({ length: 3 }, (_, i) => quotas.acquireJob(fresh, `job-${i}`, 3)));
    expect(Object.keys((await quotas.usage(fresh)).activeJobs)).toHaveLength(3);
  });

  it('is released by the move of a job to a terminal status, once', async () => {
    const owner = newUser();
    const job = jobRecord({ owner, jobId: ulid(), status: JobStatus.QUEUED });
    await userQuotas().acquireJob(owner, job.jobId, limits.activeJobs);
    await jobRepository().create(job);
    await jobRepository().transition(owner, job.jobId, JobStatus.CANCELED, { detail: 'test' });
    expect((await userQuotas().usage(owner)).activeJobs).toEqual({});
  });

  it('heals a crash between the job’s terminal move and the release: the next refusal finds it ended', async () => {
    const owner = newUser();
    const ended = jobRecord({ owner, jobId: ulid(), status: JobStatus.QUEUED });
    const running = jobRecord({ owner, jobId: ulid(), status: JobStatus.QUEUED });
    for (const job of [ended, running]) {
      await userQuotas().acquireJob(owner, job.jobId, limits.activeJobs);
      await jobRepository().create(job);
    }
    // The job ended, but the release after it never ran (the function died between the two writes).
    await dynamoDocumentClient().send(
      new PutCommand({
        TableName: aws.tableName,
        Item: {
          PK: `USER#${owner}`,
          SK: `JOB#${ended.jobId}`,
          entity: 'Job',
          ...ended,
          status: JobStatus.FAILED,
        },
      }),
    );
    expect(Object.keys((await userQuotas().usage(owner)).activeJobs)).toHaveLength(2);
    await userQuotas().acquireJob(owner, 'job-new', limits.activeJobs);
    expect(Object.keys((await userQuotas().usage(owner)).activeJobs).sort()).toEqual(
      [running.jobId, 'job-new'].sort(),
    );
  });

  it('releases a unit whose job was never written only after a grace (its request may still write it)', async () => {
    const owner = newUser();
    const start = Date.now();
    let now = start;
    const quotas = new UserQuotas(dynamoDocumentClient(), aws.tableName, () => new Date(now));
    await quotas.acquireJob(owner, 'never-written', 1);
    await refusal(quotas.acquireJob(owner, 'next', 1));
    now = start + QUOTA_RECORD_GRACE_MS + 1000;
    await quotas.acquireJob(owner, 'next', 1);
    expect(Object.keys((await quotas.usage(owner)).activeJobs)).toEqual(['next']);
  });

  it('reads the counted jobs at most once a minute for a user refused in a loop', async () => {
    const owner = newUser();
    const start = Date.now();
    let now = start;
    const quotas = new UserQuotas(dynamoDocumentClient(), aws.tableName, () => new Date(now));
    const job = jobRecord({ owner, jobId: ulid(), status: JobStatus.QUEUED });
    await quotas.acquireJob(owner, job.jobId, 1);
    await jobRepository().create(job);
    await refusal(quotas.acquireJob(owner, 'next', 1)); // reconciled now: the job still runs
    await dynamoDocumentClient().send(
      new PutCommand({
        TableName: aws.tableName,
        Item: {
          PK: `USER#${owner}`,
          SK: `JOB#${job.jobId}`,
          entity: 'Job',
          ...job,
          status: JobStatus.FAILED,
        },
      }),
    );
    now = start + 30_000;
    await refusal(quotas.acquireJob(owner, 'next', 1)); // within the minute: not read again
    now = start + 61_000;
    await quotas.acquireJob(owner, 'next', 1);
  });

  it('refuses a request for several jobs up front when they would not all fit', async () => {
    const owner = newUser();
    await userQuotas().acquireJob(owner, 'job-1', 3);
    await userQuotas().assertJobRoom(owner, 2, 3);
    const refused = await refusal(userQuotas().assertJobRoom(owner, 3, 3));
    expect(refused.message).toContain('(this request needs 3)');
  });
});

describe('uploads per user', () => {
  const record = (owner: string, uploadId: string, size: number, status = 'PENDING', expiresAt?: number) =>
    dynamoDocumentClient().send(
      new PutCommand({
        TableName: aws.tableName,
        Item: {
          PK: `USER#${owner}`,
          SK: `UPLOAD#${uploadId}`,
          entity: 'Upload',
          uploadId,
          owner,
          fileName: 'a.vcf.gz',
          size,
          bucket: 'b',
          key: 'k',
          status,
          createdAt: new Date().toISOString(),
          uploadUrlExpiresAt: new Date().toISOString(),
          expiresAt: expiresAt ?? Math.floor(Date.now() / 1000) + 86_400,
        },
      }),
    );

  it('refuses past the pending limit until an upload completes', async () => {
    const owner = newUser();
    await userQuotas().acquireUpload(owner, 'U1', 10, limits);
    await record(owner, 'U1', 10);
    await userQuotas().acquireUpload(owner, 'U2', 10, limits);
    await record(owner, 'U2', 10);
    const refused = await refusal(userQuotas().acquireUpload(owner, 'U3', 10, limits));
    expect(refused.message).toBe(
      'You have 2 uploads announced and not completed, the limit of 2; one frees when one of them completes, is abandoned (DELETE /uploads/{uploadId}) or its upload link expires',
    );
    expect(refused.details).toMatchObject({ quota: 'PENDING_UPLOADS', limit: 2, used: 2 });

    expect(await uploadStore().markReady(owner, 'U1', new Date())).toBe(true);
    await userQuotas().acquireUpload(owner, 'U3', 10, limits);
    const usage = await userQuotas().usage(owner);
    expect(Object.keys(usage.pendingUploads).sort()).toEqual(['U2', 'U3']);
    expect(usage.storedBytes).toBe(30);
  });

  it('refuses past the stored bytes, saying when the first upload expires; an abandoned upload frees its bytes once', async () => {
    const owner = newUser();
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    await userQuotas().acquireUpload(owner, 'U1', 600, limits);
    await record(owner, 'U1', 600, 'PENDING', expiry);
    const refused = await refusal(userQuotas().acquireUpload(owner, 'U2', 500, limits));
    expect(refused.message).toMatch(
      /^Your uploads hold 600 bytes and this file needs 500 bytes more: the limit is 1000 bytes per user; space frees when your upload expiring first expires, at /,
    );
    expect(refused.retryAfterSeconds).toBeGreaterThan(3500);
    expect(refused.details).toMatchObject({
      quota: 'STORED_BYTES',
      limit: 1000,
      used: 600,
      freesAt: new Date(expiry * 1000).toISOString(),
    });

    expect(await uploadStore().markAborted(owner, 'U1', new Date())).toBeDefined();
    await userQuotas().releaseUpload(owner, 'U1'); // a second release changes nothing
    expect((await userQuotas().usage(owner)).storedBytes).toBe(0);
    await userQuotas().acquireUpload(owner, 'U2', 500, limits);
    expect((await userQuotas().usage(owner)).storedBytes).toBe(500);
  });

  it('frees the bytes of an expired upload (its record gone or past its TTL) when the limit is hit', async () => {
    const owner = newUser();
    await userQuotas().acquireUpload(owner, 'U1', 400, limits);
    await record(owner, 'U1', 400, 'READY', Math.floor(Date.now() / 1000) - 10);
    await userQuotas().acquireUpload(owner, 'U2', 400, limits);
    await record(owner, 'U2', 400, 'READY');
    await dynamoDocumentClient().send(
      new DeleteCommand({ TableName: aws.tableName, Key: { PK: `USER#${owner}`, SK: 'UPLOAD#U2' } }),
    );
    // U2's record is gone but its pending unit is young: it stays counted; U1 expired and frees.
    await userQuotas().acquireUpload(owner, 'U3', 500, limits);
    const usage = await userQuotas().usage(owner);
    expect(usage.storedUploads).toEqual({ U2: 400, U3: 500 });
    expect(usage.storedBytes).toBe(900);
  });

  it('refuses a file larger than the whole quota, saying it never fits', async () => {
    const refused = await refusal(userQuotas().acquireUpload(newUser(), 'U1', 5000, limits));
    expect(refused.message).toContain('larger than your storage quota of 1000 bytes');
  });
});
