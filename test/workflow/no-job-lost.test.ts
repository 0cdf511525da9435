/**
 * No job lost to one bad answer: a 404 for a job is ridden out until it is confirmed (held for a while
 * over several polls, and the job absent from the owner's job list at the service); a malformed answer
 * (a proxy's HTML page with status 200, a body cut short) is the service being unwell, waited out like an
 * outage; only an outage past its limit ends the job, EXPIRED, with a message that says so. And a
 * submission whose task died is found by the watcher: its lease given back, the submission started again.
 */

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableEnv } from '#shared/aws/table';
import { jobRepository } from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { nextWatch, TASK_LONGEST_SECONDS } from '#shared/jobs/job-watch';
import { cancelJob } from '#shared/jobs/jobs';
import { backoffEnv } from '#shared/workflow/backoff';
import { uploadSlots } from '#shared/workflow/upload-slots';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;

const statusCalls = /^\/api\/v2\/jobs\/job-[^/]+$/;

describe('a job is not lost to one bad answer while polling', () => {
  // A 404 counts as confirmed from its third poll on here (in AWS: held for 10 minutes too).
  beforeAll(async () => {
    h = await startWorkflowHarness({ settings: { NOT_FOUND_CONFIRM_SECONDS: 0 } });
  });
  afterAll(() => h?.close());

  it('rides out 404s for its status (the service briefly not finding it) and succeeds', async () => {
    const ann = await h.userWithToken('ann');
    h.sim.failNext({
      method: 'GET',
      path: statusCalls,
      status: 404,
      body: '{"success":false,"message":"Job not found."}',
      times: 2,
    });
    const jobId = await h.createJob(ann);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(ann, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.remoteTrouble).toBeUndefined();
    expect(job.events.some((event) => event.to === JobStatus.EXPIRED)).toBe(false);
  });

  it('waits out a proxy’s HTML page with status 200 and a body cut short, instead of failing INTERNAL', async () => {
    const ben = await h.userWithToken('ben');
    h.sim.failNext({
      method: 'GET',
      path: statusCalls,
      status: 200,
      body: '<html><body>Service temporarily in maintenance</body></html>',
      times: 2,
    });
    h.sim.failNext({ method: 'GET', path: statusCalls, status: 'truncate', times: 1 });
    const jobId = await h.createJob(ben);
    const execution = await h.sfn.waitForJob(jobId);
    const job = await h.job(ben, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(execution.status).toBe('SUCCEEDED');
    expect(job.error).toBeUndefined();
  });

  it('rides out a status call refused with 429 (or any other refusal) with backoff, as the service unwell', async () => {
    const dot = await h.userWithToken('dot');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(dot);
    await h.waitForStatus(dot, jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    h.sim.failNext({
      method: 'GET',
      path: statusCalls,
      status: 429,
      body: '{"success":false,"message":"Too many requests"}',
      times: 1000,
    });
    const deadline = Date.now() + 10_000;
    let job = await h.job(dot, jobId);
    while (!(job.remoteTrouble?.count && job.remoteTrouble.count >= 3) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await h.job(dot, jobId);
    }
    // Recorded as trouble and backed off, not an error left due at every watcher run.
    expect(job.remoteTrouble).toMatchObject({ kind: 'UNWELL', detail: expect.stringContaining('Too many') });
    expect(job.watch?.kind).toBe('POLL');
    expect(Date.parse(job.watch!.nextAt)).toBeGreaterThan(Date.now());
    h.sim.clearFaults();
    h.sim.scenario = 'success';
    h.sim.setJobState(job.externalJobId!, 4);
    await h.sfn.waitForJob(jobId);
    const done = await h.job(dot, jobId);
    expect(done.status).toBe(JobStatus.SUCCEEDED);
    expect(done.remoteTrouble).toBeUndefined();
  });

  it('ends a job EXPIRED only once the 404 is confirmed: held over 3 polls and absent from the owner’s list', async () => {
    const cleo = await h.userWithToken('cleo');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(cleo);
    const submitted = await h.waitForStatus(cleo, jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    h.sim.scenario = 'success';
    h.sim.setJobState(submitted.externalJobId!, 10);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(cleo, jobId);
    expect(job.status).toBe(JobStatus.EXPIRED);
    expect(job.remoteTrouble).toMatchObject({ kind: 'NOT_FOUND', count: 3 });
    expect(job.error).toEqual({
      code: 'SERVICE_JOB_NOT_FOUND',
      message: expect.stringMatching(
        /^the service no longer has this job: it answered 404 for \d+ min \(3 times\) and the job is not in your job list there$/,
      ),
    });
  });
});

describe('an outage past its limit', () => {
  beforeAll(async () => {
    h = await startWorkflowHarness({ settings: { SERVICE_OUTAGE_LIMIT_HOURS: 0 } });
  });
  afterAll(() => h?.close());

  it('ends a job EXPIRED when the service stays unwell past the outage limit, and cancels it there', async () => {
    const dan = await h.userWithToken('dan');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(dan);
    const submitted = await h.waitForStatus(dan, jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    h.sim.scenario = 'success';
    h.sim.failNext({
      method: 'GET',
      path: statusCalls,
      status: 502,
      body: '<html>Bad Gateway</html>',
      times: 1,
    });
    await h.sfn.waitForJob(jobId);
    expect(h.sim.job(submitted.externalJobId!).override).toBe(6);
    const job = await h.job(dan, jobId);
    expect(job.status).toBe(JobStatus.EXPIRED);
    expect(job.error?.code).toBe('SERVICE_UNAVAILABLE');
    expect(job.error?.message).toMatch(
      /^the service stayed unreachable or answered what we could not read for 0 h .*the job was given up here$/,
    );
    // Ended here, ended there: the cancel went through, and the job says so.
    expect(job.remoteCancel).toMatchObject({ state: 'DONE', attempts: 1 });
    expect(job.events.at(-1)?.detail).toMatch(/; canceled at the service$/);
    expect(job.watch).toBeUndefined();
  });
});

/** A task handler (`event`, `context`) as the harness takes it. */
type TaskHandler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * A task whose first invocation dies: `dying` does what that invocation got done (or stands in for it),
 * calling `die()` where its Lambda stops answering; it never answers after that. It is never let go either:
 * an invocation let go at the test's end would go on writing to emulators being closed. Later
 * invocations are the real task. `held()`: whether the first invocation has died yet.
 */
function firstInvocationDies(
  real: TaskHandler,
  dying: (event: unknown, context: unknown, die: () => Promise<never>) => Promise<unknown>,
) {
  let calls = 0;
  let died = false;
  const die = (): Promise<never> => {
    died = true;
    return new Promise<never>(() => {});
  };
  return {
    handler: (async (event, context) => {
      calls++;
      return calls > 1 ? real(event, context) : dying(event, context, die);
    }) as TaskHandler,
    held: () => died,
  };
}

/** Waits until the first invocation of `task` has died (its Lambda stopped answering). */
async function untilDied(task: { held(): boolean }, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!task.held()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a submission whose task died', () => {
  let submit: ReturnType<typeof firstInvocationDies>;
  beforeAll(async () => {
    const real = (await import('#functions/workflow/submit-job')).handler as TaskHandler;
    // The first attempt takes the upload lease and then never answers (its Lambda died); the test then
    // loses its execution.
    submit = firstInvocationDies(real, async (event, _context, die) => {
      const { jobId, owner } = event as { jobId: string; owner: string };
      await uploadSlots().acquire(owner, 'michigan', jobId, 2, { limit: 2, submitted: 0 });
      return die();
    });
    h = await startWorkflowHarness({ handlers: { submitJob: submit.handler } });
  });
  afterAll(() => h?.close());

  it('has its lease reclaimed and its submission started again by the watcher once the task should have ended', async () => {
    const eve = await h.userWithToken('eve');
    const jobId = await h.createJob(eve);
    const leases = async () => Object.keys((await leaseItem(eve.sub))?.leases ?? {});
    const deadline = Date.now() + 10_000;
    while (!(await leases()).includes(jobId)) {
      if (Date.now() > deadline) throw new Error('the first attempt took no lease');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The execution is lost with its task (a bug, a manual stop, a region event): nothing ends it properly.
    const own = [...h.sfn.executions.values()].find((execution) => execution.name === jobId)!;
    const abortedAt = Date.now();
    own.abort();
    expect((await h.job(eve, jobId)).status).toBe(JobStatus.SUBMITTING);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(eve, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(await leases()).toEqual([]);
    const again = [...h.sfn.executions.values()].find((execution) => execution.name === `${jobId}-submit-1`);
    // Not before its last task could no longer be running (TASK_LONGEST_SECONDS after the execution ended,
    // scaled like every wait here): a late upload never races the re-drive.
    expect(again!.startDate.getTime() - abortedAt).toBeGreaterThanOrEqual(
      (TASK_LONGEST_SECONDS * 1000) / backoffEnv().WORKFLOW_TIME_SCALE - 20,
    );
    expect(h.sim.submissionsOf(eve.serviceUser)).toHaveLength(1);
  });
});

async function leaseItem(owner: string) {
  const { Item } = await dynamoDocumentClient().send(
    new GetCommand({ TableName: tableEnv().TABLE_NAME, Key: { PK: `USER#${owner}`, SK: 'SLOTS#michigan' } }),
  );
  return Item as { leases?: Record<string, string> } | undefined;
}

describe('a job whose validation execution was lost', () => {
  let validate: ReturnType<typeof firstInvocationDies>;
  beforeAll(async () => {
    const real = (await import('#functions/workflow/validate-input')).handler as TaskHandler;
    // The first check of the first file never answers; the test then loses the execution.
    validate = firstInvocationDies(real, (_event, _context, die) => die());
    h = await startWorkflowHarness({ handlers: { validateInput: validate.handler } });
  });
  afterAll(() => h?.close());

  it('is found by its watch, driven again from its validation, and says so on its timeline', async () => {
    const fay = await h.userWithToken('fay');
    const jobId = await h.createJob(fay);
    const own = [...h.sfn.executions.values()].find((execution) => execution.name === jobId)!;
    await untilDied(validate, 'the validation never started');
    own.abort();
    await h.sfn.waitForJob(jobId);
    const job = await h.job(fay, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(
      job.events.some((event) =>
        /^resumed: its validation execution had ended \(aborted\)/.test(event.detail ?? ''),
      ),
    ).toBe(true);
    expect([...h.sfn.executions.values()].map((execution) => execution.name)).toContain(
      `${jobId}-validate-1`,
    );
    expect(h.sim.submissionsOf(fay.serviceUser)).toHaveLength(1);
  });
});

describe('a job whose watch no longer fits where it stands', () => {
  beforeAll(async () => {
    h = await startWorkflowHarness();
  });
  afterAll(() => h?.close());

  it('is given the watch that fits, instead of none, and finishes', async () => {
    const gus = await h.userWithToken('gus');
    h.sim.scenario = 'manual';
    const jobId = await h.createJob(gus);
    const running = await h.waitForStatus(gus, jobId, [JobStatus.QUEUED_REMOTE, JobStatus.RUNNING]);
    h.watcher.pause();
    // A write that moved the job on but left its validation watch behind (a bug elsewhere): due now,
    // while the validation execution has long ended.
    const now = new Date();
    await jobRepository().update(running.owner, jobId, {}, [running.status], [], {
      serviceId: running.serviceId,
      watch: nextWatch(undefined, 'VALIDATE', now, now),
    });
    h.sim.scenario = 'success';
    h.sim.setJobState(running.externalJobId!, 4);
    h.watcher.resume();
    await h.sfn.waitForJob(jobId);
    const job = await h.job(gus, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    expect(job.watch).toBeUndefined();
  });
});

describe('a submission whose execution was lost right after the service took the job', () => {
  let submit: ReturnType<typeof firstInvocationDies>;
  beforeAll(async () => {
    const real = (await import('#functions/workflow/submit-job')).handler as TaskHandler;
    // The first attempt records the service's job id, then its Lambda dies before the job moves on to
    // polling; the test then loses its execution.
    submit = firstInvocationDies(real, (event, context, die) => {
      const repository = jobRepository();
      const transition = repository.transition.bind(repository);
      repository.transition = (async (...args: Parameters<typeof transition>) => {
        if (args[2] !== JobStatus.QUEUED_REMOTE) return transition(...args);
        repository.transition = transition;
        return die();
      }) as typeof transition;
      return real(event, context);
    });
    h = await startWorkflowHarness({ handlers: { submitJob: submit.handler } });
  });
  afterAll(() => h?.close());

  it('is driven on to polling, not looked at again and again in SUBMITTING, and succeeds submitted once', async () => {
    const ida = await h.userWithToken('ida');
    const jobId = await h.createJob(ida);
    await untilDied(submit, 'the first attempt never got the service’s job id');
    const stuck = await h.job(ida, jobId);
    expect(stuck).toMatchObject({ status: JobStatus.SUBMITTING, externalJobId: expect.any(String) });
    [...h.sfn.executions.values()].find((execution) => execution.name === jobId)!.abort();
    const done = await h.waitForStatus(ida, jobId, [JobStatus.SUCCEEDED], 30_000);
    expect(done.externalJobId).toBe(stuck.externalJobId);
    expect(h.sim.submissionsOf(ida.serviceUser)).toHaveLength(1);
  });
});

describe('a cancel requested while the job waited, after an attempt whose answer was lost', () => {
  beforeAll(async () => {
    // The wait for the service lasts far longer than the test: only the cancel can move the job.
    h = await startWorkflowHarness({ settings: { SLOT_WAIT_INITIAL_SECONDS: 3_000_000 } });
  });
  afterAll(() => h?.close());

  it('is settled: the job the service took is canceled there, and the job CANCELED here, with no re-drive', async () => {
    const jo = await h.userWithToken('jo');
    // The service takes the job, but its answer never arrives (the connection reset after it processed).
    h.sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', status: 'reset-after', times: 1 });
    const jobId = await h.createJob(jo);
    const waiting = await h.waitForStatus(jo, jobId, [JobStatus.WAITING_FOR_SERVICE]);
    expect(waiting.submissionAttemptAt).toEqual(expect.any(String));
    expect(waiting.externalJobId).toBeUndefined();
    expect(h.sim.submissionsOf(jo.serviceUser)).toHaveLength(1);
    expect((await cancelJob(jo, jobId)).status).toBe(JobStatus.CANCEL_REQUESTED);
    const canceled = await h.waitForStatus(jo, jobId, [JobStatus.CANCELED], 20_000);
    expect(canceled.events.some((event) => /^resumed:/.test(event.detail ?? ''))).toBe(false);
    const [atService] = h.sim.submissionsOf(jo.serviceUser);
    expect(canceled.externalJobId).toBe(atService!.id);
    expect(h.sim.stateOf(atService!)).toBe(6);
  });
});

describe('a service that fails every submission while its probes say it is up', () => {
  beforeAll(async () => {
    // An outage limit of 0 h: the second failed attempt is already past it.
    h = await startWorkflowHarness({ settings: { SERVICE_OUTAGE_LIMIT_HOURS: 0 } });
  });
  afterAll(() => h?.close());

  it('keeps the job’s wait (since, backoff) across attempts and gives the job up past the outage limit', async () => {
    const kit = await h.userWithToken('kit');
    h.sim.failNext({ method: 'POST', path: '/api/v2/jobs/submit/', status: 502, times: 100_000 });
    const jobId = await h.createJob(kit);
    const waiting = await h.waitForStatus(kit, jobId, [JobStatus.WAITING_FOR_SERVICE]);
    const job = await h.waitForStatus(kit, jobId, [JobStatus.EXPIRED], 20_000);
    expect(job.error).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(
          `could not take this job for 0 h \\(since ${waiting.watch!.since.replace(/[.]/g, '\\.')}\\), past the limit of 0 h: its submissions failed or it was down\\. The job was given up before it was submitted; resubmit it later or at another service\\. Last: `,
        ),
      ),
    });
    const uploads = h.sim.requests.filter(
      (r) => r.method === 'POST' && r.path.startsWith('/api/v2/jobs/submit'),
    );
    expect(uploads).toHaveLength(2);
  });
});
