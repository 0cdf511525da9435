/**
 * Jobs in every state a researcher can find one in, made over the running stack's HTTP API (a platform
 * token signed by the local issuer, as `npm run token` signs one) and steered by the Cloudgene
 * simulator's admin API, so the browser tests can visit each kind of job page without clicking through
 * the form for each: one that failed our input checks, one that succeeded, one held in the service's
 * queue and one waiting for a slot (the user's limit at the service reached).
 */
import { localIssuer, type SimulatedService } from '#infra/local/local-environment';
import { localUser } from '#infra/local/local-users';
import type { LocalProcess } from '#test/e2e/local-process';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';

export interface SeededJobs {
  /** Failed our checks: one valid input and one whose records are out of order. */
  failed: string;
  succeeded: string;
  queued: string;
  waiting: string;
  /** The file names of the failed job's inputs. */
  validFile: string;
  invalidFile: string;
}

/** Calls the running stack's API as `username`, with a platform token signed by the local issuer. */
export function apiAs(stack: LocalProcess, username: string) {
  const token = localIssuer(stack.dataDir).tokenFor(localUser(username));
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.api}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

const adminOf =
  (stack: LocalProcess, serviceId: SimulatedService) => (method: string, path: string, body?: unknown) =>
    fetch(`${stack.endpoints().simulators[serviceId]}/__admin${path}`, {
      method,
      body: JSON.stringify(body ?? {}),
    });

/** A user at each service's own simulator, and the token it gives stored for that service. */
export async function storeServiceTokens(
  stack: LocalProcess,
  username: string,
  serviceIds: SimulatedService[],
) {
  const call = apiAs(stack, username);
  for (const serviceId of serviceIds) {
    const created = await adminOf(stack, serviceId)('POST', '/users', { username });
    const serviceToken = ((await created.json()) as { token: string }).token;
    await call('PUT', `/me/credentials/${serviceId}`, { token: serviceToken });
  }
}

export async function seedJobs(stack: LocalProcess, username: string): Promise<SeededJobs> {
  const call = apiAs(stack, username);
  const admin = adminOf(stack, 'michigan');
  // A token at two services (each simulated by its own server): the Services page then holds two
  // delete dialogs.
  await storeServiceTokens(stack, username, ['michigan', 'topmed']);
  /** Announces and PUTs a file; `confirm` asks for it, which makes it READY and starts its check. */
  const upload = async (fileName: string, file: Buffer, confirm = true) => {
    const answer = await call('POST', '/uploads', { fileName, size: file.length });
    await fetch(answer.uploadUrl, { method: 'PUT', body: file, headers: answer.headers });
    if (confirm) await call('GET', `/uploads/${answer.upload.uploadId}`);
    return answer.upload.uploadId as string;
  };
  const validFile = 'cohort.chr20.vcf.gz';
  const invalidFile = 'unsorted.chr21.vcf.gz';
  const valid = await upload(validFile, makeVcfGz({ samples: 40, records: 500 }));
  const unsorted = makeVcfGz({
    samples: 40,
    records: 20_000,
    chromosome: '21',
    fault: { kind: 'unsorted', at: 19_990 },
  });
  const job = async (name: string, uploadIds: string[]) =>
    (await call('POST', '/jobs', createJobBody({ name, population: 'afr', r2Filter: 0.3, uploadIds })))
      .jobId as string;
  /**
   * A job that fails our checks in VALIDATING: created with the unsorted upload still unconfirmed, so its
   * check has only just started when the job is judged (once settled, POST /jobs would refuse it with
   * 422 instead). The fault is near the end, so the check takes a while; on the rare lost race, again.
   */
  const failedJob = async () => {
    for (let attempt = 1; ; attempt++) {
      const invalid = await upload(invalidFile, unsorted, false);
      try {
        return await job('chr20 and an unsorted chr21', [valid, invalid]);
      } catch (error) {
        if (attempt >= 3 || !String(error).includes('INPUT_INVALID')) throw error;
      }
    }
  };
  const reaches = async (jobId: string, status: string) => {
    for (let tries = 0; tries < 240; tries++) {
      if ((await call('GET', `/jobs/${jobId}`)).status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`job ${jobId} did not reach ${status}`);
  };

  await admin('PATCH', '/settings', { scenario: 'success' });
  const failed = await failedJob();
  const succeeded = await job('chr20 cohort', [valid]);
  await Promise.all([reaches(failed, 'FAILED'), reaches(succeeded, 'SUCCEEDED')]);
  // A long queue at the service holds one slot; another running job elsewhere takes the second.
  await admin('PATCH', '/settings', { scenario: 'slow-queue' });
  const queued = await job('chr20 in a long queue', [valid]);
  await reaches(queued, 'QUEUED_REMOTE');
  await admin('POST', `/users/${username}/active-jobs`, { count: 1 });
  const waiting = await job('chr20 waiting for a slot', [valid]);
  await reaches(waiting, 'WAITING_FOR_SLOT');
  return { failed, succeeded, queued, waiting, validFile, invalidFile };
}
