/**
 * One job of the poll-cost benchmark (a child process of bench/poll-cost.ts, one per scenario, so each
 * starts with fresh configuration): the real ASL file run by aws-local-stepfunctions with the real task
 * handlers, and the real watcher (shared/health/watch-services.ts) run once per simulated minute, against
 * the local emulators and the Cloudgene simulator; state transitions counted from the engine's own event
 * log, per execution.
 *
 * Time: this process's clock is simulated. `Date` is replaced by one that runs `offset` ms ahead of the
 * real clock, and the simulator reads the same clock, so the job items, the watcher's "due" and the
 * service's queue all see one time. Executions run in real time (their Wait states in 0 ms) while the
 * simulated clock stands still; then the clock moves on by whole minutes, as the schedule runs the
 * watcher: to the next minute, or straight to the first minute at or after the job's next look when that
 * is later (the runs in between find nothing due for this job; skipping them changes no count). Settings
 * are the deployed ones (WORKFLOW_TIME_SCALE=1).
 *
 * Environment: BENCH_POLL_SCENARIO (a key of SCENARIOS). Prints `BENCH_POLL {…}`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsProtocolError, startJsonProtocolServer } from '#infra/local/emulators/json-protocol';
import { lambdaContext } from '#infra/local/lambda-context';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { watchServices } from '#shared/health/watch-services';
import { isTerminal } from '#shared/jobs/job-status';
import { STATE_MACHINE_DEFINITION_FILE, workflowTasks } from '#shared/workflow/tasks';
import { startWorkflowHarness } from '#test/workflow/harness';
import { type PollRunResult, RESULT_FILES, SCENARIOS } from './poll-scenarios';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// The simulated clock (see above): every `new Date()` and `Date.now()` of this process reads it.
const RealDate = Date;
let offset = 0;
class SimulatedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...(args as [string | number]));
  }
  static override now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = SimulatedDate as DateConstructor;

const scenarioName = process.env.BENCH_POLL_SCENARIO ?? '1h';
const scenario = SCENARIOS[scenarioName];
if (!scenario) throw new Error(`unknown scenario ${scenarioName}`);

const root = resolve(import.meta.dirname, '..');
const region = 'us-east-1';
const account = '000000000000';
const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:bench-poll-cost`;
let definitionText = readFileSync(resolve(root, STATE_MACHINE_DEFINITION_FILE), 'utf8');
for (const task of workflowTasks) {
  definitionText = definitionText.replaceAll(
    `\${${task.substitution}}`,
    `arn:aws:lambda:${region}:${account}:function:${task.id}`,
  );
}
const definition = JSON.parse(definitionText) as AslStates;
interface AslState {
  Type: string;
  ItemProcessor?: AslStates;
}
interface AslStates {
  States: Record<string, AslState>;
}
const states = new Map<string, AslState>();
const collect = (machine: AslStates) => {
  for (const [name, state] of Object.entries(machine.States)) {
    states.set(name, state);
    if (state.ItemProcessor) collect(state.ItemProcessor);
  }
};
collect(definition);
const namesOf = (type: string) => [...states].filter(([, s]) => s.Type === type).map(([n]) => n);

let sim: CloudgeneSimulator | undefined;
type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
for (const task of workflowTasks) {
  for (const state of task.states) {
    handlers[state] = async (input) => {
      const module = (await import(resolve(root, task.entry))) as { handler: Handler };
      return module.handler(input, lambdaContext(task.id, task.timeoutSeconds * 1000));
    };
  }
}

const stateMachine = new StateMachine(definition as never, { validationOptions: { checkArn: true } });
const waitOverrides = Object.fromEntries(namesOf('Wait').map((n) => [n, 0]));
const retryOverrides = Object.fromEntries([...namesOf('Task'), ...namesOf('Map')].map((n) => [n, 0]));
interface Run {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  entered: Record<string, number>;
  retries: number;
  done: Promise<unknown>;
}
const runs = new Map<string, Run>();

const sfn = await startJsonProtocolServer({
  targetPrefix: 'AWSStepFunctions',
  operations: {
    StartExecution(input) {
      if (input.stateMachineArn !== stateMachineArn)
        throw new AwsProtocolError(
          'StateMachineDoesNotExist',
          `no state machine ${String(input.stateMachineArn)}`,
        );
      const name = String(input.name);
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      if (runs.has(executionArn))
        throw new AwsProtocolError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      const executionInput = JSON.parse(String(input.input ?? '{}'));
      const execution = stateMachine.run(executionInput, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          waitTimeOverrides: waitOverrides,
          retryIntervalOverrides: retryOverrides,
        },
        context: {
          Execution: {
            Id: executionArn,
            Name: name,
            Input: executionInput,
            StartTime: new Date().toISOString(),
          },
        },
      });
      const run: Run = { name, status: 'RUNNING', entered: {}, retries: 0, done: Promise.resolve() };
      const counted = (async () => {
        for await (const event of execution.eventLogs) {
          if (event.type === 'StateEntered') {
            const stateName = (event as { state: { name: string } }).state.name;
            run.entered[stateName] = (run.entered[stateName] ?? 0) + 1;
          }
          if (event.type === 'StateRetried') run.retries += 1;
        }
      })();
      run.done = Promise.allSettled([execution.result, counted]).then(([result]) => {
        run.status = result.status === 'fulfilled' ? 'SUCCEEDED' : 'FAILED';
        if (result.status === 'rejected') console.error(`execution ${name} failed:`, result.reason);
      });
      runs.set(executionArn, run);
      return { executionArn, startDate: Date.now() / 1000 };
    },
    DescribeExecution(input) {
      const run = runs.get(String(input.executionArn));
      if (!run)
        throw new AwsProtocolError('ExecutionDoesNotExist', `no execution ${String(input.executionArn)}`);
      return { executionArn: input.executionArn, status: run.status };
    },
  },
});
const settled = async () => {
  for (let count = -1; count !== runs.size; ) {
    count = runs.size;
    await Promise.all([...runs.values()].map((run) => run.done));
  }
};
const waitForExecution = async (name: string) => {
  for (;;) {
    const run = [...runs.values()].find((candidate) => candidate.name === name);
    if (run) return run.done;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

// The S3 emulator checks each request's signing time against its own clock (15 min at most apart), and
// the SDK signs with the time servers' Date headers show (the real one: Node's HTTP server does not read
// the replaced Date): so S3 runs in a process of its own, on the real clock.
const s3Process = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '-e',
    "const { startS3Emulator } = await import('#infra/local/emulators/s3'); const s3 = await startS3Emulator({ buckets: ['inputs-test', 'results-test'] }); console.log('S3 ' + s3.url + ' ' + s3.directory);",
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const s3 = await new Promise<{ url: string; port: number; directory: string; close(): Promise<void> }>(
  (ok, fail) => {
    let out = '';
    s3Process.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('S3 '));
      if (!line) return;
      const [, url, directory] = line.split(' ') as [string, string, string];
      ok({
        url,
        port: Number(new URL(url).port),
        directory,
        close: async () => {
          s3Process.kill();
        },
      });
    });
    s3Process.on('exit', (code) => fail(new Error(`the S3 emulator exited (${code})`)));
  },
);
const T0 = Date.now();
const h = await startWorkflowHarness({
  watchMs: 0,
  waitForExecution,
  s3,
  simulator: {
    clock: () => Date.now(),
    scenario: {
      outcome: 'success',
      timing: { queueMs: scenario.queueMs, runMs: scenario.runMs, exportMs: scenario.exportMs },
      queueAhead: scenario.queueAhead,
      resultFiles: RESULT_FILES,
    },
  },
  settings: {
    AWS_ENDPOINT_URL_SFN: sfn.url,
    STATE_MACHINE_ARN: stateMachineArn,
    WORKFLOW_TIME_SCALE: 1,
  },
});
sim = h.sim;
try {
  const caller = await h.userWithToken('bench');
  if (scenario.slotWaitMs) sim.setOtherActiveJobs(caller.serviceUser, sim.concurrencyLimit);
  for (const fault of scenario.faults ?? []) sim.failNext(fault);
  const jobId = await h.createJob(caller);
  const statusCalls = () =>
    sim!.requests.filter(
      (request) => request.method === 'GET' && /^\/api\/v2\/jobs\/job-[^/]+$/.test(request.path),
    ).length;
  let watcherRuns = 0;
  for (;;) {
    await settled();
    const job = await h.job(caller, jobId);
    if (isTerminal(job.status)) break;
    if (Date.now() - T0 > 30 * 24 * HOUR) throw new Error(`job still ${job.status} after 30 simulated days`);
    // The next minute of the schedule, or the first one at or after the job's next look.
    const nextMinute = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const due = job.watch ? Math.ceil(Date.parse(job.watch.nextAt) / MINUTE) * MINUTE : nextMinute;
    offset += Math.max(nextMinute, due) - Date.now();
    if (scenario.slotWaitMs !== undefined && Date.now() - T0 >= scenario.slotWaitMs) {
      sim.setOtherActiveJobs(caller.serviceUser, 0);
    }
    const before = { polls: statusCalls(), executions: runs.size, updatedAt: job.updatedAt };
    await watchServices();
    const after = await h.job(caller, jobId);
    if (statusCalls() > before.polls || runs.size > before.executions || after.updatedAt !== before.updatedAt)
      watcherRuns++;
  }
  await settled();
  const job = await h.job(caller, jobId);
  const serviceJob = sim.submissionsOf(caller.serviceUser)[0]!;
  const finishedAt = serviceJob.clockStart + scenario.queueMs + scenario.runMs + scenario.exportMs;
  const seenAt = job.events.find((event) => event.to === 'COPYING_RESULTS')?.at;
  const entered: Record<string, number> = {};
  let jobTransitions = 0;
  let uploadCheckTransitions = 0;
  let retries = 0;
  for (const run of runs.values()) {
    const count = Object.values(run.entered).reduce((a, b) => a + b, 0) + run.retries;
    if (run.name.startsWith('upload-')) uploadCheckTransitions += count;
    else {
      jobTransitions += count;
      retries += run.retries;
      for (const [state, n] of Object.entries(run.entered)) entered[state] = (entered[state] ?? 0) + n;
    }
  }
  const result: PollRunResult = {
    scenario: scenarioName,
    status: job.status,
    executions: [...runs.values()].filter((run) => !run.name.startsWith('upload-')).length,
    jobTransitions,
    uploadCheckTransitions,
    watcherRuns,
    transitions: jobTransitions + uploadCheckTransitions,
    entered,
    retries,
    polls: statusCalls(),
    slotWaits: [...runs.values()].filter((run) => run.name.includes('-submit-')).length,
    copies: entered.CopyResultFile ?? 0,
    detectionDelaySeconds: seenAt ? (Date.parse(seenAt) - finishedAt) / 1000 : Number.NaN,
    simulatedHours: (Date.now() - T0) / HOUR,
  };
  console.log(`BENCH_POLL ${JSON.stringify(result)}`);
} finally {
  await h.close();
  await sfn.close();
}
