/**
 * One file's upload straight to S3, against the upload routes (POST /uploads, /parts, /complete): a
 * single presigned PUT below the API's multipart threshold, otherwise parts sent 4 at a time, each retried
 * with backoff. An interrupted upload (offline, a part that kept failing) resumes from what S3 already
 * holds (GET /uploads/{id}/parts) and sends only the missing parts. The browser's XHR, timers and the
 * network go through `UploadTransport`, so the whole sequence is unit-tested with a fake.
 * (Uppy's AWS S3 plugin was not used: its callbacks sign one part at a time and cannot express the API's
 * batched signing or its complete body without an adapter as long as this file, at ~50 KB more bundle.)
 */

import {
  batches,
  isRetryableStatus,
  missingParts,
  type PartRange,
  partRanges,
  retryDelayMs,
  TransferRate,
} from './upload-plan';
import type { CreatedUpload, PutResult, SignedPart, UploadTransport } from './upload-transport';

export type UploadPhase =
  | 'preparing'
  | 'uploading'
  | 'retrying'
  | 'offline'
  | 'completing'
  | 'done'
  | 'interrupted'
  | 'failed'
  | 'canceled';

export interface UploadSnapshot {
  phase: UploadPhase;
  fileName: string;
  size: number;
  uploaded: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  uploadId: string | null;
  transfer: 'single' | 'multipart' | null;
  /** Parts sent again after an interruption are counted here (for the researcher and the tests). */
  resumedFromBytes: number;
  message: string;
}

export const PART_CONCURRENCY = 4;
export const PART_ATTEMPTS = 4;

class Interrupted extends Error {}
/** A part abandoned because another part gave up first. */
class Stopped extends Interrupted {}

export class FileUpload {
  private created: CreatedUpload | null = null;
  private etags = new Map<number, string>();
  private signed = new Map<number, SignedPart>();
  private signedUntil = 0;
  private signing = new Map<number, Promise<void>>();
  private inFlight = new Map<number, number>();
  private doneBytes = 0;
  private rate = new TransferRate();
  private controller = new AbortController();
  private listeners = new Set<(s: UploadSnapshot) => void>();
  private running: Promise<void> | null = null;
  private multipartRuns = 0;
  snapshot: UploadSnapshot;

  constructor(
    readonly file: Blob & { name: string },
    private readonly transport: UploadTransport,
    private readonly concurrency = PART_CONCURRENCY,
  ) {
    this.snapshot = {
      phase: 'preparing',
      fileName: file.name,
      size: file.size,
      uploaded: 0,
      bytesPerSecond: null,
      secondsLeft: null,
      uploadId: null,
      transfer: null,
      resumedFromBytes: 0,
      message: '',
    };
  }

