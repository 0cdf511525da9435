/**
 * Faults as the AWS SDK hands them over after its own retries (the exception classes the clients
 * throw, `$metadata` stamped by the retry middleware), the Retry rules of the state machine, and the
 * items of one job as DynamoDB stores them: what the fault tests feed through aws-sdk-client-mock.
 */
import { readFileSync } from 'node:fs';
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { InternalServiceError } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import type { JobRecord } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { CREATED_AT, jobRecord } from '#test/support/job-fixtures';

/** The text AWS puts in these errors: no answer, log or job record may show it. */
export const AWS_TEXT = 'The level of configured provisioned throughput for the table was exceeded';

export const throughputExceeded = () =>
  new ProvisionedThroughputExceededException({
    message: `${AWS_TEXT}. Consider increasing your provisioning level.`,
    $metadata: { httpStatusCode: 400, attempts: 4, totalRetryDelay: 3100 },
  });

export const throttled = () =>
  new ThrottlingException({
    message: 'Throughput exceeds the current capacity of your table or index.',
    $metadata: { httpStatusCode: 400, attempts: 4, totalRetryDelay: 3100 },
  });

export const conditionFailed = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400, attempts: 1 },
  });

export const secretsManagerDown = () =>
  new InternalServiceError({
    message: 'An error occurred on the server side.',
    $metadata: { httpStatusCode: 500, attempts: 3, totalRetryDelay: 300 },
  });

/** A connection that could not be made, as the SDK throws it once its attempts are spent. */
export const networkDown = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
    code: 'ECONNREFUSED',
    $metadata: { attempts: 3, totalRetryDelay: 300 },
  });

export const s3InternalError = () =>
  new S3ServiceException({
    name: 'InternalError',
    $fault: 'server',
    message: 'We encountered an internal error. Please try again.',
    $metadata: { httpStatusCode: 500, attempts: 3, totalRetryDelay: 300 },
  });

interface AslState {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  ItemProcessor?: { States: Record<string, AslState> };
}

/** The error names the state machine's Retry rules retry on the task state `name` (Map states searched). */
export function retriedErrors(name: string): string[] {
  const asl = JSON.parse(readFileSync('statemachines/imputation-job.asl.json', 'utf8')) as {
    States: Record<string, AslState>;
  };
  const find = (states: Record<string, AslState>): AslState | undefined =>
    states[name] ??
    Object.values(states)
      .map((state) => state.ItemProcessor && find(state.ItemProcessor.States))
      .find(Boolean);
  const state = find(asl.States);
  if (!state) throw new Error(`no state ${name} in the ASL`);
  return (state.Retry ?? []).flatMap((rule) => rule.ErrorEquals);
}

export const OWNER = 'sub-alice';
export const JOB_ID = '01JFAST0000000000000000001';

export function jobItem(overrides: Partial<JobRecord> = {}) {
  const job = jobRecord({
    jobId: JOB_ID,
    owner: OWNER,
    name: 'fault test',
    status: JobStatus.QUEUED_REMOTE,
    events: [{ at: CREATED_AT, to: JobStatus.QUEUED }],
    externalJobId: 'job-20261123-000000-001',
    ...overrides,
  });
  return { PK: `USER#${job.owner}`, SK: `JOB#${job.jobId}`, entity: 'Job', ...job };
}

export function credentialItem(serviceId = 'michigan') {
  return {
    PK: `USER#${OWNER}`,
    SK: `CREDENTIAL#${serviceId}`,
    entity: 'Credential',
    serviceId,
    serviceUsername: 'alice-mis',
    tokenExpiresAt: null,
    tokenHint: '…x9Qa',
    verifiedAt: '2026-11-20T00:00:00.000Z',
    createdAt: '2026-11-20T00:00:00.000Z',
    updatedAt: '2026-11-20T00:00:00.000Z',
  };
}

/** A catalog of one service, `michigan`, at `baseUrl`. */
export const catalogAt = (baseUrl: string) =>
  JSON.stringify([
    {
      id: 'michigan',
      name: 'Michigan (test)',
      baseUrl,
      appId: 'imputationserver2',
      location: 'here',
      notes: '',
      maxConcurrentJobs: 2,
      enabled: true,
    },
  ]);

/**
 * A DynamoDB document client mocked for each test of the calling suite (every instance: the product's
 * own client too), with the environment the stores read; restored after each test.
 */
export function mockedDynamo(env: Record<string, string> = {}): () => AwsClientStub<DynamoDBDocumentClient> {
  let dynamo: AwsClientStub<DynamoDBDocumentClient> | undefined;
  beforeEach(() => {
    Object.assign(process.env, { AWS_REGION: 'us-east-1', TABLE_NAME: 'gateway-test', ...env });
    dynamo = mockClient(DynamoDBDocumentClient);
  });
  afterEach(() => dynamo?.restore());
  return () => dynamo!;
}

/** A catalog whose one service answers nowhere: a test that reaches it has already gone wrong. */
export const unreachableCatalog = catalogAt('http://127.0.0.1:9');
