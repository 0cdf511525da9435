/**
 * Runs the real state machine file with the real task handlers against local emulators (DynamoDB, S3,
 * Secrets Manager, Step Functions) and the Cloudgene simulator over HTTP. Jobs are created through the
 * real API code path (createJob), so the execution starts exactly as in AWS.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { EventBridgeEmulator } from '#infra/local/emulators/event-bridge';
import { type S3Emulator, startS3Emulator } from '#infra/local/emulators/s3';
import {
  type StepFunctionsEmulator,
  type StepFunctionsEmulatorOptions,
  startStepFunctionsEmulator,
} from '#infra/local/emulators/step-functions';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import {
  type CloudgeneSimulator,
  type SimulatorOptions,
  startCloudgeneSimulator,
} from '#infra/local/simulator/cloudgene-simulator';
import type { Caller } from '#shared/auth/caller';
import { secretsManagerClient } from '#shared/aws/clients';
import { getService } from '#shared/catalog/service-catalog';
import { saveServiceToken } from '#shared/credentials/service-credentials';
import { type WatchRun, watchServices } from '#shared/health/watch-services';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal } from '#shared/jobs/job-status';
import * as jobs from '#shared/jobs/jobs';
import { resetRuntime } from '#shared/runtime';
import type { EnvironmentValues } from '#shared/settings';
import { recordUnchecked, uploadCheckExecutionName, uploadRefSchema } from '#shared/uploads/upload-checks';
import { createUpload, getUpload } from '#shared/uploads/uploads';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { createJobRequest } from '#test/support/job-fixtures';
import { useSettings } from '#test/support/settings';
import { catalogEntry } from '#test/support/simulated-service';
import { makeVcfGz, type VcfSpec } from '#test/support/vcf-fixtures';

/**
 * How the harness treats the check each upload gets when it becomes READY: `awaited` (default) lets it run
 * and waits for it before creating the job, so what the check found is known at creation; `skipped`
 * records every upload UNCHECKED instead, so the job's own validation step reads the files.
 */
export type UploadChecks = 'awaited' | 'skipped';

export interface WorkflowHarness {
  sim: CloudgeneSimulator;
  /** The watcher, run every `watchMs` (never two runs at once), as the schedule runs it in the stack. */
  /**
   * `pause` waits for the run under way and starts none until `resume` (or until a test waits for a job
   * with `sfn.waitForJob` or `waitForStatus`, which need the watcher and resume it): for tests that set
   * health records.
   */
  watcher: { runNow(): Promise<WatchRun | undefined>; pause(): Promise<void>; resume(): void };
  uploadChecks: UploadChecks;
  sfn: StepFunctionsEmulator;
  s3: S3Emulator;
  /** The bus the watcher's outbox publisher sends to (shared/events/publish-events.ts). */
  eventBridge: EventBridgeEmulator;
  /** Stores a service token for the user (once) and returns the service-side username. */
  userWithToken(name: string): Promise<Caller & { serviceUser: string }>;
  /** Uploads a VCF (or several: `files`) and creates a job through the API code path; returns the job id. */
  createJob(
    caller: Caller,
    options?: {
      vcf?: VcfSpec & { gzipOnly?: boolean };
      raw?: Buffer;
      build?: 'hg19' | 'hg38';
      files?: { name: string; vcf?: VcfSpec; raw?: Buffer }[];
    },
  ): Promise<string>;
  job(caller: Caller, jobId: string): Promise<JobRecord>;
  waitForStatus(caller: Caller, jobId: string, statuses: string[], timeoutMs?: number): Promise<JobRecord>;
  close(): Promise<void>;
}

