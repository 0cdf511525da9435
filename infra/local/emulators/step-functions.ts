/**
 * A Step Functions endpoint for the local stack and the tests: the JSON-protocol operations the gateway
 * calls (StartExecution, StopExecution, DescribeExecution, ListExecutions) and GetExecutionHistory (each
 * event with its state's input and output, as in AWS, so tests can search it), running the real ASL file with
 * aws-local-stepfunctions. Each Task state runs the same handler module the CDK stack deploys for it
 * (from the workflow task table), in this process. Execution names are unique per state machine, as in AWS.
 * (A little over 300 lines: the operations share the executions' state and history.)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import { STATE_MACHINE_DEFINITION_FILE, workflowTasks } from '#shared/workflow/tasks';
import { lambdaContext } from '../lambda-context';
import { AwsProtocolError, type JsonProtocolServer, startJsonProtocolServer } from './json-protocol';

type TaskHandler = (event: unknown, context?: unknown) => Promise<unknown>;

/** An execution history event in the shape of GetExecutionHistory (details as JSON strings). */
export interface HistoryEvent {
  id: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** AWS keeps up to 25,000 events per execution; a long-running local stack keeps the most recent. */
const MAX_HISTORY_EVENTS = 5_000;

const HISTORY_TYPES: Record<string, string> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionTerminated: 'ExecutionAborted',
  MapIterationStarted: 'MapIterationStarted',
  MapIterationSucceeded: 'MapIterationSucceeded',
  MapIterationFailed: 'MapIterationFailed',
  StateEntered: 'StateEntered',
  StateExited: 'StateExited',
  StateFailed: 'TaskFailed',
  StateRetried: 'TaskRetried',
  StateCaught: 'TaskCaught',
};

/** aws-local-stepfunctions' event log entry in GetExecutionHistory's terms, inputs and outputs included. */
function toHistoryEvent(id: number, event: Record<string, unknown>): HistoryEvent {
  const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
  const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
  const type = String(event.type);
  const historyType = HISTORY_TYPES[type] ?? type;
  const base: HistoryEvent = { id, timestamp: Number(event.timestamp) / 1000, type: historyType };
  if (type === 'ExecutionStarted')
    return { ...base, executionStartedEventDetails: { input: json(event.input) } };
  if (type === 'ExecutionSucceeded')
    return { ...base, executionSucceededEventDetails: { output: json(event.output) } };
  if ('Error' in event) {
    return {
      ...base,
      failureEventDetails: { resource: state?.name, error: String(event.Error), cause: json(event.Cause) },
    };
  }
  if (type === 'StateEntered')
    return { ...base, stateEnteredEventDetails: { name: state?.name, input: json(state?.input) } };
  if (type === 'StateExited')
    return { ...base, stateExitedEventDetails: { name: state?.name, output: json(state?.output) } };
  return { ...base, details: { name: state?.name, input: json(state?.input), output: json(state?.output) } };
}

export interface LocalExecution {
  executionArn: string;
  name: string;
  input: unknown;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  /** History events this execution produced (as Step Functions would count them, approximately). */
  eventCount: number;
  /** The events themselves, each with the state's input and output (the last MAX_HISTORY_EVENTS). */
  history: HistoryEvent[];
  done: Promise<void>;
  abort: () => void;
}

export interface StepFunctionsEmulator extends JsonProtocolServer {
  stateMachineArn: string;
  executions: Map<string, LocalExecution>;
  /**
   * Resolves when every execution of the job (its own, and the `<jobId>-submit-<n>` and
   * `<jobId>-collect-<n>` ones the watcher started) has ended.
   */
  waitForJob(jobId: string, timeoutMs?: number): Promise<LocalExecution>;
}

export interface StepFunctionsEmulatorOptions {
  port?: number;
  region?: string;
  accountId?: string;
  stateMachineName?: string;
  /** Repository root, to find the ASL file. */
  root?: string;
  /** Replace every Wait state's duration by this many milliseconds (tests). */
  waitMs?: number;
  /** Replace Retry intervals by this many milliseconds (tests). */
  retryMs?: number;
  /** Handlers by task id; defaults to importing each task's entry module. */
  handlers?: Partial<Record<string, TaskHandler>>;
}

