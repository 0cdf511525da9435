/**
 * Secrets Manager failing (a 500, or no connection at all), which the emulator never does. Storing a
 * token (PUT /me/credentials) answers a plain 500 and leaves no credential metadata without its secret;
 * a workflow task that reads the token throws an error the state machine retries, while a token that
 * is really missing still fails the job with its own code. The token shows in no answer and no log.
 */
import '#test/support/log-to-console';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as putCredential } from '#functions/api/credentials/put-credential';
import { handler as submitJob } from '#functions/workflow/submit-job';
import { type CloudgeneSimulator, startCloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { JobStatus } from '#shared/jobs/job-status';
import { resetRuntime } from '#shared/runtime';
import { invoke } from '#test/support/api-event';
import {
  catalogAt,
  credentialItem,
  JOB_ID,
  jobItem,
  networkDown,
  OWNER,
  retriedErrors,
  secretsManagerDown,
  throughputExceeded,
} from './support';

const alice = { sub: OWNER, username: 'alice', groups: [] };
const logLines: string[] = [];
let sim: CloudgeneSimulator;
let token: string;
let secrets: AwsClientStub<SecretsManagerClient>;
let dynamo: AwsClientStub<DynamoDBDocumentClient>;
let handlers: {
  put: typeof import('#functions/api/credentials/put-credential').handler;
  submit: typeof import('#functions/workflow/submit-job').handler;
};

beforeAll(async () => {
  sim = await startCloudgeneSimulator();
  token = sim.addUser({ username: 'alice-mis' });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'gateway-test',
    SECRETS_PREFIX: 'gateway-test',
    SERVICE_CATALOG: catalogAt(sim.url),
  });
  resetRuntime();
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map(String).join(' '));
    });
  }
  handlers = {
    put: putCredential,
    submit: submitJob,
  };
});
afterAll(async () => {
  vi.restoreAllMocks();
  await sim.close();
});
beforeEach(() => {
  secrets = mockClient(SecretsManagerClient);
  dynamo = mockClient(DynamoDBDocumentClient);
});
afterEach(() => {
  secrets.restore();
  dynamo.restore();
  expect(logLines.join('\n')).not.toContain(token);
});

const putToken = () =>
  invoke(handlers.put, {
    method: 'PUT',
    caller: alice,
    pathParameters: { serviceId: 'michigan' },
    body: { token },
  });
const metadataWrites = () => [...dynamo.commandCalls(PutCommand), ...dynamo.commandCalls(UpdateCommand)];

describe('PUT /me/credentials/{serviceId} while Secrets Manager is unavailable', () => {
  it('answers 503 (retry shortly) without the token and writes no metadata when replacing the secret fails', async () => {
    secrets.on(PutSecretValueCommand).rejects(secretsManagerDown());
    const answer = await putToken();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { code: 'TEMPORARILY_UNAVAILABLE' } });
    expect(answer.raw).not.toContain(token);
    expect(answer.raw).not.toMatch(/server side|secret/i);
    expect(metadataWrites()).toHaveLength(0);
    // The log has the details (and is searched for the token after each test).
    expect(logLines.join('\n')).toContain('InternalServiceError');
  });

  it('writes no metadata when creating the first secret cannot reach the service', async () => {
    secrets
      .on(PutSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } }))
      .on(CreateSecretCommand)
      .rejects(networkDown());
    const answer = await putToken();
    expect(answer.status).toBe(503);
    expect(answer.raw).not.toMatch(/ECONNREFUSED|10\.0\.0\.1/);
    expect(secrets.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(metadataWrites()).toHaveLength(0);
  });

  it('when the metadata write fails after the secret, a retry of the request stores it', async () => {
    secrets.on(PutSecretValueCommand).resolves({});
    dynamo.on(UpdateCommand).rejectsOnce(throughputExceeded()).resolves({ Attributes: credentialItem() });
    expect((await putToken()).status).toBe(503);
    const retried = await putToken();
    expect(retried.status).toBe(200);
    expect(retried.raw).not.toContain(token);
    // Both attempts wrote the same metadata, the hint only: never the token itself.
    const writes = dynamo.commandCalls(UpdateCommand).map((call) => JSON.stringify(call.args[0].input));
    expect(writes).toHaveLength(2);
    for (const write of writes) {
      expect(write).toContain(`…${token.slice(-4)}`);
      expect(write).not.toContain(token);
    }
  });
});

describe('a workflow task reading the token while Secrets Manager is unavailable', () => {
  // The submission attempt reads the owner's token first (polling is the watcher's, outside any task).
  const poll = () => handlers.submit({ jobId: JOB_ID, owner: OWNER });

  beforeEach(() => {
    dynamo
      .on(GetCommand, { Key: { PK: `USER#${OWNER}`, SK: `JOB#${JOB_ID}` } })
      .resolves({ Item: jobItem({ status: JobStatus.SUBMITTING, externalJobId: undefined }) })
      .on(GetCommand, { Key: { PK: 'SERVICE#michigan', SK: 'HEALTH' } })
      .resolves({})
      .on(GetCommand, { Key: { PK: `USER#${OWNER}`, SK: 'CREDENTIAL#michigan' } })
      .resolves({ Item: credentialItem() });
  });

  for (const [fault, make] of [
    ['a 500', secretsManagerDown],
    ['no connection', networkDown],
  ] as const) {
    it(`throws TransientError on ${fault}, which SubmitJob retries, and leaves the job as it was`, async () => {
      secrets.on(GetSecretValueCommand).rejects(make());
      const failure = await poll().catch((caught: Error) => caught);
      expect(failure).toMatchObject({ name: 'TransientError' });
      expect(retriedErrors('SubmitJob')).toContain((failure as Error).name);
      // Only the failure is recorded on the job (for RecordFailure, should the retries run out).
      const updates = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      expect(updates).toHaveLength(1);
      expect(updates[0]!.UpdateExpression).toBe('SET lastFailure = :failure');
      expect(updates[0]!.ExpressionAttributeValues?.[':failure']).toMatchObject({ type: 'TransientError' });
    });
  }

  it('makes the job wait for a token (WAITING_FOR_TOKEN), not fail, when the secret is really gone', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } }));
    dynamo.on(UpdateCommand).resolves({ Attributes: jobItem({ status: JobStatus.WAITING_FOR_TOKEN }) });
    expect(await poll()).toEqual({ outcome: 'WAIT_FOR_TOKEN' });
    const moves = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(JSON.stringify(moves.at(-1)?.ExpressionAttributeValues)).toContain('WAITING_FOR_TOKEN');
    expect(JSON.stringify(moves.at(-1)?.ExpressionAttributeValues)).toMatch(/no API token for .* is stored/);
  });
});
