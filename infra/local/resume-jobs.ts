/**
 * Executions do not survive a restart of the local Step Functions endpoint, so at start the local stack
 * drives again every job an execution was driving: validation from the start (it resumes from the
 * recorded checks), a submission by the submit task's idempotent path (it finds an attempt that got
 * through by its marker: never a second submission), and a copy of results by a collect execution (a file
 * already copied is not downloaded again). Jobs the watcher looks after (waiting for a slot or the
 * service, queued or running at the service, a cancel to retry) need nothing: their watch is on their
 * item, and the watcher's first run finds what is due; one without a watch (an item from before the
 * watcher) is given one, due now. Every upload whose check had not finished gets a new check. In AWS,
 * executions outlive any restart.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { type ExecutionDeps, executionDeps, jobExecutionInput, startExecution } from '#shared/aws/executions';
import { tableEnv } from '#shared/aws/table';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal, JobStatus, WATCHED_STATUSES } from '#shared/jobs/job-status';
import { nextWatch } from '#shared/jobs/job-watch';
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
      const job = item as unknown as JobRecord;
      if (isTerminal(job.status)) continue;
      if (await resumeJob(job, deps)) resumed.push(job.jobId);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return resumed;
}

/** Starts what drives the job, or gives it a watch; true when something was done for it. */
async function resumeJob(job: JobRecord, deps: ResumeDeps): Promise<boolean> {
  const ref = { jobId: job.jobId, owner: job.owner };
  const name = (kind: string) => `${job.jobId}--resumed-${kind}-${deps.now()}`;
  if (job.status === JobStatus.QUEUED || job.status === JobStatus.VALIDATING) {
    await startExecution(
      name('validate'),
      jobExecutionInput({ ...ref, inputs: job.inputs.length }),
      deps.executions,
    );
    return true;
  }
  if (job.status === JobStatus.SUBMITTING) {
    await startExecution(name('submit'), { ...ref, submit: true }, deps.executions);
    return true;
  }
  if (job.status === JobStatus.COPYING_RESULTS) {
    const files = (job.remoteFiles ?? []).map((file, index) => ({ name: file.name, index }));
    await startExecution(name('collect'), { ...ref, collect: { files } }, deps.executions);
    return true;
  }
  if (WATCHED_STATUSES.has(job.status) && !job.watch) {
    const now = new Date(deps.now());
    const kind = job.externalJobId
      ? 'POLL'
      : job.status === JobStatus.WAITING_FOR_SERVICE
        ? 'SERVICE'
        : 'SLOT';
    await jobRepository().update(job.owner, job.jobId, {}, [job.status], [], {
      serviceId: job.serviceId,
      watch: nextWatch(undefined, kind, now, now),
    });
    return true;
  }
  return false;
}
