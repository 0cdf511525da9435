/**
 * The validate-input task against DynamoDB (dynalite) and a small S3 stand-in that records each GET's
 * Range and If-Match and answers them as S3 does (s3rver ignores If-Match on GET).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import type { JobRecord } from '#shared/jobs/job-repository';
import * as jobs from '#shared/jobs/job-repository';
import { JobStatus } from '#shared/jobs/job-status';
import { UploadStore, uploadStore } from '#shared/uploads/upload-store';
import { validateVcf } from '#shared/vcf/vcf-validator';
import { checkUpload, type UploadCheckResult } from '#shared/workflow/upload-check';
import type { FileCheckResult, ValidationResult as JudgeResult } from '#shared/workflow/validate-input';
import * as task from '#shared/workflow/validate-input';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { jobRecord } from '#test/support/job-fixtures';
import { useSettings, withSettings } from '#test/support/settings';
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
    return {
      uploadId: `01UPL0AD${String(counter).padStart(4, '0')}${String(index).padStart(14, '0')}`,
      key,
      fileName: `in${index}.chr${20 + index}.vcf.gz`,
      size: body.length,
    };
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

type ValidationResult = FileCheckResult | JudgeResult;

/**
 * One step of the state machine for these one-file jobs: the file's branch of the validation Map (again
 * with its own result after CONTINUE or WAIT), then, once the branch is DONE, the judge.
 */
async function validateJobInput(
  ref: { jobId: string; owner: string },
  previous: ValidationResult | undefined,
  deadline: number,
): Promise<ValidationResult> {
  const branch = previous?.outcome === 'CONTINUE' || previous?.outcome === 'WAIT' ? previous : undefined;
  const result = await task.checkJobInput(ref, 0, branch, deadline);
  if (result.outcome !== 'DONE') return result;
  return task.judgeJobInputs(ref, [result]);
}

/** Runs the task as the state machine does: again with its own result while it answers CONTINUE. */
async function runToEnd(ref: { jobId: string; owner: string }, deadline: number) {
  const results: ValidationResult[] = [];
  let previous: ValidationResult | undefined;
  do {
    previous = await validateJobInput(ref, previous, deadline);
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
    const first = await validateJobInput(ref, undefined, 0);
    expect(first.outcome).toBe('CONTINUE');
    objects.get(inputs[0]!.key)!.etag = '"replaced"';
    expect(await validateJobInput(ref, first, Number.POSITIVE_INFINITY)).toEqual({
      outcome: 'INVALID',
      invocations: 2,
    });
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error).toEqual({
      code: 'INPUT_INVALID',
      message:
        'in0.chr20.vcf.gz: the file was replaced while it was being checked: upload it again and create a new job',
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
    const first = await validateJobInput(ref, undefined, 0);
    await jobs
      .jobRepository()
      .transition(ref.owner, ref.jobId, JobStatus.CANCELED, { from: [JobStatus.VALIDATING] });
    expect(await validateJobInput(ref, first, Number.POSITIVE_INFINITY)).toEqual({ outcome: 'STOPPED' });
  });
});

describe('the validate-input task: what it checks besides the file', () => {
  it('fails an upload that is gone with the message it always had', async () => {
    const { ref, inputs } = await queuedJob([makeVcfGz({ samples: 30 })]);
    objects.delete(inputs[0]!.key);
    expect((await runToEnd(ref, Number.POSITIVE_INFINITY)).at(-1)?.outcome).toBe('INVALID');
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toBe(
      'in0.chr20.vcf.gz: the uploaded file is gone (uploads expire): upload it again',
    );
  });

  it("takes the sample limits from the job's service in the catalog", async () => {
    const { ref } = await queuedJob([makeVcfGz({ samples: 30 })], { serviceId: 'narrow' });
    await runToEnd(ref, Number.POSITIVE_INFINITY);
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toBe(
      'in0.chr20.vcf.gz: line 4: The file has 30 samples; the service accepts at most 25: split the samples into several jobs (`bcftools view -S` with a list of sample ids).',
    );
  });

  it('checks each file in its own branch, side by side, and judges them together', async () => {
    const { ref } = await queuedJob([
      makeVcfGz({ samples: 30 }),
      makeVcfGz({ samples: 30, chromosome: '21' }),
    ]);
    // The Map runs the branches at once; the first to start moves the job to VALIDATING.
    const branches = await Promise.all([0, 1].map((index) => task.checkJobInput(ref, index)));
    expect(branches.map((branch) => branch.outcome)).toEqual(['DONE', 'DONE']);
    expect(await task.judgeJobInputs(ref, branches as never)).toEqual({ outcome: 'VALID', invocations: 2 });
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.inputChecks).toEqual({
      samples: 30,
      chromosomes: ['20', '21'],
      variants: 200,
      build: null,
      buildEvidence: [],
    });
  });
});

