/**
 * DynamoDB throttling, which dynalite never produces. First at the wire (a request handler that answers
 * as DynamoDB does): the SDK retries with backoff and only then hands the exception over, and a failed
 * condition is not retried at all. Then what the product makes of the exception: the API answers a 500
 * that names nothing of AWS, a workflow task throws an error the state machine retries.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as getJob } from '#functions/api/jobs/get-job';
import { handler as listJobs } from '#functions/api/jobs/list-jobs';
import { handler as submitJob } from '#functions/workflow/submit-job';
import { isTransientAwsFault } from '#shared/aws/aws-faults';
import { JobRepository, JobTransitionConflict } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { invoke } from '#test/support/api-event';
import {
  AWS_TEXT,
  conditionFailed,
  JOB_ID,
  jobItem,
  mockedDynamo,
  OWNER,
  retriedErrors,
  throttled,
  throughputExceeded,
  unreachableCatalog,
} from './support';

/** A DynamoDB endpoint that answers each request with the next of `answers` (the last one repeats). */
function dynamoAnswering(...answers: { status: number; body: Record<string, unknown> }[]) {
  let requests = 0;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      handle: async () => {
        const answer = answers[Math.min(requests++, answers.length - 1)]!;
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: new TextEncoder().encode(JSON.stringify(answer.body)),
          },
        };
      },
    },
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { repository: new JobRepository(documents, 'jobs'), requests: () => requests };
}

const error = (type: string, message: string) => ({
  status: 400,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
});
const throttle = error('ProvisionedThroughputExceededException', `${AWS_TEXT}.`);

describe('DynamoDB throttling at the wire', () => {
  it('is retried by the SDK with backoff, then surfaces as a transient fault', async () => {
    const dynamo = dynamoAnswering(throttle);
    const failure = await dynamo.repository
      .transition(OWNER, JOB_ID, JobStatus.RUNNING, { from: [JobStatus.QUEUED_REMOTE] })
      .then(
        () => undefined,
        (caught: unknown) => caught as { $metadata: { attempts: number; totalRetryDelay: number } },
      );
    expect(failure).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(dynamo.requests()).toBeGreaterThan(1);
    expect(failure?.$metadata.attempts).toBe(dynamo.requests());
    expect(failure?.$metadata.totalRetryDelay).toBeGreaterThan(0);
    expect(isTransientAwsFault(failure)).toBe(true);
  });

  it('is absorbed when the burst ends within the SDK retries', async () => {
    const item = { status: { S: JobStatus.RUNNING }, jobId: { S: JOB_ID } };
    const dynamo = dynamoAnswering(throttle, { status: 200, body: { Attributes: item } });
    const moved = await dynamo.repository.transition(OWNER, JOB_ID, JobStatus.RUNNING, {
      from: [JobStatus.QUEUED_REMOTE],
    });
    expect(moved).toMatchObject({ status: JobStatus.RUNNING });
    expect(dynamo.requests()).toBe(2);
  });

  it('never retries a failed condition: one write (and one read of why), and the typed conflict', async () => {
    const dynamo = dynamoAnswering(
      error('ConditionalCheckFailedException', 'The conditional request failed'),
      // The read that tells a full history (make room, write again) from a conflict: no such job here.
      { status: 200, body: {} },
    );
    await expect(
      dynamo.repository.transition(OWNER, JOB_ID, JobStatus.RUNNING, { from: [JobStatus.QUEUED_REMOTE] }),
    ).rejects.toBeInstanceOf(JobTransitionConflict);
    expect(dynamo.requests()).toBe(2);
    expect(isTransientAwsFault(conditionFailed())).toBe(false);
  });
});

describe('what the product makes of throttling', () => {
  const mocked = mockedDynamo({ SERVICE_CATALOG: unreachableCatalog });

  it('answers the API caller a 503 with Retry-After and nothing of AWS', async () => {
    mocked().on(GetCommand).rejects(throughputExceeded());
    mocked().on(QueryCommand).rejects(throttled());
    const caller = { sub: OWNER, username: 'alice', groups: [] };
    for (const answer of [
      await invoke(getJob, { method: 'GET', caller, pathParameters: { jobId: JOB_ID } }),
      await invoke(listJobs, { method: 'GET', caller }),
    ]) {
      expect(answer.status).toBe(503);
      expect(answer.headers['Retry-After']).toBe('5');
      expect(answer.body).toMatchObject({ error: { code: 'TEMPORARILY_UNAVAILABLE', message: /retry/ } });
      expect(answer.raw).not.toMatch(/Throughput|Throttl|provision|capacity|dynamo/i);
    }
  });

  it('turns a throttled job transition in a task into TransientError, which the ASL retries', async () => {
    // A retried submit whose service job is known: it only moves the job to QUEUED_REMOTE.
    mocked()
      .on(GetCommand)
      .resolves({ Item: jobItem({ status: JobStatus.SUBMITTING }) })
      .on(UpdateCommand)
      .rejects(throughputExceeded());
    const failure = await submitJob({ jobId: JOB_ID, owner: OWNER }).catch((caught: Error) => caught);
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(retriedErrors('SubmitJob')).toContain((failure as Error).name);
    expect(JSON.stringify(failure)).not.toContain(AWS_TEXT);
    expect((failure as Error).message).not.toContain(AWS_TEXT);
    // The transition and the attempt to record the failure on the job: nothing else was written.
    const updates = mocked()
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input);
    expect(updates).toHaveLength(2);
    expect(updates[0]!.ConditionExpression).toContain('#status IN');
    expect(updates[1]!.ExpressionAttributeValues?.[':failure']).toMatchObject({
      type: 'TransientError',
      message: 'AWS ProvisionedThroughputExceededException (HTTP 400) after 4 attempts',
    });
  });

  it('turns a throttled job read in a task into TransientError too', async () => {
    mocked().on(GetCommand).rejects(throttled());
    const failure = await submitJob({ jobId: JOB_ID, owner: OWNER }).catch((caught: Error) => caught);
    expect(failure).toMatchObject({ name: 'TransientError' });
    expect(retriedErrors('SubmitJob')).toContain((failure as Error).name);
  });
});
