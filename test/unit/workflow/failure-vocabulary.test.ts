/**
 * The workflow's failure vocabulary holds together: the ASL's Retry lists name only errors the code
 * exports as retryable (and the code's names are real error classes), RecordFailure's map covers what
 * tasks throw, and no workflow task module throws one of the API's errors (whose codes map to HTTP).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CloudgeneBadRequestError,
  CloudgeneError,
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ConcurrencyLimitError,
  DownloadsExhaustedError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import {
  describeFailure,
  JOB_ERROR_CODES,
  JobFailure,
  MAPPED_FAILURE_TYPES,
  RETRYABLE_TASK_ERRORS,
  TransientError,
} from '#shared/workflow/task-errors';
import { STATE_MACHINE_DEFINITION_FILE, workflowTasks } from '#shared/workflow/tasks';

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { States: Record<string, AslState> };
}

const definition = JSON.parse(readFileSync(STATE_MACHINE_DEFINITION_FILE, 'utf8')) as {
  States: Record<string, AslState>;
};
const allStates = (states: Record<string, AslState>): [string, AslState][] =>
  Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);
const states = allStates(definition.States);
const builtIn = (name: string) => /^(Lambda|States)\./.test(name);

/** One instance of every error class a task may throw on purpose: their `name` is what Step Functions sees. */
const thrownByTasks: Error[] = [
  new TransientError('x'),
  new JobFailure('INTERNAL', 'x'),
  new CloudgeneError('x'),
  new ServiceTokenInvalidError(401),
  new ConcurrencyLimitError('Only 2 jobs per user can be executed simultaneously.', 2),
  new CloudgeneNotFoundError(),
  new DownloadsExhaustedError('chr_20.zip'),
  new ServiceUnavailableError('x'),
  new CloudgeneBadRequestError('x'),
  new CloudgeneProtocolError('x'),
];
const classNames = new Set(thrownByTasks.map((error) => error.name));

describe("the ASL's Retry and Catch lists", () => {
  const retried = states.flatMap(([, state]) => (state.Retry ?? []).flatMap((rule) => rule.ErrorEquals));

  it('name only the retryable errors the code exports (besides Lambda.* and States.*)', () => {
    for (const [name, state] of states) {
      for (const rule of state.Retry ?? []) {
        const own = rule.ErrorEquals.filter((error) => !builtIn(error));
        expect(RETRYABLE_TASK_ERRORS, `${name}: ${own.join(', ')}`).toEqual(expect.arrayContaining(own));
      }
    }
    expect(retried.filter((error) => !builtIn(error)).length).toBeGreaterThan(0);
  });

  it('retry every exported name somewhere, and TransientError in every task (a conflicted step throws it)', () => {
    for (const error of RETRYABLE_TASK_ERRORS) expect(retried).toContain(error);
    const taskStates = new Set(workflowTasks.flatMap((task) => task.states));
    for (const [name, state] of states.filter(([name]) => taskStates.has(name))) {
      const names = (state.Retry ?? []).flatMap((rule) => rule.ErrorEquals);
      expect(names.includes('TransientError') || names.includes('States.ALL'), name).toBe(true);
    }
  });

  it('export names that are real error classes, as are the types RecordFailure maps', () => {
    for (const error of RETRYABLE_TASK_ERRORS) expect(classNames).toContain(error);
    for (const type of MAPPED_FAILURE_TYPES.filter((type) => !builtIn(type)))
      expect(classNames).toContain(type);
  });

  it('catch everything into RecordFailure (or the copy’s own give-up): no list of names to drift', () => {
    const catches = states.flatMap(([, state]) => state.Catch ?? []);
    expect(catches.length).toBeGreaterThan(0);
    for (const rule of catches) expect(rule.ErrorEquals).toEqual(['States.ALL']);
  });
});

describe('describeFailure, the one map from an error to a job failure', () => {
  it.each([
    ['ServiceTokenInvalidError', 'x', 'SERVICE_TOKEN_INVALID', /store a new API token/],
    ['DownloadsExhaustedError', 'No downloads left', 'DOWNLOADS_EXHAUSTED', /No downloads left/],
    ['ServiceUnavailableError', 'The service answered 503', 'SERVICE_UNAVAILABLE', /stayed unreachable: The/],
    ['CloudgeneBadRequestError', "Parameter 'x' not found.", 'SERVICE_REJECTED', /rejected the job/],
    ['CloudgeneNotFoundError', 'Job not found.', 'SERVICE_JOB_NOT_FOUND', /no longer knows this job/],
    ['States.Timeout', '', 'TASK_TIMEOUT', /took too long/],
    ['CloudgeneProtocolError', 'x', 'INTERNAL', /unexpectedly \(CloudgeneProtocolError\)/],
    ['constructor', 'x', 'INTERNAL', /unexpectedly/],
  ])('maps %s to %s', (type, message, code, text) => {
    const failure = describeFailure(type, message);
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(text);
  });

  it("takes a JobFailure's own code and message, or its code alone, and nothing that is not a job code", () => {
    const thrown = new JobFailure('RESULT_LIST_CHANGED', 'chr_20.zip is no longer listed');
    expect(describeFailure('JobFailure', thrown.message)).toEqual({
      code: 'RESULT_LIST_CHANGED',
      message: 'chr_20.zip is no longer listed',
    });
    expect(describeFailure('JobFailure', 'JOB_NOT_FOUND').code).toBe('JOB_NOT_FOUND');
    expect(describeFailure('JobFailure', 'VALIDATION_FAILED: from an API error').code).toBe('INTERNAL');
    for (const code of JOB_ERROR_CODES) expect(describeFailure('JobFailure', `${code}: m`).code).toBe(code);
  });
});

describe('workflow task modules', () => {
  const modules = ['shared/workflow', 'functions/workflow'].flatMap((dir) =>
    readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file)),
  );
  /** What throws the API's errors: the error classes, and the API-side helpers built on them. */
  const apiThrowers =
    /from '#shared\/errors'|\b(getService|serviceSession|activeCredential|callService|requireJob|getUpload)\b/;

  it('never throw an HTTP-mapped API error: no import of the API errors or of the helpers that throw them', () => {
    expect(modules.length).toBeGreaterThan(10);
    const offenders = modules.filter((file) => apiThrowers.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('throw errors without an HTTP status', () => {
    for (const error of thrownByTasks) {
      expect(error).not.toHaveProperty('status');
      expect(error).not.toHaveProperty('statusCode');
    }
  });
});