export async function startStepFunctionsEmulator(
  options: StepFunctionsEmulatorOptions = {},
): Promise<StepFunctionsEmulator> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const stateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:${options.stateMachineName ?? 'imputation-job'}`;
  const root = options.root ?? process.cwd();

  let definitionText = readFileSync(resolve(root, STATE_MACHINE_DEFINITION_FILE), 'utf8');
  const localHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const task of workflowTasks) {
    definitionText = definitionText.replaceAll(
      `\${${task.substitution}}`,
      `arn:aws:lambda:${region}:${accountId}:function:${task.id}`,
    );
    const handler =
      options.handlers?.[task.id] ??
      (async (event: unknown) => {
        const module = (await import(resolve(root, task.entry))) as { handler: TaskHandler };
        return module.handler(event, lambdaContext(task.id, task.timeoutSeconds * 1000));
      });
    for (const state of task.states) localHandlers[state] = (input) => handler(input);
  }
  const stateMachine = new StateMachine(JSON.parse(definitionText), {
    validationOptions: { checkArn: true },
  });
  const waitStates = collectStates(JSON.parse(definitionText), 'Wait');
  const retryStates = collectStates(JSON.parse(definitionText), 'Task').concat(
    collectStates(JSON.parse(definitionText), 'Map'),
  );

  const executions = new Map<string, LocalExecution>();

  const start = (name: string, input: unknown): LocalExecution => {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const run = stateMachine.run(input as Parameters<typeof stateMachine.run>[0], {
      overrides: {
        taskResourceLocalHandlers: localHandlers as never,
        waitTimeOverrides:
          options.waitMs === undefined
            ? undefined
            : Object.fromEntries(waitStates.map((s) => [s, options.waitMs!])),
        retryIntervalOverrides:
          options.retryMs === undefined
            ? undefined
            : Object.fromEntries(retryStates.map((s) => [s, options.retryMs!])),
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: input as never,
          StartTime: new Date().toISOString(),
        },
      },
    });
    const execution: LocalExecution = {
      executionArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      eventCount: 0,
      history: [],
      abort: run.abort,
      done: Promise.resolve(),
    };
    const counting = (async () => {
      for await (const event of run.eventLogs) {
        execution.eventCount += 1;
        execution.history.push(
          toHistoryEvent(execution.eventCount, event as unknown as Record<string, unknown>),
        );
        if (execution.history.length > MAX_HISTORY_EVENTS) execution.history.shift();
      }
    })().catch(() => undefined);
    execution.done = run.result
      .then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = output;
        },
        (error: unknown) => {
          if (error instanceof ExecutionAbortedError) {
            execution.status = 'ABORTED';
            return;
          }
          execution.status = 'FAILED';
          execution.error =
            (error as { errorName?: string; name?: string }).errorName ?? (error as Error).name;
          execution.cause = (error as Error).message;
        },
      )
      .finally(async () => {
        execution.stopDate = new Date();
        await counting;
      });
    executions.set(executionArn, execution);
    return execution;
  };

  const find = (executionArn: unknown) => {
    const execution = executions.get(String(executionArn));
    if (!execution)
      throw new AwsProtocolError(
        'ExecutionDoesNotExist',
        `Execution does not exist: '${String(executionArn)}'`,
      );
    return execution;
  };

  const server = await startJsonProtocolServer({
    port: options.port,
    targetPrefix: 'AWSStepFunctions',
    operations: {
      StartExecution(input) {
        if (input.stateMachineArn !== stateMachineArn) {
          throw new AwsProtocolError(
            'StateMachineDoesNotExist',
            `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
          );
        }
        const name = String(input.name ?? crypto.randomUUID());
        const existingArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
        if (executions.has(existingArn)) {
          throw new AwsProtocolError('ExecutionAlreadyExists', `Execution Already Exists: '${existingArn}'`);
        }
        const execution = start(name, JSON.parse(String(input.input ?? '{}')));
        return { executionArn: execution.executionArn, startDate: execution.startDate.getTime() / 1000 };
      },
      StopExecution(input) {
        const execution = find(input.executionArn);
        if (execution.status === 'RUNNING') execution.abort();
        return { stopDate: Date.now() / 1000 };
      },
      DescribeExecution(input) {
        const execution = find(input.executionArn);
        return {
          executionArn: execution.executionArn,
          stateMachineArn,
          name: execution.name,
          status: execution.status,
          startDate: execution.startDate.getTime() / 1000,
          stopDate: execution.stopDate ? execution.stopDate.getTime() / 1000 : undefined,
          input: JSON.stringify(execution.input),
          output: execution.output === undefined ? undefined : JSON.stringify(execution.output),
          error: execution.error,
          cause: execution.cause,
        };
      },
      GetExecutionHistory(input) {
        const execution = find(input.executionArn);
        const events = input.reverseOrder ? [...execution.history].reverse() : execution.history;
        const start = Number(input.nextToken ?? 0);
        const size = Math.min(Math.max(Number(input.maxResults ?? 1000) || 1000, 1), 1000);
        const page = events.slice(start, start + size);
        const next = start + size < events.length ? String(start + size) : undefined;
        return {
          events: page.map((event) =>
            input.includeExecutionData === false
              ? { id: event.id, timestamp: event.timestamp, type: event.type }
              : event,
          ),
          nextToken: next,
        };
      },
      ListExecutions(input) {
        return {
          executions: [...executions.values()]
            .filter((e) => !input.statusFilter || e.status === input.statusFilter)
            .map((e) => ({
              executionArn: e.executionArn,
              stateMachineArn,
              name: e.name,
              status: e.status,
              startDate: e.startDate.getTime() / 1000,
            })),
        };
      },
    },
  });

  return {
    ...server,
    stateMachineArn,
    executions,
    async waitForJob(jobId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = [...executions.values()].filter(
          (e) => e.name === jobId || e.name.startsWith(`${jobId}-`),
        );
        const running = runs.filter((e) => e.status === 'RUNNING');
        if (runs.length > 0 && running.length === 0) {
          return runs.sort((a, b) => a.startDate.getTime() - b.startDate.getTime()).at(-1)!;
        }
        if (Date.now() > deadline) throw new Error(`Job ${jobId} did not finish within ${timeoutMs} ms`);
        await Promise.race([...running.map((e) => e.done), new Promise((r) => setTimeout(r, 20))]);
      }
    },
    close: async () => {
      for (const execution of executions.values()) if (execution.status === 'RUNNING') execution.abort();
      await server.close();
    },
  };
}

function collectStates(definition: { States: Record<string, unknown> }, type: string): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const s = state as {
      Type: string;
      ItemProcessor?: { States: Record<string, unknown> };
      Iterator?: { States: Record<string, unknown> };
    };
    if (s.Type === type) names.push(name);
    const inner = s.ItemProcessor ?? s.Iterator;
    if (inner) names.push(...collectStates(inner, type));
  }
  return names;
}