export async function startWorkflowHarness(
  options: {
    simulator?: SimulatorOptions;
    waitMs?: number;
    /** Settings of the functions added to the harness's (or replacing them). */
    settings?: EnvironmentValues;
    /** Task handlers by task id (e.g. a wrapper that fails after the real handler, to force a retry). */
    handlers?: StepFunctionsEmulatorOptions['handlers'];
    /** Between watcher runs (default 20 ms); 0 runs it only on `watcher.runNow()`. */
    watchMs?: number;
    /** Waits for a named execution to end, when executions run elsewhere (a benchmark's own engine). */
    waitForExecution?: (name: string) => Promise<unknown>;
    /** An S3 emulator started elsewhere (with the buckets `inputs-test` and `results-test`). */
    s3?: S3Emulator;
  } = {},
): Promise<WorkflowHarness> {
  const aws = await startAwsEmulators();
  const s3 = options.s3 ?? (await startS3Emulator({ buckets: ['inputs-test', 'results-test'] }));
  const sim = await startCloudgeneSimulator({
    timing: { queueMs: 50, runMs: 150, exportMs: 50 },
    ...options.simulator,
  });
  let uploadChecks: UploadChecks = 'awaited';
  const checkUpload =
    options.handlers?.checkUpload ?? (await import('#functions/workflow/check-upload')).handler;
  const sfn = await startStepFunctionsEmulator({
    waitMs: options.waitMs ?? 10,
    retryMs: 5,
    handlers: {
      ...options.handlers,
      checkUpload: (event, context) =>
        uploadChecks === 'skipped'
          ? recordUnchecked(uploadRefSchema.parse(event), 'skipped by the test').then(() => ({
              outcome: 'UNCHECKED',
            }))
          : checkUpload(event, context as never),
    },
  });
  await secretsManagerClient().send(
    new CreateSecretCommand({ Name: 'gateway-test/result-password-key', SecretString: 'k'.repeat(64) }),
  );
  // The environment as it was, for close(): a test's own settings (options.settings) must not outlive
  // its harness and leak into the next harness of the same file.
  const environmentBefore = { ...process.env };
  useSettings({
    ...emulatorSdkSettings({ s3: s3.url, stepFunctions: sfn.url }),
    INPUTS_BUCKET: 'inputs-test',
    RESULTS_BUCKET: 'results-test',
    STATE_MACHINE_ARN: sfn.stateMachineArn,
    RESULT_PASSWORD_KEY_SECRET_ID: 'gateway-test/result-password-key',
    // The simulator and its redirects are on 127.0.0.1, plain http (also when a benchmark runs this).
    OUTBOUND_ALLOW_LOOPBACK: true,
    // The watcher's waits in milliseconds: a first poll after 10 ms, at most 300 ms apart.
    WORKFLOW_TIME_SCALE: 3000,
    SERVICE_CATALOG: [catalogEntry('michigan', 'Michigan (simulated)', sim)],
    ...options.settings,
  });
  const users = new Map<string, Caller & { serviceUser: string }>();
  let watching: Promise<WatchRun | undefined> | null = null;
  let paused = false;
  const runWatcher = () => {
    watching ??= watchServices()
      .catch((error: unknown) => {
        console.error(`watcher run failed: ${(error as Error).message}`);
        return undefined;
      })
      .finally(() => {
        watching = null;
      });
    return watching;
  };
  // A job lives across executions now (its own, then those the watcher starts): "the job's workflow is
  // over" means its record is terminal and none of its executions runs.
  const executionsEnded = sfn.waitForJob.bind(sfn);
  sfn.waitForJob = async (name, timeoutMs = 60_000) => {
    // A job needs the watcher to get anywhere; an upload's check does not.
    if (!name.startsWith('upload-')) paused = false;
    const deadline = Date.now() + timeoutMs;
    const first = await executionsEnded(name, timeoutMs);
    const owner = (first.input as { owner?: string }).owner;
    if (!owner) return first;
    for (;;) {
      const job = await jobRepository().get(owner, name);
      if (!job) return first;
      if (isTerminal(job.status)) {
        await executionsEnded(name, Math.max(1, deadline - Date.now()));
        // The job's own execution (its status and history), now that every other one has ended too.
        return first;
      }
      if (Date.now() > deadline) throw new Error(`Job ${name} is still ${job.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const watchMs = options.watchMs ?? 20;
  const watchTimer = watchMs > 0 ? setInterval(() => paused || void runWatcher(), watchMs) : undefined;

  const harness: WorkflowHarness = {
    get uploadChecks() {
      return uploadChecks;
    },
    set uploadChecks(mode) {
      uploadChecks = mode;
    },
    sim,
    sfn,
    s3,
    eventBridge: aws.eventBridge,
    watcher: {
      runNow: runWatcher,
      pause: async () => {
        paused = true;
        await watching;
      },
      resume: () => {
        paused = false;
      },
    },
    async userWithToken(name) {
      const existing = users.get(name);
      if (existing) return existing;
      const caller = { sub: `sub-${name}`, username: name, groups: [], serviceUser: `${name}-mis` };
      const token = sim.addUser({ username: caller.serviceUser });
      await saveServiceToken(caller, getService('michigan'), token);
      users.set(name, caller);
      return caller;
    },
    async createJob(caller, jobOptions = {}) {
      const defaultVcf = { samples: 30, chromosome: jobOptions.build === 'hg38' ? 'chr20' : '20' };
      const files = (
        jobOptions.files ?? [{ name: 'input.chr20.vcf.gz', vcf: jobOptions.vcf, raw: jobOptions.raw }]
      ).map((spec) => ({ name: spec.name, bytes: spec.raw ?? makeVcfGz(spec.vcf ?? defaultVcf) }));
      const uploadIds: string[] = [];
      for (const file of files) {
        const created = await createUpload(caller, { fileName: file.name, size: file.bytes.length });
        if (created.transfer !== 'single')
          throw new Error('workflow inputs are below the multipart threshold');
        const put = await fetch(created.uploadUrl, {
          method: 'PUT',
          body: file.bytes,
          headers: created.headers,
        });
        if (!put.ok) throw new Error(`upload PUT failed: ${put.status}`);
        await getUpload(caller, created.upload.uploadId);
        uploadIds.push(created.upload.uploadId);
      }
      const waitFor = options.waitForExecution ?? ((name: string) => sfn.waitForJob(name));
      for (const uploadId of uploadIds) await waitFor(uploadCheckExecutionName(uploadId));
      const { job } = await jobs.createJob(
        caller,
        createJobRequest({
          name: 'workflow test',
          refPanel: 'apps@1000g-phase-3-v5',
          build: jobOptions.build ?? 'hg19',
          uploadIds,
        }),
      );
      return job.jobId;
    },
    async job(caller, jobId) {
      const job = await jobRepository().get(caller.sub, jobId);
      if (!job) throw new Error(`job ${jobId} not found`);
      return job;
    },
    async waitForStatus(caller, jobId, statuses, timeoutMs = 20_000) {
      paused = false;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await harness.job(caller, jobId);
        if (statuses.includes(job.status)) return job;
        if (Date.now() > deadline)
          throw new Error(`job ${jobId} is ${job.status}, not ${statuses.join('/')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      clearInterval(watchTimer);
      await watching;
      await sfn.close();
      await sim.close();
      await s3.close();
      await aws.close();
      for (const key of Object.keys(process.env)) {
        if (!(key in environmentBefore)) delete process.env[key];
      }
      Object.assign(process.env, environmentBefore);
      resetRuntime();
    },
  };
  return harness;
}
