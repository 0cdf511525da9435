/**
 * The owner's token in the workflow and the watcher, read through the vault's cache: what a poll costs in Secrets
 * Manager and DynamoDB reads (counted on the shared SDK clients), and a token the owner replaced from
 * another process mid-job — the cached one is refused once, read fresh, and the job goes on without the
 * credential being marked rejected. Real ASL and handlers, emulators and the simulator.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDocumentClient, secretsManagerClient } from '#shared/aws/clients';
import { getService } from '#shared/catalog/service-catalog';
import { credentialStore } from '#shared/credentials/credential-store';
import { listServiceCredentials, saveServiceToken } from '#shared/credentials/service-credentials';
import { TokenVault } from '#shared/credentials/token-vault';
import { JobStatus } from '#shared/jobs/job-status';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
/** Status calls at the service: the watcher's polls (no workflow task polls any more). */
const pollCount = () =>
  h.sim.requests.filter(
    (request) => request.method === 'GET' && /^\/api\/v2\/jobs\/job-[^/]+$/.test(request.path),
  ).length;
/** Reads of users' token secrets (not the result-password key) and of credential metadata items. */
const reads = { tokenSecrets: 0, credentialItems: 0 };

beforeAll(async () => {
  h = await startWorkflowHarness();
  secretsManagerClient().middlewareStack.add(
    (next, context) => async (args) => {
      const secretId = String((args.input as { SecretId?: unknown }).SecretId ?? '');
      if (context.commandName === 'GetSecretValueCommand' && secretId.includes('/users/'))
        reads.tokenSecrets++;
      return next(args);
    },
    { step: 'initialize', name: 'countTokenReads' },
  );
  dynamoDocumentClient().middlewareStack.add(
    (next, context) => async (args) => {
      // The document client runs its commands through the DynamoDB client's stack (marshalled keys).
      const key = JSON.stringify((args.input as { Key?: unknown }).Key ?? null);
      if (context.commandName === 'GetItemCommand' && key.includes('CREDENTIAL#')) reads.credentialItems++;
      return next(args);
    },
    { step: 'initialize', name: 'countCredentialReads' },
  );
});
afterAll(() => h?.close());
beforeEach(() => {
  h.sim.scenario = 'success';
});

const snapshot = () => ({ polls: pollCount(), ...reads });
const since = (before: ReturnType<typeof snapshot>) => {
  const now = snapshot();
  return {
    polls: now.polls - before.polls,
    tokenSecrets: now.tokenSecrets - before.tokenSecrets,
    credentialItems: now.credentialItems - before.credentialItems,
  };
};

describe("the owner's token in the workflow", () => {
  it('is read from Secrets Manager once per process within maxAge, not on every poll, and no poll reads the credential', async () => {
    const alice = await h.userWithToken('alice');
    const before = snapshot();
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(alice);
    const queued = await h.waitForStatus(alice, jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    const submitted = since(before);
    // The job stays at the service until the watcher polled it three times.
    while (since(before).polls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    h.sim.setJobState(queued.externalJobId!, 4);
    await h.sfn.waitForJob(jobId);
    expect((await h.job(alice, jobId)).status).toBe(JobStatus.SUCCEEDED);
    const job = since(before);
    if (process.env.MEASURE_TOKEN_READS) {
      console.info(`token reads for one job: ${JSON.stringify({ submitted, job })} (${queued.status})`);
    }
    expect(job.polls).toBeGreaterThanOrEqual(3);
    // Saving the token forgot the cached entry: the first read (creating the job, which asks the service
    // for its options) fetches it; the submission and every poll are cache hits.
    expect(job.tokenSecrets).toBe(1);
    // createJob reads the credential (API side); the workflow's tasks do not.
    expect(job.credentialItems).toBe(submitted.credentialItems);
  });

  it('picks up a token replaced in another process after one refusal, and does not mark the credential rejected', async () => {
    const tina = await h.userWithToken('tina');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(tina);
    const queued = await h.waitForStatus(tina, jobId, [JobStatus.QUEUED_REMOTE]);
    const pollsBefore = pollCount();
    while (pollCount() < pollsBefore + 2) await new Promise((resolve) => setTimeout(resolve, 5));

    // The owner stores a new token through another Lambda (its own cache): the service now answers the
    // old one with 403, while this process still holds the old one in its cache.
    const requestsBefore = h.sim.requests.length;
    const before = snapshot();
    const replacement = h.sim.addUser({ username: tina.serviceUser });
    const elsewhere = new TokenVault(new SecretsManagerClient({}), { prefix: 'gateway-test' });
    await saveServiceToken(tina, getService('michigan'), replacement, {
      vault: elsewhere,
      store: credentialStore(),
      now: () => new Date(),
    });
    h.sim.setJobState(queued.externalJobId!, 4);
    await h.sfn.waitForJob(jobId);

    const job = await h.job(tina, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const refused = h.sim.requests
      .slice(requestsBefore)
      .filter((request) => request.authenticated && (request.status === 401 || request.status === 403));
    expect(refused).toHaveLength(1);
    // One fresh read of the token (and of the credential, before it), then the cache serves the new one.
    // Saving the replacement reads nothing (one conditional UpdateItem keeps `createdAt`).
    expect(since(before)).toMatchObject({ tokenSecrets: 1, credentialItems: 1 });
    const [credential] = await listServiceCredentials(tina);
    expect(credential).toMatchObject({ status: 'active', rejectedAt: null });
  });
});