/** The READY upload record of a job's input, with the outcome of its own check. */
async function uploadChecked(
  owner: string,
  input: { uploadId: string; key: string; fileName: string; size: number },
  check: Parameters<UploadStore['recordCheck']>[2] | 'CHECKING',
) {
  const store = uploadStore();
  await store.create({
    uploadId: input.uploadId,
    owner,
    fileName: input.fileName,
    size: input.size,
    bucket: 'inputs-test',
    key: input.key,
    status: 'PENDING',
    createdAt: new Date().toISOString(),
    uploadUrlExpiresAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  await store.markReady(owner, input.uploadId, new Date());
  if (check !== 'CHECKING') expect(await store.recordCheck(owner, input.uploadId, check)).toBe(true);
}

/** A QUEUED job on one upload whose own check could not run (UNCHECKED): the job reads the file itself. */
async function jobOnUncheckedUpload() {
  const file = makeVcfGz({ samples: 30, records: 3000 });
  const { ref, inputs } = await queuedJob([file]);
  const input = inputs[0]!;
  const at = new Date().toISOString();
  await uploadChecked(ref.owner, input, {
    status: 'UNCHECKED',
    startedAt: at,
    checkedAt: at,
    reason: 'the check could not start',
  });
  return { file, ref, input };
}

describe('the validate-input task reuses the check each upload had when it completed', () => {
  const at = new Date().toISOString();

  it('takes a VALID outcome for the same object without reading the file, and judges the job from its facts', async () => {
    const file = makeVcfGz({ samples: 30, chromosome: 'chr20', contigLength: 64_444_167 });
    const { ref, inputs } = await queuedJob([file]);
    const verdict = await validateVcf(Readable.from([file]), {});
    if (verdict.status !== 'valid') throw new Error('fixture');
    const etag = objects.get(inputs[0]!.key)!.etag;
    await uploadChecked(ref.owner, inputs[0]!, {
      status: 'VALID',
      startedAt: at,
      checkedAt: at,
      etag,
      facts: verdict.facts,
    });
    requests.length = 0;
    expect(await runToEnd(ref, Number.POSITIVE_INFINITY)).toEqual([{ outcome: 'INVALID', invocations: 1 }]);
    // A HEAD to compare the ETag; no GET of the file.
    expect(requests).toHaveLength(1);
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toMatch(
      /^in0\.chr20\.vcf\.gz: line 5: The file looks like GRCh38\/hg38 data: its ##contig line gives chr20 64,444,167 bp/,
    );
  });

  it('waits while an upload is still being checked, longer each time, then reads it itself if the object changed', async () => {
    const { ref, inputs } = await queuedJob([makeVcfGz({ samples: 30 })]);
    await uploadChecked(ref.owner, inputs[0]!, 'CHECKING');
    const first = await validateJobInput(ref, undefined, Number.POSITIVE_INFINITY);
    expect(first).toMatchObject({ outcome: 'WAIT', waitSeconds: 5 });
    const second = await validateJobInput(ref, first, Number.POSITIVE_INFINITY);
    expect(second).toMatchObject({ outcome: 'WAIT', waitSeconds: 10 });
    await uploadStore().recordCheck(ref.owner, inputs[0]!.uploadId, {
      status: 'VALID',
      startedAt: at,
      checkedAt: at,
      etag: '"an-older-object"',
      facts: {
        samples: 1,
        chromosome: '20',
        records: 1,
        lines: 5,
        chromLine: 4,
        firstRecordLine: 5,
        lastPosition: 1,
        reference: null,
        contigs: [],
        firstUnphased: null,
      },
    });
    requests.length = 0;
    expect(await validateJobInput(ref, second, Number.POSITIVE_INFINITY)).toEqual({
      outcome: 'VALID',
      invocations: 3,
    });
    // HEAD (ETag differs), then the GET of the whole file; its outcome replaces the stale one.
    expect(requests).toHaveLength(2);
    const check = (await uploadStore().get(ref.owner, inputs[0]!.uploadId))?.check;
    expect(check).toMatchObject({
      status: 'VALID',
      etag: objects.get(inputs[0]!.key)!.etag,
      facts: { samples: 30 },
    });
  });

  it('takes an INVALID outcome as the file’s problem', async () => {
    const { ref, inputs } = await queuedJob([makeVcfGz({ samples: 30 })]);
    const etag = objects.get(inputs[0]!.key)!.etag;
    await uploadChecked(ref.owner, inputs[0]!, {
      status: 'INVALID',
      startedAt: at,
      checkedAt: at,
      etag,
      problem: {
        code: 'UNSORTED',
        line: 9,
        message: 'position 2 after 3: the file is not sorted by position.',
      },
    });
    expect(await runToEnd(ref, Number.POSITIVE_INFINITY)).toEqual([{ outcome: 'INVALID', invocations: 1 }]);
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toBe(
      'in0.chr20.vcf.gz: line 9: position 2 after 3: the file is not sorted by position.',
    );
  });
});

describe('the check of an upload whose execution was lost', () => {
  it('resumes from the position its last pause recorded on the upload, not from the start of the file', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { inputs } = await queuedJob([file]);
    const input = inputs[0]!;
    await uploadChecked('tess', input, 'CHECKING');
    const ref = { owner: 'tess', uploadId: input.uploadId };
    requests.length = 0;
    // Two invocations, each pausing at once (a deadline already past), then the execution is lost.
    const first = await checkUpload(ref, undefined, 0);
    const second = await checkUpload(ref, first.outcome === 'CONTINUE' ? first : undefined, 0);
    expect(second.outcome).toBe('CONTINUE');
    const paused = (second as Extract<UploadCheckResult, { outcome: 'CONTINUE' }>).checkpoint;
    const upload = await uploadStore().get('tess', input.uploadId);
    expect(upload?.check).toMatchObject({ status: 'CHECKING', progress: paused });
    // A new execution knows nothing: it starts from what the upload says.
    const resumed = await checkUpload(ref, undefined, Date.now() + 60_000);
    expect(resumed).toEqual({ outcome: 'VALID', invocations: 3 });
    expect(requests.at(-1)).toEqual({
      key: input.key,
      range: `bytes=${paused.cursor.block}-`,
      ifMatch: objects.get(input.key)!.etag,
    });
    expect(requests).toHaveLength(3);
    expect((await uploadStore().get('tess', input.uploadId))?.check?.status).toBe('VALID');
  });
});

describe('the check of an upload a job took over', () => {
  it('stops, and never writes its position onto the job’s claim', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { inputs } = await queuedJob([file]);
    const input = inputs[0]!;
    await uploadChecked('tess', input, 'CHECKING');
    const seen = (await uploadStore().get('tess', input.uploadId))?.check;
    expect(await uploadStore().claimCheck('tess', input.uploadId, 'AJOB', seen, new Date())).toBe(true);
    const ref = { owner: 'tess', uploadId: input.uploadId };
    expect(await checkUpload(ref, undefined, 0)).toMatchObject({ outcome: 'STOPPED' });
    const progress = { cursor: { block: 0 }, etag: '"old"', invocations: 1 };
    expect(await uploadStore().recordCheckProgress('tess', input.uploadId, progress as never)).toBe(false);
    expect((await uploadStore().get('tess', input.uploadId))?.check).toEqual({
      status: 'CHECKING',
      startedAt: expect.any(String),
      reader: 'AJOB',
    });
  });
});

