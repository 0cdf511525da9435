/**
 * One file's upload straight to S3, as a small state machine (preparing → uploading ⇄ retrying / offline →
 * completing → done, or interrupted / failed / canceled): a single presigned PUT below the API's multipart
 * threshold, otherwise parts sent by upload-parts.ts. An interrupted upload (offline, a part that kept
 * failing, a reload) resumes from what S3 already holds (GET /uploads/{id}/parts) and sends only the
 * missing parts; across reloads through the records of pending-uploads.ts and the decision of
 * upload-resume.ts. The browser's XHR, timers and the network go through `UploadTransport`, so the whole
 * sequence is unit-tested with a fake.
 * (Uppy's AWS S3 plugin was not used: its callbacks sign one part at a time and cannot express the API's
 * batched signing or its complete body without an adapter as long as this file, at ~50 KB more bundle.)
 */
import { limitReached } from '../api/api-error';
import { fingerprintOf, type PendingUploads } from './pending-uploads';
import { Interrupted, PART_ATTEMPTS, PART_CONCURRENCY, PartSender, stopIfCanceled } from './upload-parts';
import { missingParts, type PartRange, partRanges } from './upload-plan';
import { initialSnapshot, ProgressMeter, type UploadSnapshot } from './upload-progress';
import { abandonOpened, openUpload, recheckUpload } from './upload-resume';
import { sendSingle } from './upload-single';
import type {
  CompletePart,
  CreatedUpload,
  MultipartUpload,
  SingleUpload,
  StoredPart,
  UploadTransport,
} from './upload-transport';

export { PART_ATTEMPTS, PART_CONCURRENCY } from './upload-parts';
export type { UploadPhase, UploadSnapshot } from './upload-progress';

export interface FileUploadOptions {
  concurrency?: number;
  /** Where multipart uploads are remembered to resume after a reload (none: within the page only). */
  pending?: PendingUploads | null;
}

export class FileUpload {
  /** Name, size and modification time: the same file picked again after a reload matches. */
  readonly fingerprint: string;
  private created: CreatedUpload | null = null;
  /** Stored parts to resume from, once: GET …/parts' answer, which complete takes as it is. */
  private resumeFrom: StoredPart[] | null = null;
  private parts = new Map<number, CompletePart>();
  private meter: ProgressMeter;
  private controller = new AbortController();
  private listeners = new Set<(s: UploadSnapshot) => void>();
  private running: Promise<void> | null = null;
  /** Sending runs so far: a later one first asks the API what became of the upload. */
  private sends = 0;
  private readonly concurrency: number;
  private readonly pending: PendingUploads | null;
  snapshot: UploadSnapshot;

