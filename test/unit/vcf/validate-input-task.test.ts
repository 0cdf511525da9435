/**
 * The validate-input task against DynamoDB (dynalite) and a small S3 stand-in that records each GET's
 * Range and If-Match and answers them as S3 does (s3rver ignores If-Match on GET).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import type { JobRecord } from '#shared/jobs/job-repository';
import * as jobs from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import type { ValidationResult } from '#shared/workflow/validate-input';
import * as task from '#shared/workflow/validate-input';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';
import { useSettings } from '#test/support/settings';
import { bgzfBlockOffsets, makeVcfGz } from '#test/support/vcf-fixtures';

let emulators: Awaited<ReturnType<typeof startAwsEmulators>>;
let s3: Server;

/** Objects by key, each with an ETag (and a number of bytes after which the next GET is cut once). */
const objects = new Map<string, { body: Buffer; etag: string; cutAfter?: number }>();
const requests: { key: string; range?: string; ifMatch?: string }[] = [];

const s3Error = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  s3 = createServer((request, response) => {
    const key = decodeURIComponent(
      new URL(request.url!, 'http://x').pathname.replace(/^\/inputs-test\//, ''),
    );
    const range = request.headers.range;
    const ifMatch = request.headers['if-match'] as string | undefined;
    requests.push({ key, range, ifMatch });
    const object = objects.get(key);
    const fail = (status: number, code: string) => {
      response.writeHead(status, { 'content-type': 'application/xml' }).end(s3Error(code));
    };
    if (!object) return fail(404, 'NoSuchKey');
    if (ifMatch && ifMatch !== object.etag) return fail(412, 'PreconditionFailed');
    const start = range ? Number(/^bytes=(\d+)-$/.exec(range)![1]) : 0;
    const body = object.body.subarray(start);
    response.writeHead(range ? 206 : 200, {
      etag: object.etag,
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${object.body.length - 1}/${object.body.length}` } : {}),
    });
    if (object.cutAfter !== undefined && object.cutAfter < body.length) {
      response.write(body.subarray(0, object.cutAfter), () => response.destroy());
      object.cutAfter = undefined;
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
  useSettings({
    ...emulatorSdkSettings({ s3: `http://127.0.0.1:${(s3.address() as AddressInfo).port}` }),
    INPUTS_BUCKET: 'inputs-test',
    SERVICE_CATALOG: [
      { id: 'michigan', sampleLimits: undefined },
      { id: 'narrow', sampleLimits: { min: 20, max: 25 } },
    ].map((service) => ({
      ...service,
      name: service.id,
      baseUrl: 'http://127.0.0.1:9',
      appId: 'imputationserver2',
      location: 'local',
      notes: '',
      maxConcurrentJobs: 2,
      enabled: true,
    })),
  });
});
afterAll(async () => {
  await new Promise((resolve) => s3.close(resolve));
  await emulators.close();
});

let counter = 0;
/** A QUEUED job of `owner` whose inputs are `files` (uploaded to the S3 stand-in). */
async function queuedJob(files: Buffer[], overrides: Partial<JobRecord> = {}) {
  counter += 1;
  const jobId = `01JOBVALIDATE00000000000${String(counter).padStart(2, '0')}`;
  const owner = 'tess';
  const inputs = files.map((body, index) => {
    const key = `inputs/${owner}/${jobId}/${index}.vcf.gz`;
    objects.set(key, { body, etag: `"${jobId}-${index}"` });
    return { uploadId: `u${index}`, key, fileName: `in${index}.chr${20 + index}.vcf.gz`, size: body.length };
  });
  await jobs.jobRepository().create(
    jobRecord({
      jobId,
      owner,
      name: 'validation',
      inputs,
      status: JobStatus.QUEUED,
      createdAt: new Date().toISOString(),
      ...overrides,
    }),
  );
  return { ref: { jobId, owner }, inputs };
}

/** Runs the task as the state machine does: again with its own result while it answers CONTINUE. */
async function runToEnd(ref: { jobId: string; owner: string }, deadline: number) {
  const results: ValidationResult[] = [];
  let previous: ValidationResult | undefined;
  do {
    previous = await task.validateJobInput(ref, previous, deadline);
    results.push(previous);
  } while (previous.outcome === 'CONTINUE' && results.length < 1000);
  return results;
}

describe('the validate-input task resumes with a range read of the same object', () => {
  it('reads the whole object first, then from each checkpoint’s block with If-Match, and ends VALID', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref, inputs } = await queuedJob([file]);
    requests.length = 0;
    const results = await runToEnd(ref, 0);
    expect(results.at(-1)).toEqual({ outcome: 'VALID', invocations: results.length });
    expect(results.length).toBeGreaterThan(3);
    const offsets = bgzfBlockOffsets(file);
    expect(requests[0]).toEqual({ key: inputs[0]!.key, range: undefined, ifMatch: undefined });
    for (const [index, request] of requests.slice(1).entries()) {
      const checkpoint = (results[index] as Extract<ValidationResult, { outcome: 'CONTINUE' }>).checkpoint;
      expect(request.range).toBe(`bytes=${checkpoint.cursor!.block}-`);
      expect(offsets).toContain(checkpoint.cursor!.block);
      expect(request.ifMatch).toBe(objects.get(inputs[0]!.key)!.etag);
    }
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.status).toBe(JobStatus.SUBMITTING);
  });

  it('fails a file that was replaced between invocations instead of resuming in another file', async () => {
    const { ref, inputs } = await queuedJob([makeVcfGz({ samples: 30, records: 3000 })]);
    const first = await task.validateJobInput(ref, undefined, 0);
    expect(first.outcome).toBe('CONTINUE');
    objects.get(inputs[0]!.key)!.etag = '"replaced"';
    expect(await task.validateJobInput(ref, first, Number.POSITIVE_INFINITY)).toEqual({
      outcome: 'INVALID',
      invocations: 2,
    });
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error).toEqual({
      code: 'INPUT_INVALID',
      message:
        'in0.chr20.vcf.gz: the file was replaced while it was being validated: upload it again and create a new job',
    });
  });

  it('continues after a connection dropped mid-file from the last line start read', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref, inputs } = await queuedJob([file]);
    const half = Math.floor(file.length / 2);
    objects.get(inputs[0]!.key)!.cutAfter = half;
    const results = await runToEnd(ref, Number.POSITIVE_INFINITY);
    expect(results.map((r) => r.outcome)).toEqual(['CONTINUE', 'VALID']);
    const { checkpoint } = results[0] as Extract<ValidationResult, { outcome: 'CONTINUE' }>;
    expect(checkpoint.cursor!.block).toBeLessThanOrEqual(half);
    expect(checkpoint.cursor!.block).toBeGreaterThan(half / 2);
  });

  it('stops when the job was canceled between invocations', async () => {
    const { ref } = await queuedJob([makeVcfGz({ samples: 30, records: 3000 })]);
    const first = await task.validateJobInput(ref, undefined, 0);
    await jobs
      .jobRepository()
      .transition(ref.owner, ref.jobId, JobStatus.CANCELED, { from: [JobStatus.VALIDATING] });
    expect(await task.validateJobInput(ref, first, Number.POSITIVE_INFINITY)).toEqual({ outcome: 'STOPPED' });
  });
});

describe('the validate-input task: what it checks besides the file', () => {
  it('fails an upload that is gone with the message it always had', async () => {
    const { ref, inputs } = await queuedJob([makeVcfGz({ samples: 30 })]);
    objects.delete(inputs[0]!.key);
    expect((await runToEnd(ref, Number.POSITIVE_INFINITY)).at(-1)?.outcome).toBe('INVALID');
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toBe(
      'in0.chr20.vcf.gz: the uploaded file is gone (uploads expire)',
    );
  });

  it("takes the sample limits from the job's service in the catalog", async () => {
    const { ref } = await queuedJob([makeVcfGz({ samples: 30 })], { serviceId: 'narrow' });
    await runToEnd(ref, Number.POSITIVE_INFINITY);
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toBe(
      'in0.chr20.vcf.gz: line 4: The file has 30 samples; the services accept at most 25.',
    );
  });

  it('validates every file of the job in one invocation when time allows', async () => {
    const { ref } = await queuedJob([
      makeVcfGz({ samples: 30 }),
      makeVcfGz({ samples: 30, chromosome: '21' }),
    ]);
    expect(await runToEnd(ref, Number.POSITIVE_INFINITY)).toEqual([{ outcome: 'VALID', invocations: 1 }]);
  });
});