  subscribe(listener: (s: UploadSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts, or resumes after an interruption; one run at a time. */
  start(): Promise<void> {
    if (this.snapshot.phase === 'done' || this.snapshot.phase === 'canceled') return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async cancel(): Promise<void> {
    this.controller.abort();
    const id = this.snapshot.uploadId;
    this.update({ phase: 'canceled', message: 'Canceled.' });
    if (id && this.snapshot.transfer === 'multipart') await this.transport.abort(id).catch(() => undefined);
  }

  private async run(): Promise<void> {
    if (this.controller.signal.aborted) this.controller = new AbortController();
    const signal = this.controller.signal;
    try {
      if (!this.created) {
        this.update({ phase: 'preparing', message: 'Announcing the file…' });
        this.created = await this.transport.createUpload({ fileName: this.file.name, size: this.file.size });
        this.update({
          uploadId: this.created.upload.uploadId,
          transfer: this.created.transfer === 'multipart' ? 'multipart' : 'single',
        });
      }
      const result =
        this.created.transfer === 'multipart'
          ? await this.runMultipart(this.created, signal)
          : await this.runSingle(this.created, signal);
      if (result.problem) {
        this.update({ phase: 'failed', message: result.problem });
      } else {
        this.update({
          phase: 'done',
          uploaded: this.file.size,
          bytesPerSecond: null,
          secondsLeft: null,
          message: 'Uploaded.',
        });
      }
    } catch (error) {
      if (this.snapshot.phase === 'canceled') return;
      this.inFlight.clear();
      const idle = { uploaded: this.doneBytes, bytesPerSecond: null, secondsLeft: null };
      if (!this.transport.isOnline()) {
        // What reached S3 before the connection dropped is unknown: resume from its list of parts.
        this.update({
          ...idle,
          phase: 'offline',
          message: 'Offline: the upload resumes when the connection is back.',
        });
        void this.transport.whenOnline(this.controller.signal).then(
          () => this.start(),
          () => undefined,
        );
        return;
      }
      const text = error instanceof Error && error.message ? error.message : 'The upload was interrupted.';
      this.update({ ...idle, phase: 'interrupted', message: text });
    }
  }

  private async runSingle(created: Extract<CreatedUpload, { uploadUrl: string }>, signal: AbortSignal) {
    this.doneBytes = 0;
    await this.sendWithRetries(
      1,
      () =>
        this.transport.put(
          created.uploadUrl,
          created.headers,
          this.file,
          (loaded) => this.progress(1, loaded),
          signal,
        ),
      signal,
    );
    this.inFlight.clear();
    this.doneBytes = this.file.size;
    this.update({ phase: 'completing', message: 'Confirming…' });
    return this.transport.confirm(created.upload.uploadId);
  }

  private async runMultipart(
    created: Extract<CreatedUpload, { transfer: 'multipart' }>,
    signal: AbortSignal,
  ) {
    const { partSize, partCount, maxPartsPerRequest } = created.multipart;
    const uploadId = created.upload.uploadId;
    const ranges = partRanges(this.file.size, partSize, partCount);
    let todo = ranges;
    this.multipartRuns += 1;
    if (this.multipartRuns > 1) {
      // Resuming: S3 is the truth about what arrived.
      this.update({ phase: 'preparing', message: 'Checking what was already uploaded…' });
      const stored = (await this.transport.listParts(uploadId)).parts;
      this.etags = new Map(stored.map((p) => [p.partNumber, p.etag]));
      todo = missingParts(ranges, stored);
      const missing = new Set(todo.map((r) => r.partNumber));
      for (const n of [...this.etags.keys()]) if (missing.has(n)) this.etags.delete(n);
      this.doneBytes = ranges
        .filter((r) => !missing.has(r.partNumber))
        .reduce((sum, r) => sum + r.end - r.start, 0);
      this.update({ resumedFromBytes: this.doneBytes, uploaded: this.doneBytes });
    }
    this.rate.reset();
    this.update({ phase: 'uploading', message: '' });
    const queue = [...todo];
    // The first part that gives up stops the others (their PUTs are aborted) before the run reports.
    const stop = new AbortController();
    const onCancel = () => stop.abort();
    signal.addEventListener('abort', onCancel);
    const worker = async () => {
      try {
        for (let range = queue.shift(); range && !stop.signal.aborted; range = queue.shift()) {
          await this.sendPart(uploadId, range, queue, maxPartsPerRequest, stop.signal);
        }
      } catch (error) {
        stop.abort();
        throw error;
      }
    };
    const workers = Array.from({ length: Math.min(this.concurrency, todo.length) }, worker);
    const settled = await Promise.allSettled(workers);
    signal.removeEventListener('abort', onCancel);
    const failure = settled.find(
      (s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof Stopped),
    );
    if (failure) throw failure.reason;
    if (stop.signal.aborted) throw new Interrupted('Canceled.');
    this.update({ phase: 'completing', message: 'Assembling the parts…' });
    const parts = ranges.map((r) => ({ partNumber: r.partNumber, etag: this.etags.get(r.partNumber)! }));
    return this.transport.complete(uploadId, parts);
  }

  private async sendPart(
    uploadId: string,
    range: PartRange,
    queue: PartRange[],
    maxPerRequest: number,
    signal: AbortSignal,
  ) {
    const result = await this.sendWithRetries(
      range.partNumber,
      async () => {
        const part = await this.signedPart(uploadId, range.partNumber, queue, maxPerRequest);
        return this.transport.put(
          part.url,
          part.headers,
          this.file.slice(range.start, range.end),
          (loaded) => this.progress(range.partNumber, loaded),
          signal,
        );
      },
      signal,
    );
    if (!result.etag)
      throw new Interrupted('S3 did not return the part’s ETag (check the bucket’s CORS ExposeHeaders).');
    this.etags.set(range.partNumber, result.etag);
    this.inFlight.delete(range.partNumber);
    this.doneBytes += range.end - range.start;
    this.progress(0, 0);
  }

  /** A presigned URL for the part, signing it with the next parts of the queue in one request. */
  private async signedPart(
    uploadId: string,
    partNumber: number,
    queue: PartRange[],
    maxPerRequest: number,
  ): Promise<SignedPart> {
    if (this.transport.now() > this.signedUntil - 60_000) this.signed.clear();
    const cached = this.signed.get(partNumber);
    if (cached) return cached;
    // A part already in another worker's signing request waits for that request.
    const pending = this.signing.get(partNumber);
    if (pending) await pending;
    if (!this.signed.has(partNumber)) {
      const free = (n: number) => !this.signed.has(n) && !this.signing.has(n);
      const wanted = [partNumber, ...queue.map((r) => r.partNumber).filter(free)];
      const [batch = [partNumber]] = batches(wanted, maxPerRequest);
      const request = this.transport.signParts(uploadId, batch).then((answer) => {
        this.signedUntil = Date.parse(answer.expiresAt) || this.transport.now() + 5 * 60_000;
        for (const part of answer.parts) this.signed.set(part.partNumber, part);
      });
      for (const n of batch) this.signing.set(n, request);
      try {
        await request;
      } finally {
        for (const n of batch) this.signing.delete(n);
      }
    }
    const part = this.signed.get(partNumber);
    if (!part) throw new Interrupted(`The gateway did not sign part ${partNumber}.`);
    return part;
  }

  private async sendWithRetries(
    partNumber: number,
    send: () => Promise<PutResult>,
    signal: AbortSignal,
  ): Promise<PutResult> {
    for (let attempt = 1; ; attempt += 1) {
      if (!this.transport.isOnline()) throw new Interrupted('Offline.');
      const result = await send();
      if (result.status >= 200 && result.status < 300) return result;
      this.inFlight.delete(partNumber);
      this.progress(0, 0);
      if (signal.aborted) throw new Stopped('Stopped.');
      if (!this.transport.isOnline()) throw new Interrupted('Offline.');
      if (!isRetryableStatus(result.status) || attempt >= PART_ATTEMPTS) {
        const why = result.status === 0 ? 'the connection failed' : `S3 answered HTTP ${result.status}`;
        throw new Interrupted(
          `Part ${partNumber} could not be sent (${why}); resume to continue where it stopped.`,
        );
      }
      if (result.status === 403) this.signed.clear();
      this.update({
        phase: 'retrying',
        message: `Retrying part ${partNumber} (attempt ${attempt + 1} of ${PART_ATTEMPTS})…`,
      });
      await this.transport.sleep(retryDelayMs(attempt), signal);
    }
  }

  private progress(partNumber: number, loaded: number): void {
    if (partNumber > 0) this.inFlight.set(partNumber, loaded);
    let uploaded = this.doneBytes;
    for (const bytes of this.inFlight.values()) uploaded += bytes;
    uploaded = Math.min(uploaded, this.file.size);
    const now = this.transport.now();
    this.rate.record(uploaded, now);
    const phase =
      this.snapshot.phase === 'retrying' || this.snapshot.phase === 'offline'
        ? this.snapshot.phase
        : 'uploading';
    this.update({
      phase,
      uploaded,
      bytesPerSecond: this.rate.bytesPerSecond(),
      secondsLeft: this.rate.secondsLeft(this.file.size - uploaded),
    });
  }

  private update(change: Partial<UploadSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener(this.snapshot);
  }
}