  constructor(
    readonly file: Blob & { name: string; lastModified?: number },
    private readonly transport: UploadTransport,
    options: FileUploadOptions = {},
  ) {
    this.concurrency = options.concurrency ?? PART_CONCURRENCY;
    this.pending = options.pending ?? null;
    this.fingerprint = fingerprintOf(file);
    this.meter = new ProgressMeter(file.size);
    this.snapshot = initialSnapshot(file);
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

  /** Stops and abandons the upload (DELETE /uploads/{id}: S3 discards its parts), and forgets it. */
  async cancel(): Promise<void> {
    this.controller.abort();
    const id = this.snapshot.uploadId;
    this.update({ phase: 'canceled', message: 'Canceled.' });
    this.pending?.forget(this.fingerprint);
    if (id && this.snapshot.transfer === 'multipart') await this.transport.abort(id).catch(() => undefined);
  }

  private async run(): Promise<void> {
    if (this.controller.signal.aborted) this.controller = new AbortController();
    const signal = this.controller.signal;
    try {
      if (!this.created) {
        const say = (message: string) => signal.aborted || this.update({ phase: 'preparing', message });
        const opened = await openUpload(this.transport, this.file, this.fingerprint, this.pending, say);
        // Removed while it was being announced: the upload just created (or resumed) is abandoned too.
        if (signal.aborted)
          return await abandonOpened(this.transport, opened, this.fingerprint, this.pending);
        if (opened.kind === 'ready') {
          this.update({ uploadId: opened.upload.uploadId, transfer: 'multipart' });
          this.finish(null, 'Already uploaded.');
          return;
        }
        this.created = opened.created;
        this.resumeFrom = opened.stored;
        this.update({ uploadId: opened.created.upload.uploadId, transfer: opened.created.transfer });
      }
      const created = this.created;
      stopIfCanceled(signal);
      const result =
        created.transfer === 'multipart'
          ? await this.runMultipart(created, signal)
          : await this.runSingle(created, signal);
      stopIfCanceled(signal);
      this.finish(result.problem ?? null, 'Uploaded.');
    } catch (error) {
      if (signal.aborted || this.snapshot.phase === 'canceled') return;
      this.meter.stop();
      const idle = { uploaded: this.meter.doneBytes, bytesPerSecond: null, secondsLeft: null };
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
      // A limit of the account (pending uploads, stored bytes): which, what frees it, when to try again.
      const text =
        limitReached(error) ??
        (error instanceof Error && error.message ? error.message : 'The upload was interrupted.');
      this.update({ ...idle, phase: 'interrupted', message: text });
    }
  }

  /** Done or failed for good: either way nothing is left to resume. */
  private finish(problem: string | null, message: string): void {
    this.pending?.forget(this.fingerprint);
    if (problem) this.update({ phase: 'failed', message: problem });
    else
      this.update({
        phase: 'done',
        uploaded: this.file.size,
        bytesPerSecond: null,
        secondsLeft: null,
        message,
      });
  }

  private async runSingle(created: SingleUpload, signal: AbortSignal) {
    this.meter.restart(0);
    this.sends += 1;
    const sent = await sendSingle(this.transport, this.file, created, this.sends > 1, signal, {
      ...this.retryHooks,
      onProgress: (loaded) => this.progress(1, loaded),
      onAnnounced: (again) => {
        this.created = again;
        this.update({ uploadId: again.upload.uploadId, transfer: again.transfer });
      },
    });
    stopIfCanceled(signal);
    this.meter.restart(this.file.size);
    this.update({ phase: 'completing', message: 'Confirming…' });
    return this.transport.confirm(sent.upload.uploadId);
  }

  private async runMultipart(created: MultipartUpload, signal: AbortSignal) {
    const uploadId = created.upload.uploadId;
    const { partSize, partCount } = created.multipart;
    const ranges = partRanges(this.file.size, partSize, partCount);
    this.sends += 1;
    let stored = this.resumeFrom;
    this.resumeFrom = null;
    if (!stored && this.sends > 1) {
      // Resuming within the page: S3 is the truth about what arrived.
      this.update({ phase: 'preparing', message: 'Checking what was already uploaded…' });
      const state = await recheckUpload(this.transport, uploadId);
      if (state.kind === 'gone') this.created = null;
      if (state.kind !== 'pending') return { problem: state.kind === 'gone' ? state.problem : null };
      stored = state.stored;
    }
    stopIfCanceled(signal);
    const todo = stored ? this.takeStored(ranges, stored) : ranges;
    this.meter.restart(this.meter.doneBytes);
    this.update({ phase: 'uploading', message: '' });
    const sender = new PartSender(
      this.transport,
      this.file,
      uploadId,
      created.multipart,
      {
        ...this.retryHooks,
        onProgress: (partNumber, loaded) => this.progress(partNumber, loaded),
        onStored: (range, part) => {
          this.parts.set(part.partNumber, part);
          this.meter.stored(part.partNumber, range.end - range.start);
          this.pending?.progress(this.fingerprint, this.parts.size);
          this.progress(0, 0);
        },
      },
      this.concurrency,
    );
    await sender.sendAll(todo, signal);
    stopIfCanceled(signal);
    this.update({ phase: 'completing', message: 'Assembling the parts…' });
    const parts = ranges.map((r) => this.parts.get(r.partNumber));
    if (parts.some((p) => !p)) throw new Interrupted('A part is missing: resume to send it.');
    return this.transport.complete(uploadId, parts as CompletePart[]);
  }

  /** Keeps the parts S3 holds whole (as GET …/parts listed them) and answers the ranges still to send. */
  private takeStored(ranges: PartRange[], stored: StoredPart[]): PartRange[] {
    const todo = missingParts(ranges, stored);
    const missing = new Set(todo.map((r) => r.partNumber));
    this.parts = new Map(stored.filter((p) => !missing.has(p.partNumber)).map((p) => [p.partNumber, p]));
    const held = ranges.filter((r) => !missing.has(r.partNumber));
    this.meter.restart(held.reduce((sum, r) => sum + r.end - r.start, 0));
    this.pending?.progress(this.fingerprint, this.parts.size);
    this.update({
      resumedFromBytes: this.meter.doneBytes,
      uploaded: this.meter.doneBytes,
      resumed: { parts: held.length, of: ranges.length },
    });
    return todo;
  }

  private readonly retryHooks = {
    onFailedAttempt: (partNumber: number) => {
      this.meter.drop(partNumber);
      this.progress(0, 0);
    },
    onRetry: (partNumber: number, attempt: number) =>
      this.update({
        phase: 'retrying',
        message: `Retrying part ${partNumber} (attempt ${attempt} of ${PART_ATTEMPTS})…`,
      }),
  };

  private progress(partNumber: number, loaded: number): void {
    if (partNumber > 0) this.meter.sending(partNumber, loaded);
    const phase =
      this.snapshot.phase === 'retrying' || this.snapshot.phase === 'offline'
        ? this.snapshot.phase
        : 'uploading';
    this.update({ phase, ...this.meter.read(this.transport.now()) });
  }

  private update(change: Partial<UploadSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener(this.snapshot);
  }
}
