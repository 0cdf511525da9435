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
import { type ExecutionDeps, executionDeps } from '#shared/aws/executions';
import { tableEnv } from '#shared/aws/table';
import { restartIfGone } from '#shared/health/watch-jobs';
import { type JobRecord, jobRepository } from '#shared/jobs/job-repository';
import { isTerminal } from '#shared/jobs/job-status';
import { fittingWatchKind, nextWatch } from '#shared/jobs/job-watch';
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

/**
 * Drives the job again, or gives it a watch. Validation, submission and collection are the watcher's own
 * re-drive of an execution that is gone (shared/health/watch-jobs.ts), at once rather than when their
 * watch falls due: the job's execution and watch are recorded, the re-drive is said on its timeline and
 * counted, exactly as in AWS. A job without a watch (an item from before the watcher) gets the one that
 * fits its state, due now. True when something was done for it.
 */
async function resumeJob(job: JobRecord, deps: ResumeDeps): Promise<boolean> {
  const now = new Date(deps.now());
  const ref = { jobId: job.jobId, owner: job.owner };
  let kind = job.watch?.kind;
  if (!job.watch) {
    kind = fittingWatchKind(job);
    if (!kind) return false;
    await jobRepository().update(job.owner, job.jobId, {}, [job.status], [], {
      serviceId: job.serviceId,
      watch: nextWatch(undefined, kind, now, now),
    });
  }
  if (kind === 'VALIDATE' || kind === 'SUBMIT' || kind === 'COLLECT') {
    return (await restartIfGone(ref, kind, now, deps.executions)) || !job.watch;
  }
  return !job.watch;
}
