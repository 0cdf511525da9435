/**
 * The parts of one multipart upload on the wire: a queue of part ranges sent `concurrency` at a time, each
 * PUT retried with backoff on statuses worth retrying, presigned URLs asked for in batches of the API's
 * maxPartsPerRequest (the next parts of the queue signed with the one needed now) and signed again when
 * they near expiry (each URL keeps its own, a margin early) or S3 answers 403 (once per part). The first part that gives up stops the others. What the bytes mean
 * for the upload (progress, phases, resume) is the engine's (upload-engine.ts); this file only reports.
 */
import { batches, isRetryableStatus, type PartRange, retryDelayMs } from './upload-plan';
import type { CompletePart, MultipartPlan, PutResult, SignedPart, UploadTransport } from './upload-transport';

export const PART_CONCURRENCY = 4;
export const PART_ATTEMPTS = 4;

/** The upload stopped and can be resumed (the message says why). */
export class Interrupted extends Error {}
/** A PUT S3 kept refusing, with its last status (0: the connection failed). */
export class PutRefused extends Interrupted {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
/** A part abandoned because another part gave up first. */
export class Stopped extends Interrupted {}

/** Each later step checks it: a cancel while a request was under way must not start the next one. */
export function stopIfCanceled(signal: AbortSignal): void {
  if (signal.aborted) throw new Stopped('Canceled.');
}

export interface RetryHooks {
  /** The attempt failed: its bytes in flight no longer count. */
  onFailedAttempt(partNumber: number): void;
  onRetry(partNumber: number, nextAttempt: number): void;
}

/** One PUT (a part, or the whole file) with up to PART_ATTEMPTS attempts. */
export async function sendWithRetries(
  transport: UploadTransport,
  partNumber: number,
  send: () => Promise<PutResult>,
  signal: AbortSignal,
  hooks: RetryHooks & { onForbidden?: () => void },
): Promise<PutResult> {
  let resigned = false;
  for (let attempt = 1; ; attempt += 1) {
    if (!transport.isOnline()) throw new Interrupted('Offline.');
    const result = await send();
    if (result.status >= 200 && result.status < 300) return result;
    hooks.onFailedAttempt(partNumber);
    if (signal.aborted) throw new Stopped('Stopped.');
    if (!transport.isOnline()) throw new Interrupted('Offline.');
    // 403: the presigned URL no longer holds (clocks apart, the signer's credentials ran out before the
    // URL's TTL, a URL of an older batch). Signed again and retried once; a second 403 is a refusal.
    const resign = result.status === 403 && hooks.onForbidden !== undefined && !resigned;
    if (!resign && (!isRetryableStatus(result.status) || attempt >= PART_ATTEMPTS)) {
      const why = result.status === 0 ? 'the connection failed' : `S3 answered HTTP ${result.status}`;
      throw new PutRefused(
        `Part ${partNumber} could not be sent (${why}); resume to continue where it stopped.`,
        result.status,
      );
    }
    if (resign) {
      resigned = true;
      hooks.onForbidden?.();
    }
    hooks.onRetry(partNumber, attempt + 1);
    await transport.sleep(retryDelayMs(attempt), signal);
  }
}

export interface PartHooks extends RetryHooks {
  onProgress(partNumber: number, loaded: number): void;
  onStored(range: PartRange, part: CompletePart): void;
}

/** A URL is taken as expired this long before its expiresAt (a browser clock somewhat behind the server's). */
export const EXPIRY_MARGIN_MS = 2 * 60_000;
/** A URL that looks expired on arrival (a browser clock ahead) is still used this long: S3's 403 decides. */
export const MIN_TRUST_MS = 60_000;

interface Signed {
  part: SignedPart;
  /** Browser time after which the URL is signed again. */
  until: number;
  /** Which signing request it came from: a 403 drops that request's URLs and older ones. */
  batch: number;
}

export class PartSender {
  private signed = new Map<number, Signed>();
  private batchesSigned = 0;
  private signing = new Map<number, Promise<void>>();

  constructor(
    private readonly transport: UploadTransport,
    private readonly file: Blob,
    private readonly uploadId: string,
    private readonly plan: MultipartPlan,
    private readonly hooks: PartHooks,
    private readonly concurrency = PART_CONCURRENCY,
  ) {}

  /** Sends every range; rejects with the first part's failure, or Interrupted when `signal` aborts. */
  async sendAll(todo: readonly PartRange[], signal: AbortSignal): Promise<void> {
    const queue = [...todo];
    // The first part that gives up stops the others (their PUTs are aborted) before the run reports.
    const stop = new AbortController();
    const onCancel = () => stop.abort();
    // An already aborted signal fires no 'abort' event any more: act on it at once.
    if (signal.aborted) onCancel();
    else signal.addEventListener('abort', onCancel);
    const worker = async () => {
      try {
        for (let range = queue.shift(); range && !stop.signal.aborted; range = queue.shift()) {
          await this.sendPart(range, queue, stop.signal);
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
  }

  private async sendPart(range: PartRange, queue: PartRange[], signal: AbortSignal) {
    const { partNumber } = range;
    let used: Signed | undefined;
    const dropOlder = () => {
      for (const [n, s] of this.signed) if (used && s.batch <= used.batch) this.signed.delete(n);
    };
    const result = await sendWithRetries(
      this.transport,
      partNumber,
      async () => {
        used = await this.signedPart(partNumber, queue);
        const { part } = used;
        return this.transport.put(
          part.url,
          part.headers,
          this.file.slice(range.start, range.end),
          (loaded) => this.hooks.onProgress(partNumber, loaded),
          signal,
        );
      },
      signal,
      { ...this.hooks, onForbidden: dropOlder },
    );
    if (!result.etag)
      throw new Interrupted('S3 did not return the part’s ETag (check the bucket’s CORS ExposeHeaders).');
    this.hooks.onStored(range, { partNumber, etag: result.etag, size: range.end - range.start });
  }

  /** A presigned URL for the part, signing it with the next parts of the queue in one request. */
  private async signedPart(partNumber: number, queue: PartRange[]): Promise<Signed> {
    const now = this.transport.now();
    for (const [n, s] of this.signed) if (now >= s.until) this.signed.delete(n);
    const cached = this.signed.get(partNumber);
    if (cached) return cached;
    // A part already in another worker's signing request waits for that request.
    const pending = this.signing.get(partNumber);
    if (pending) await pending;
    if (!this.signed.has(partNumber)) {
      const free = (n: number) => !this.signed.has(n) && !this.signing.has(n);
      const wanted = [partNumber, ...queue.map((r) => r.partNumber).filter(free)];
      const [batch = [partNumber]] = batches(wanted, this.plan.maxPartsPerRequest);
      const request = this.transport.signParts(this.uploadId, batch).then((answer) => {
        const at = this.transport.now();
        const left = Date.parse(answer.expiresAt) - at || 0;
        const until = at + Math.max(left - EXPIRY_MARGIN_MS, MIN_TRUST_MS);
        const batchNo = ++this.batchesSigned;
        for (const part of answer.parts) this.signed.set(part.partNumber, { part, until, batch: batchNo });
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
}
