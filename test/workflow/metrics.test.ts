/**
 * The business metrics a whole job emits, read back from the EMF lines the functions write (what
 * CloudWatch would extract): one JobsCreated, a Polls point per poll, the bytes of every copied file,
 * one JobsSucceeded — and for an invalid input a ValidationFailures and a JobsFailed. Each data point
 * carries the imputation service as its dimension.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobStatus } from '#shared/jobs/job-status';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/metrics';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

let h: WorkflowHarness;
const lines: string[] = [];

beforeAll(async () => {
  h = await startWorkflowHarness();
  // On for this file only (off in the suite): the metrics instance is built at the first data point.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) {
      lines.push(text);
      return true;
    }
    return write(chunk);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await h?.close();
});

/** Sum of each metric's values since `from`, for one service. */
function totals(from: number, serviceId = 'michigan'): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of lines.slice(from)) {
    const point = JSON.parse(line) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    const [directive] = point._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
    if (point[SERVICE_DIMENSION] !== serviceId) continue;
    for (const { Name } of directive!.Metrics) sums[Name] = (sums[Name] ?? 0) + Number(point[Name]);
  }
  return sums;
}

describe('business metrics of a job', () => {
  it('counts a job from creation to success, its polls and the bytes it copied', async () => {
    const from = lines.length;
    const alice = await h.userWithToken('alice');
    const jobId = await h.createJob(alice);
    await h.sfn.waitForJob(jobId);
    const job = await h.job(alice, jobId);
    expect(job.status).toBe(JobStatus.SUCCEEDED);
    const sums = totals(from);
    expect(sums).toMatchObject({ JobsCreated: 1, JobsSucceeded: 1 });
    expect(sums.Polls).toBeGreaterThanOrEqual(1);
    expect(sums.BytesCopied).toBe((job.results ?? []).reduce((sum, file) => sum + file.size, 0));
    expect(sums.JobsFailed ?? 0).toBe(0);
  });

  it('counts an input refused by validation as a validation failure and a failed job', async () => {
    const from = lines.length;
    const bob = await h.userWithToken('bob');
    h.uploadChecks = 'skipped';
    const jobId = await h
      .createJob(bob, { vcf: { samples: 30, chromosome: '20', fault: { kind: 'unsorted', at: 5 } } })
      .finally(() => {
        h.uploadChecks = 'awaited';
      });
    await h.sfn.waitForJob(jobId);
    expect((await h.job(bob, jobId)).status).toBe(JobStatus.FAILED);
    expect(totals(from)).toMatchObject({ JobsCreated: 1, ValidationFailures: 1, JobsFailed: 1 });
    expect(totals(from).Polls ?? 0).toBe(0);
  });

  it('counts a job refused at creation (its upload was found unsorted) as a validation failure only', async () => {
    const from = lines.length;
    const bob = await h.userWithToken('bob');
    await expect(
      h.createJob(bob, { vcf: { samples: 30, chromosome: '20', fault: { kind: 'unsorted', at: 5 } } }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(totals(from)).toMatchObject({ ValidationFailures: 1 });
    expect(totals(from).JobsCreated ?? 0).toBe(0);
  });
});
