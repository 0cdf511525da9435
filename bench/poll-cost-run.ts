/**
 * One job of the poll-cost benchmark (a child process of bench/poll-cost.ts; one per scenario × policy,
 * so each starts with fresh configuration): the real ASL file run by aws-local-stepfunctions with the real
 * task handlers, against the local emulators and the Cloudgene simulator (test/workflow/harness.ts), and
 * the state transitions counted from the engine's own event log.
 *
 * Time: the simulator's clock is frozen and moves only by what the workflow waits. Every Wait state is
 * run in 0 ms by the engine; the task after it (PollJob after WaitBeforePoll, SubmitJob after WaitForSlot)
 * first advances the simulator by the `$.poll.waitSeconds` that Wait state read (WORKFLOW_TIME_SCALE=1,
 * so these are the deployed seconds). A retried task first advances by its Retry interval (nominal,
 * without jitter). So the service sees exactly the poll times the deployed workflow would produce.
 *
 * Environment: BENCH_POLL_SCENARIO (a key of SCENARIOS), BENCH_POLL_POLICY (`backoff`, or `fixed`: the
 * same code with POLL_MAX_SECONDS=30, i.e. a poll every 30 s). Prints `BENCH_POLL {…}`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsProtocolError, startJsonProtocolServer } from '#infra/local/emulators/json-protocol';
import { lambdaContext } from '#infra/local/lambda-context';
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import { STATE_MACHINE_DEFINITION_FILE, workflowTasks } from '#shared/workflow/tasks';
import { startWorkflowHarness } from '#test/workflow/harness';
import { type PollRunResult, RESULT_FILES, SCENARIOS } from './poll-scenarios';

const HOUR = 3_600_000;

const scenarioName = process.env.BENCH_POLL_SCENARIO ?? '1h';
const policy = process.env.BENCH_POLL_POLICY ?? 'backoff';
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
  Retry?: { IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number }[];
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
const advance = (ms: number) => sim!.advance(ms);
// Near the real time: the gateway checks the service token's expiry (T0 + 30 days) against the real clock.
const T0 = Math.floor(Date.now() / HOUR) * HOUR;
let serviceUser = '';
let detectedAt: number | undefined;

/** Consecutive failures per state, to advance the clock by the Retry interval the engine would wait. */
const failures = new Map<string, number>();
const retryDelayMs = (state: string, attempt: number) => {
  const retry = states.get(state)?.Retry?.[0];
  if (!retry) return 0;
  const seconds = (retry.IntervalSeconds ?? 1) * (retry.BackoffRate ?? 2) ** (attempt - 1);
  return Math.min(seconds, retry.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
};

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
for (const task of workflowTasks) {
  const timeoutMs = task.timeoutSeconds * 1000;
  for (const state of task.states) {
    handlers[state] = async (input) => {
      const event = input as { previous?: { outcome?: string; waitSeconds?: number } };
      const failed = failures.get(state) ?? 0;
      if (failed > 0) advance(retryDelayMs(state, failed));
      if (state === 'PollJob') advance((event.previous?.waitSeconds ?? 0) * 1000);
      if (state === 'SubmitJob' && event.previous?.outcome === 'WAIT_FOR_SLOT') {
        advance((event.previous.waitSeconds ?? 0) * 1000);
      }
      if (scenario.slotWaitMs !== undefined && sim!.now() - T0 >= scenario.slotWaitMs) {
        sim!.setOtherActiveJobs(serviceUser, 0);
      }
      const module = (await import(resolve(root, task.entry))) as { handler: Handler };
      try {
        const result = await module.handler(input, lambdaContext(task.id, timeoutMs));
        failures.delete(state);
        if (state === 'PollJob' && (result as { outcome?: string }).outcome === 'COPY')
          detectedAt ??= sim!.now();
        return result;
      } catch (error) {
        failures.set(state, failed + 1);
        throw error;
      }
    };
  }
}

const stateMachine = new StateMachine(definition as never, { validationOptions: { checkArn: true } });
const waitOverrides = Object.fromEntries(namesOf('Wait').map((n) => [n, 0]));
const retryOverrides = Object.fromEntries([...namesOf('Task'), ...namesOf('Map')].map((n) => [n, 0]));
const entered: Record<string, number> = {};
let retries = 0;
const runs = new Map<string, Promise<unknown>>();

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
      const run = stateMachine.run(executionInput, {
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
      const counted = (async () => {
        for await (const event of run.eventLogs) {
          if (event.type === 'StateEntered') {
            const stateName = (event as { state: { name: string } }).state.name;
            entered[stateName] = (entered[stateName] ?? 0) + 1;
          }
          if (event.type === 'StateRetried') retries += 1;
        }
      })();
      runs.set(
        executionArn,
        Promise.allSettled([run.result, counted]).then(([result]) => {
          if (result.status === 'rejected') console.error(`execution ${name} failed:`, result.reason);
        }),
      );
      return { executionArn, startDate: Date.now() / 1000 };
    },
  },
});

const h = await startWorkflowHarness({
  simulator: {
    clock: () => T0,
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
    // The deployed values (the harness shortens the continuation interval for its tests).
    MAX_POLLS_PER_EXECUTION: 500,
    WORKFLOW_TIME_SCALE: 1,
    ...(policy === 'fixed' ? { POLL_INITIAL_SECONDS: 30, POLL_MAX_SECONDS: 30 } : {}),
  },
});
sim = h.sim;
try {
  const caller = await h.userWithToken('bench');
  serviceUser = caller.serviceUser;
  if (scenario.slotWaitMs) sim.setOtherActiveJobs(serviceUser, sim.concurrencyLimit);
  for (const fault of scenario.faults ?? []) sim.failNext(fault);
  const jobId = await h.createJob(caller);
  // Until every execution of the job (continuations included) has ended.
  for (let settled = 0; settled < runs.size; ) {
    const pending = [...runs.values()];
    await Promise.all(pending);
    settled = pending.length;
  }
  const job = await h.job(caller, jobId);
  const serviceJob = sim.submissionsOf(serviceUser)[0]!;
  const finishedAt = serviceJob.clockStart + scenario.queueMs + scenario.runMs + scenario.exportMs;
  const transitions = Object.values(entered).reduce((a, b) => a + b, 0) + retries;
  const result: PollRunResult = {
    scenario: scenarioName,
    policy,
    status: job.status,
    executions: runs.size,
    transitions,
    entered,
    retries,
    polls: entered.PollJob ?? 0,
    slotWaits: entered.WaitForSlot ?? 0,
    copies: entered.CopyResultFile ?? 0,
    detectionDelaySeconds: detectedAt === undefined ? Number.NaN : (detectedAt - finishedAt) / 1000,
    simulatedHours: (sim.now() - T0) / HOUR,
  };
  console.log(`BENCH_POLL ${JSON.stringify(result)}`);
} finally {
  await h.close();
  await sfn.close();
}
