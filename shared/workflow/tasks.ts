/**
 * The workflow's task functions: the ASL substitution variable of each, the handler module the CDK
 * stack deploys for it, and what it may touch. The CDK stack and the local runner both read this table,
 * so a task added here exists in both.
 */
export interface WorkflowTaskDefinition {
  id: string;
  /** `${…}` placeholder in statemachines/imputation-job.asl.json. */
  substitution: string;
  /** Task state(s) of the ASL that use it (the local runner overrides these). */
  states: string[];
  entry: string;
  timeoutSeconds: number;
  memoryMb?: number;
  access: {
    table: 'read' | 'readWrite';
    secrets?: 'read';
    inputsBucket?: 'read';
    resultsBucket?: 'write';
    resultPasswordKey?: 'read';
    startExecution?: true;
    /** Calls the imputation service over the internet. */
    callsService?: true;
  };
}

export const workflowTasks: readonly WorkflowTaskDefinition[] = [
  {
    id: 'validateInput',
    substitution: 'ValidateInputFunctionArn',
    states: ['ValidateInput'],
    entry: 'functions/workflow/validate-input.ts',
    timeoutSeconds: 300,
    access: { table: 'readWrite', inputsBucket: 'read' },
  },
  {
    id: 'submitJob',
    substitution: 'SubmitJobFunctionArn',
    states: ['SubmitJob'],
    entry: 'functions/workflow/submit-job.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    access: {
      table: 'readWrite',
      secrets: 'read',
      inputsBucket: 'read',
      resultPasswordKey: 'read',
      callsService: true,
    },
  },
  {
    id: 'pollJob',
    substitution: 'PollJobFunctionArn',
    states: ['PollJob'],
    entry: 'functions/workflow/poll-job.ts',
    timeoutSeconds: 120,
    access: { table: 'readWrite', secrets: 'read', callsService: true },
  },
  {
    id: 'copyResult',
    substitution: 'CopyResultFunctionArn',
    states: ['CopyResultFile'],
    entry: 'functions/workflow/copy-result.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    access: { table: 'read', resultsBucket: 'write', callsService: true },
  },
  {
    id: 'finalizeJob',
    substitution: 'FinalizeJobFunctionArn',
    states: ['FinalizeJob'],
    entry: 'functions/workflow/finalize-job.ts',
    timeoutSeconds: 60,
    access: { table: 'readWrite' },
  },
  {
    id: 'recordFailure',
    substitution: 'RecordFailureFunctionArn',
    states: ['RecordFailure'],
    entry: 'functions/workflow/record-failure.ts',
    timeoutSeconds: 60,
    access: { table: 'readWrite' },
  },
  {
    id: 'continueExecution',
    substitution: 'ContinueExecutionFunctionArn',
    states: ['ContinueAsNewExecution'],
    entry: 'functions/workflow/continue-execution.ts',
    timeoutSeconds: 60,
    access: { table: 'readWrite', startExecution: true },
  },
];

export const STATE_MACHINE_DEFINITION_FILE = 'statemachines/imputation-job.asl.json';
