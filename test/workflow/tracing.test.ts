/**
 * What the workflow tasks send to X-Ray, received the way the X-Ray daemon receives it (UDP on the
 * daemon address): a `## <task>` subsegment per invocation annotated with the job id and the imputation
 * service, with the AWS SDK calls it made (DynamoDB, S3, Secrets Manager, Step Functions) and its calls to
 * the imputation service as subsegments — and no token anywhere in them, and no trace header sent to the
 * service.
 */
import '#test/support/lambda-tracing';
// Registered before the harness builds the runtime's clients, as a task's module is in a Lambda.
import '#shared/workflow/tracing';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '#shared/jobs/job-status';
import { TRACE_ROOT, XRAY_DAEMON_PORT } from '#test/support/lambda-tracing';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

interface Subsegment {
  name: string;
  trace_id?: string;
  annotations?: Record<string, string | boolean>;
  subsegments?: Subsegment[];
  namespace?: string;
}

let h: WorkflowHarness;
let daemon: Socket;
const received: Subsegment[] = [];

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    // `{"format":"json","version":1}\n{…segment…}`
    const [, body] = message.toString('utf8').split('\n');
    if (body) received.push(JSON.parse(body) as Subsegment);
  });
  await new Promise<void>((resolve) => daemon.bind(XRAY_DAEMON_PORT, '127.0.0.1', resolve));
  // The watcher runs only between executions here: in one process, its calls would otherwise interleave
  // with a task's subsegment (in AWS each runs in its own Lambda).
  h = await startWorkflowHarness({ watchMs: 0 });
});
afterAll(async () => {
  await h?.close();
  daemon?.close();
});

const flatten = (segments: Subsegment[]): Subsegment[] =>
  segments.flatMap((segment) => [segment, ...flatten(segment.subsegments ?? [])]);

describe('X-Ray tracing of the workflow tasks', () => {
  it('a subsegment per task invocation, annotated with job and service, around its AWS calls', async () => {
    const alice = await h.userWithToken('alice');
    const jobId = await h.createJob(alice);
    const running = () =>
      [...h.sfn.executions.values()].some((e) => e.name.startsWith(jobId) && e.status === 'RUNNING');
    const deadline = Date.now() + 20_000;
    while (!['SUCCEEDED', 'FAILED'].includes((await h.job(alice, jobId)).status) && Date.now() < deadline) {
      if (!running()) await h.watcher.runNow();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await h.sfn.waitForJob(jobId);
    expect((await h.job(alice, jobId)).status).toBe(JobStatus.SUCCEEDED);
    // Segments arrive over UDP after their invocation: wait for those of every task (a loaded machine is slow).
    // Each task's subsegment is current only in its own invocation's context: even here, where tasks and
    // the watcher share one process, none is nested in another and each is sent on its own.
    const taskNames = () => new Set(received.filter((s) => s.name.startsWith('## ')).map((s) => s.name));
    for (let waited = 0; waited < 5_000 && taskNames().size < 4; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));

    const tasks = flatten(received).filter((segment) => segment.name.startsWith('## '));
    const names = new Set(tasks.map((segment) => segment.name));
    // Polling is the watcher's (shared/health/watch-jobs.ts), no workflow task.
    for (const task of ['validate-input', 'submit-job', 'copy-result', 'finalize-job']) {
      expect(names).toContain(`## ${task}`);
    }
    expect(tasks.filter((task) => !received.includes(task)).map((task) => task.name)).toEqual([]);
    for (const task of tasks.filter((segment) => segment.annotations?.jobId === jobId)) {
      expect(task.trace_id).toBe(TRACE_ROOT);
      expect(task.annotations).toMatchObject({ jobId, Service: expect.any(String) });
      // The copies of the Map run side by side in this one process, each with its own current subsegment.
      expect(task.annotations).toMatchObject({ serviceId: 'michigan' });
    }
    expect(tasks.filter((segment) => segment.annotations?.jobId === jobId).length).toBeGreaterThanOrEqual(4);
    const aws = new Set(
      flatten(received)
        .filter((segment) => segment.namespace === 'aws')
        .map((segment) => segment.name),
    );
    for (const service of ['DynamoDB', 'S3', 'SecretsManager', 'SFN']) expect(aws).toContain(service);
    // The calls to the imputation service (fetch, traced by Powertools) as remote subsegments.
    const serviceHost = new URL(h.sim.url).hostname;
    expect(flatten(received).some((s) => s.namespace === 'remote' && s.name === serviceHost)).toBe(true);
    // …recorded here only: no trace header went to the service (our trace ids are none of its business).
    const toService = h.sim.requests;
    expect(toService.length).toBeGreaterThan(3);
    expect(toService.filter((r) => r.headerNames.some((name) => name.startsWith('x-amzn-trace')))).toEqual(
      [],
    );
    const token = h.sim.state.users.get(alice.serviceUser)?.token;
    expect(token).toEqual(expect.any(String));
    expect(JSON.stringify(received)).not.toContain(token);
  });
});
