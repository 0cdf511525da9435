/**
 * The workflow's task functions: the ASL substitution variable of each, the handler module the CDK
 * stack deploys for it, and what it may touch. The CDK stack and the local runner both read this table,
 * so a task added here exists in both.
 */
import type { TableAction } from '#shared/aws/table-definition';

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
    /** Exactly the table actions the task issues. */
    table: readonly TableAction[];
    secrets?: 'read';
    inputsBucket?: readonly ['read'];
    resultsBucket?: 'write' | 'readWrite' | 'delete';
    resultPasswordKey?: 'read';
    startExecution?: true;
    /** Calls the imputation service over the internet. */
    callsService?: true;
  };
}

export const workflowTasks: readonly WorkflowTaskDefinition[] = [
  {
    id: 'checkUpload',
    substitution: 'CheckUploadFunctionArn',
    // The `upload-<id>` executions: the check of an upload's file when it completes, and its failure.
    states: ['CheckUpload', 'RecordUploadCheckFailure'],
    entry: 'functions/workflow/check-upload.ts',
    // Reads a whole input like ValidateInput, continuing in the next invocation from a cursor.
    timeoutSeconds: 900,
    memoryMb: 1769,
    access: { table: ['GetItem', 'UpdateItem'], inputsBucket: ['read'] },
  },
  {
    id: 'validateInput',
    substitution: 'ValidateInputFunctionArn',
    // One branch of the validation Map per input file, and the judgement of them all.
    states: ['CheckInput', 'JudgeInputs'],
    entry: 'functions/workflow/validate-input.ts',
    // Reads whole inputs (CPU-bound inflate + scan): a full vCPU, and the longest a Lambda runs; a larger
    // file continues in the next invocation from a checkpoint.
    timeoutSeconds: 900,
    memoryMb: 1769,
    access: { table: ['GetItem', 'UpdateItem'], inputsBucket: ['read'] },
  },
  {
    id: 'submitJob',
    substitution: 'SubmitJobFunctionArn',
    states: ['SubmitJob'],
    entry: 'functions/workflow/submit-job.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    access: {
      table: ['GetItem', 'UpdateItem'],
      secrets: 'read',
      inputsBucket: ['read'],
      resultPasswordKey: 'read',
      callsService: true,
    },
  },
  {
    id: 'copyResult',
    substitution: 'CopyResultFunctionArn',
    states: ['CopyResultFile'],
    entry: 'functions/workflow/copy-result.ts',
    timeoutSeconds: 900,
    memoryMb: 1024,
    // Writes its file's outcome on the job; reads our bucket back to recognise a finished copy.
    access: { table: ['GetItem', 'UpdateItem'], resultsBucket: 'readWrite', callsService: true },
  },
  {
    id: 'finalizeJob',
    substitution: 'FinalizeJobFunctionArn',
    states: ['FinalizeJob'],
    entry: 'functions/workflow/finalize-job.ts',
    timeoutSeconds: 60,
    // Removes the unrecorded object of a copy that gave up, so nothing is orphaned.
    access: { table: ['GetItem', 'UpdateItem'], resultsBucket: 'delete' },
  },
  {
    id: 'recordFailure',
    substitution: 'RecordFailureFunctionArn',
    states: ['RecordFailure'],
    entry: 'functions/workflow/record-failure.ts',
    timeoutSeconds: 60,
    // Reads the owner's token only to cancel a submission whose answer was lost (see finish-job.ts).
    access: { table: ['GetItem', 'UpdateItem'], secrets: 'read', callsService: true },
  },
];

export const STATE_MACHINE_DEFINITION_FILE = 'statemachines/imputation-job.asl.json';
