/**
 * Executions do not survive a restart of the local Step Functions endpoint, so at start the local stack
 * gives every job that had not finished a new execution: from the start before submission, from the
 * poll loop after it (the job record says which); and every upload whose check had not finished a new
 * check (jobs waiting for it would otherwise wait for nothing). In AWS, executions outlive any restart.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ExecutionDeps, executionDeps, startExecution } from '#shared/aws/executions';
import { tableEnv } from '#shared/aws/table';
import { isTerminal } from '#shared/jobs/job-status';
import { startUploadCheck } from '#shared/uploads/upload-checks';

export interface ResumeDeps {
  documents: DynamoDBDocumentClient;
  tableName: string;
  executions: ExecutionDeps;
  now: () => number;
}

const defaultDeps = (): ResumeDeps => ({
  documents: dynamoDocumentClient(),
  tableName: tableEnv().TABLE_NAME,
  executions: executionDeps(),
  now: Date.now,
});

/** Starts a new execution for each unfinished job; resolves to the ids of the jobs resumed. */
export async function resumeUnfinishedJobs(deps: ResumeDeps = defaultDeps()): Promise<string[]> {
  const resumed: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.documents.send(
      new ScanCommand({
        TableName: deps.tableName,
        FilterExpression: 'entity = :job OR (entity = :upload AND #check.#status = :checking)',
        ExpressionAttributeNames: { '#check': 'check', '#status': 'status' },
        ExpressionAttributeValues: { ':job': 'Job', ':upload': 'Upload', ':checking': 'CHECKING' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.entity === 'Upload') {
        await startUploadCheck(
          { owner: String(item.owner), uploadId: String(item.uploadId) },
          deps.executions,
        );
        continue;
      }
      const job = item;
      if (isTerminal(job.status)) continue;
      const ref = { jobId: String(job.jobId), owner: String(job.owner) };
      const input = job.externalJobId
        ? { ...ref, poll: { outcome: 'WAIT', waitSeconds: 1, pollCount: 0 } }
        : ref;
      await startExecution(`${ref.jobId}--resumed-${deps.now()}`, input, deps.executions);
      resumed.push(ref.jobId);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return resumed;
}