describe('the validate-input task reads one file once, and never without end', () => {
  it('lets one job read an unchecked upload: another job on it waits for that outcome and reuses it', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref: first, inputs } = await queuedJob([file]);
    const input = inputs[0]!;
    await uploadChecked(first.owner, input, {
      status: 'UNCHECKED',
      startedAt: new Date().toISOString(),
      checkedAt: new Date().toISOString(),
      reason: 'the check could not start',
    });
    const second = { owner: first.owner, jobId: `${first.jobId.slice(0, -2)}Z9` };
    await jobs.jobRepository().create(
      jobRecord({
        ...second,
        inputs: [input],
        status: JobStatus.QUEUED,
        createdAt: new Date().toISOString(),
      }),
    );
    requests.length = 0;
    // The first job claims the file and reads part of it; the second waits instead of reading it too.
    const reading = await validateJobInput(first, undefined, 0);
    expect(reading.outcome).toBe('CONTINUE');
    const secondWaits = await validateJobInput(second, undefined, Number.POSITIVE_INFINITY);
    expect(secondWaits).toMatchObject({ outcome: 'WAIT' });
    const gets = requests.length;
    const firstResults = [reading];
    let previous: ValidationResult = reading;
    while (previous.outcome === 'CONTINUE') {
      previous = await validateJobInput(first, previous, Number.POSITIVE_INFINITY);
      firstResults.push(previous);
    }
    expect(previous).toMatchObject({ outcome: 'VALID' });
    requests.length = 0;
    // The second job now reuses the recorded outcome: one HEAD for the ETag, no GET.
    const waited = await validateJobInput(second, secondWaits, Number.POSITIVE_INFINITY);
    expect(waited).toMatchObject({ outcome: 'VALID' });
    expect(requests).toHaveLength(1);
    expect(gets).toBe(1);
  });

  it('goes on from its last pause when the job reading an unchecked upload lost its execution: no wait, no new claim', async () => {
    const { ref, input } = await jobOnUncheckedUpload();
    requests.length = 0;
    // Two invocations, each pausing at once (a deadline already past), then the execution is lost.
    const first = await validateJobInput(ref, undefined, 0);
    const second = await validateJobInput(ref, first, 0);
    expect(second.outcome).toBe('CONTINUE');
    const paused = (second as Extract<ValidationResult, { outcome: 'CONTINUE' }>).checkpoint;
    const claimed = (await uploadStore().get(ref.owner, input.uploadId))?.check;
    expect(claimed).toMatchObject({
      status: 'CHECKING',
      reader: ref.jobId,
      progress: { cursor: paused.cursor, etag: objects.get(input.key)!.etag, invocations: 2 },
    });
    // The watcher drives the job again with a new execution, which knows nothing: it does not wait for
    // the job's own claim to run out (10 minutes and more) nor read the file from its start.
    const resumed = await validateJobInput(ref, undefined, Number.POSITIVE_INFINITY);
    expect(resumed).toEqual({ outcome: 'VALID', invocations: 3 });
    expect(requests).toHaveLength(3);
    expect(requests.at(-1)).toEqual({
      key: input.key,
      range: `bytes=${paused.cursor!.block}-`,
      ifMatch: objects.get(input.key)!.etag,
    });
    expect((await uploadStore().get(ref.owner, input.uploadId))?.check?.status).toBe('VALID');
  });

  it('counts on from the reads recorded, whatever waits the execution that resumes had', async () => {
    const { ref, input } = await jobOnUncheckedUpload();
    const first = await validateJobInput(ref, undefined, 0);
    expect(first.outcome).toBe('CONTINUE');
    // Another execution of the job that had waited twice (for a check it then found its own claim).
    const waited = {
      outcome: 'WAIT',
      checkpoint: { invocations: 2, waits: 2, decompressed: 0 },
      waitSeconds: 5,
    };
    const resumed = await validateJobInput(ref, waited as ValidationResult, 0);
    expect(resumed).toMatchObject({ outcome: 'CONTINUE', checkpoint: { invocations: 2, waits: 0 } });
    expect((await uploadStore().get(ref.owner, input.uploadId))?.check).toMatchObject({
      progress: { invocations: 2 },
    });
  });

  it('reads the file from its start when another job took the reading over meanwhile', async () => {
    const { ref, input } = await jobOnUncheckedUpload();
    const first = await validateJobInput(ref, undefined, 0);
    expect(first.outcome).toBe('CONTINUE');
    // Another job's claim (once this one's overran) replaces the reader, and this job's progress with it.
    const seen = (await uploadStore().get(ref.owner, input.uploadId))?.check;
    expect(await uploadStore().claimCheck(ref.owner, input.uploadId, 'ANOTHERJOB', seen, new Date())).toBe(
      true,
    );
    const second = await validateJobInput(ref, first, 0);
    expect(second.outcome).toBe('CONTINUE');
    expect((await uploadStore().get(ref.owner, input.uploadId))?.check).toEqual({
      status: 'CHECKING',
      startedAt: expect.any(String),
      reader: 'ANOTHERJOB',
    });
  });

  it('waits for an outcome recorded just before its claim, and takes it instead of reading the file', async () => {
    const { file, ref, input } = await jobOnUncheckedUpload();
    const at = new Date().toISOString();
    const verdict = await validateVcf(Readable.from([file]), {});
    if (verdict.status !== 'valid') throw new Error('fixture');
    // Another reader records the file's outcome between this job's look and its claim.
    const claim = UploadStore.prototype.claimCheck;
    const spy = vi.spyOn(UploadStore.prototype, 'claimCheck').mockImplementation(async function (
      this: UploadStore,
      ...args: Parameters<UploadStore['claimCheck']>
    ) {
      await this.recordCheck(ref.owner, input.uploadId, {
        status: 'VALID',
        startedAt: at,
        checkedAt: at,
        etag: objects.get(input.key)!.etag,
        facts: verdict.facts,
      });
      return claim.apply(this, args);
    });
    requests.length = 0;
    let first: ValidationResult;
    try {
      first = await validateJobInput(ref, undefined, Number.POSITIVE_INFINITY);
    } finally {
      spy.mockRestore();
    }
    expect(first).toMatchObject({ outcome: 'WAIT' });
    expect(await validateJobInput(ref, first, Number.POSITIVE_INFINITY)).toMatchObject({ outcome: 'VALID' });
    // One HEAD for the ETag when the outcome is taken: the file itself was never read.
    expect(requests).toHaveLength(1);
  });

  it('fails a file whose check needs more invocations than allowed, and records that for the upload', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref, inputs } = await queuedJob([file]);
    await uploadChecked(ref.owner, inputs[0]!, {
      status: 'UNCHECKED',
      startedAt: new Date().toISOString(),
      checkedAt: new Date().toISOString(),
      reason: 'the check could not start',
    });
    const results = await withSettings({ VALIDATION_MAX_INVOCATIONS: 3 }, () => runToEnd(ref, 0));
    expect(results.map((r) => r.outcome)).toEqual(['CONTINUE', 'CONTINUE', 'INVALID']);
    const message = (await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message;
    expect(message).toBe(
      'in0.chr20.vcf.gz: The check of this file stopped before its end after 3 invocations, the limit of 3 per file (about 14 minutes each): a file this large cannot be checked here. Split it (e.g. by region with `bcftools view -r`) and upload the parts.',
    );
    expect((await uploadStore().get(ref.owner, inputs[0]!.uploadId))?.check).toMatchObject({
      status: 'INVALID',
      etag: objects.get(inputs[0]!.key)!.etag,
      problem: { code: 'CHECK_LIMIT' },
    });
  });

  it('stops at the decompressed bytes allowed, within an invocation', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref } = await queuedJob([file]);
    const results = await withSettings({ VALIDATION_MAX_DECOMPRESSED_BYTES: 100_000 }, () =>
      runToEnd(ref, Number.POSITIVE_INFINITY),
    );
    expect(results.map((r) => r.outcome)).toEqual(['INVALID']);
    expect((await jobs.jobRepository().get(ref.owner, ref.jobId))?.error?.message).toMatch(
      /stopped before its end after \d+ KiB decompressed, the limit of 98 KiB per file/,
    );
  });
});

describe('the check of an upload when it completes', () => {
  it('stops at the invocations allowed and records the file INVALID (CHECK_LIMIT) for its ETag', async () => {
    const file = makeVcfGz({ samples: 30, records: 3000 });
    const { ref, inputs } = await queuedJob([file]);
    await uploadChecked(ref.owner, inputs[0]!, 'CHECKING');
    const upload = { owner: ref.owner, uploadId: inputs[0]!.uploadId };
    const outcomes = await withSettings({ VALIDATION_MAX_INVOCATIONS: 2 }, async () => {
      const first = await checkUpload(upload, undefined, 0);
      const second = await checkUpload(upload, first, 0);
      return [first.outcome, second.outcome];
    });
    expect(outcomes).toEqual(['CONTINUE', 'INVALID']);
    expect((await uploadStore().get(ref.owner, inputs[0]!.uploadId))?.check).toMatchObject({
      status: 'INVALID',
      etag: objects.get(inputs[0]!.key)!.etag,
      problem: { code: 'CHECK_LIMIT' },
    });
  });
});
