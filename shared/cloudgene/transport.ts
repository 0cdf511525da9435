/**
 * The HTTP side of the Cloudgene client: one fetch wrapper that turns every network failure and every
 * non-2xx answer into a typed error (classify.ts), JSON bodies parsed with zod, and idle timeouts that
 * also watch response bodies while they stream.
 *
 * `timeoutMs` is an idle timeout, not a deadline: a multi-GB upload or download may take far longer, as
 * long as bytes keep moving. It counts only while we wait on the server (for an answer or the next chunk
 * of a body), never while the caller is busy with a chunk it already has.
 *
 * No redirect is followed on its own. A 3xx to an API call is a bad answer like any other (a protocol
 * error): following it would send the `X-Auth-Token` wherever the service points (fetch drops only
 * `Authorization` and cookies on a cross-origin hop). A download follows them by hand (`follow`): at most
 * MAX_REDIRECTS hops, without any credential, each to a target that outbound.ts allows. Bodies are read
 * with a cap (MAX_JSON_BYTES for answers, MAX_ERROR_BODY_BYTES of a refusal's text), so no answer can
 * exhaust the memory of the function reading it.
 */
import { type core, type output, safeParse } from 'zod/mini';
import { describeNetworkError, responseFailure } from './classify';
import { CloudgeneProtocolError, RedirectRefusedError, ServiceUnavailableError } from './errors';
import type { MultipartBody } from './multipart';
import { describeUrl, guardedFetch, MAX_REDIRECTS, type OutboundPolicy, urlRefusal } from './outbound';

/** The largest JSON answer read (the biggest real one, a long job list page, is tens of KB). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** What is read of a refusal's body for its message (the rest is left unread). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface TransportOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  userAgent?: string;
  /** Where a redirect of a download may go (outbound.ts); https and public addresses only by default. */
  outbound?: OutboundPolicy;
  /** The fetch of a download's redirect hops: outbound.ts `guardedFetch(outbound)` (a test may wrap it). */
  hopFetch?: typeof fetch;
}

export interface RequestOptions {
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  /** Sent as `X-Auth-Token` (no "Bearer"); absent on calls that must never carry it. */
  token?: string;
  /** The file name, when the request is a result download (its errors mean other things). */
  download?: string;
  /** The streamed submission body, whose own failure must not be mistaken for the service's. */
  multipart?: MultipartBody;
}

/** An answer, and the URL that gave it (after any redirects a download followed). */
export interface Followed {
  response: Response;
  url: string;
  /** Redirects followed to get there. */
  hops: number;
}

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;
  private readonly outbound: OutboundPolicy;
  private readonly hopFetch: typeof fetch;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'imputation-gateway/0.1';
    this.outbound = options.outbound ?? { allowLoopback: false };
    this.hopFetch = options.hopFetch ?? guardedFetch(this.outbound);
  }

  idleTimeout(): IdleTimeout {
    return new IdleTimeout(this.timeoutMs);
  }

  /** One JSON call: request, status check, body parsed with the schema, all under one idle timeout. */
  async json<T extends core.$ZodType>(
    schema: T,
    what: string,
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<output<T>> {
    const idle = this.idleTimeout();
    try {
      return await this.readJson(await this.send(method, path, options, idle), schema, what);
    } finally {
      idle.stop();
    }
  }

  /**
   * Sends the request and turns every non-2xx answer (and every network failure) into a typed error. A
   * redirect is never followed: it is a protocol error (see `follow` for downloads).
   */
  async send(method: string, path: string, options: RequestOptions, idle: IdleTimeout): Promise<Response> {
    const response = await this.request(this.baseUrl + path, method, options, idle, this.fetchImpl);
    if (isRedirect(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      idle.stop();
      const to = response.headers.get('location');
      throw new CloudgeneProtocolError(
        `The service answered ${response.status}, a redirect${to ? ` to ${describeLocation(to, this.baseUrl + path)}` : ''}, which is not followed`,
        { serviceStatus: response.status },
      );
    }
    return this.accept(response, options, idle);
  }

  /**
   * A GET that follows redirects by hand, for downloads: the first request to `path` at the service (or
   * to `url`, a target an earlier download was redirected to), then at most MAX_REDIRECTS hops, each
   * checked (outbound.ts) and sent through the guarded agents, without `X-Auth-Token` once it leaves the
   * service's origin. A refused hop is a RedirectRefusedError.
   */
  async follow(
    target: { path: string } | { url: string },
    options: RequestOptions,
    idle: IdleTimeout,
  ): Promise<Followed> {
    const origin = new URL(this.baseUrl).origin;
    let url = 'url' in target ? target.url : this.baseUrl + target.path;
    // A stored target is the service's choice like any hop: checked and guarded like one.
    let chosenByService = 'url' in target;
    for (let hops = 0; ; hops++) {
      const here = new URL(url);
      const sameOrigin = here.origin === origin;
      const response = await this.request(
        url,
        'GET',
        { ...options, token: sameOrigin && !chosenByService ? options.token : undefined },
        idle,
        chosenByService ? this.hopFetch : this.fetchImpl,
      );
      if (!isRedirect(response.status))
        return { response: await this.accept(response, options, idle), url, hops };
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      const refuse = (why: string) => {
        idle.stop();
        return new RedirectRefusedError(`The download of ${options.download ?? describeUrl(here)} ${why}`, {
          serviceStatus: response.status,
        });
      };
      if (!location) throw refuse(`answered ${response.status} without a Location`);
      if (hops >= MAX_REDIRECTS) throw refuse(`was redirected more than ${MAX_REDIRECTS} times`);
      let next: URL;
      try {
        next = new URL(location, here);
      } catch {
        throw refuse(`was redirected to an unreadable Location`);
      }
      const refused = urlRefusal(next, this.outbound);
      if (refused) throw refuse(`was redirected to ${describeUrl(next)}, not followed: ${refused}`);
      url = next.href;
      chosenByService = true;
    }
  }

  /** One request as it is sent, network failures typed; the answer as it came (no redirect followed). */
  private async request(
    url: string,
    method: string,
    options: RequestOptions,
    idle: IdleTimeout,
    fetchImpl: typeof fetch,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...options.headers,
    };
    if (options.token !== undefined) headers['X-Auth-Token'] = options.token;
    idle.wait();
    try {
      return await fetchImpl(url, {
        method,
        headers,
        body: options.body,
        signal: idle.signal,
        // A streamed body: `redirect: 'error'` is what keeps it streamed. With 'follow' (or 'manual'),
        // Node's fetch (undici) clones the request for a possible redirect, teeing the body, and the
        // unread branch of the tee holds every byte sent: a 1 GB submission held 1 GB. A redirected
        // submission could not be replayed anyway (nodejs/undici#4058). Everything else sees the 3xx
        // itself ('manual'): nothing is followed behind our back, with the token or without.
        ...(options.body instanceof ReadableStream
          ? { duplex: 'half', redirect: 'error' }
          : { redirect: 'manual' }),
      } as RequestInit);
    } catch (error) {
      // Our own input failing (an S3 read, a size mismatch) is not the service's fault: say so as it is.
      if (options.multipart?.sourceError) throw options.multipart.sourceError;
      if (options.multipart && /redirect/i.test(describeNetworkError(error))) {
        throw new CloudgeneProtocolError(
          'The service redirected the submission; a streamed upload cannot follow',
        );
      }
      if (error instanceof RedirectRefusedError) {
        idle.stop();
        throw new RedirectRefusedError(
          `The download of ${options.download ?? 'a file'} was not followed to ${describeUrl(new URL(url))}: ${error.message}`,
        );
      }
      throw new ServiceUnavailableError(
        `${new URL(url).host} could not be reached (${idle.timedOut ? `no progress for ${this.timeoutMs} ms` : describeNetworkError(error)})`,
      );
    }
  }

  /** A 2xx goes on; anything else is read (a little of it) for the service's message and thrown, typed. */
  private async accept(response: Response, options: RequestOptions, idle: IdleTimeout): Promise<Response> {
    if (response.ok) return response;
    const text = await readCapped(response, MAX_ERROR_BODY_BYTES, 'cut').catch(() => '');
    idle.stop();
    throw responseFailure(response.status, text, options.download);
  }

  async readJson<T extends core.$ZodType>(response: Response, schema: T, what: string): Promise<output<T>> {
    let text: string;
    const serviceStatus = response.status;
    try {
      text = await readCapped(response, MAX_JSON_BYTES, 'refuse');
    } catch (error) {
      if (error instanceof TooLarge) {
        throw new CloudgeneProtocolError(
          `The ${what} answer is larger than ${MAX_JSON_BYTES} bytes; not read`,
          { serviceStatus },
        );
      }
      throw new ServiceUnavailableError(`The ${what} answer broke off (${describeNetworkError(error)})`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CloudgeneProtocolError(`The ${what} answer (${serviceStatus}) is not JSON`, {
        serviceStatus,
      });
    }
    const parsed = safeParse(schema, value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CloudgeneProtocolError(
        `Unexpected ${what} from the service: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`,
        { serviceStatus },
      );
    }
    return parsed.data;
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** A Location as a message may say it: resolved, without its query. */
function describeLocation(location: string, base: string): string {
  try {
    return describeUrl(new URL(location, base));
  } catch {
    return 'an unreadable Location';
  }
}

class TooLarge extends Error {}

/**
 * A body as text, read while it streams and never past `max` bytes: beyond them `refuse` throws (and lets
 * the connection go), `cut` keeps what came so far. An announced Content-Length above `max` is refused
 * before a byte is read.
 */
async function readCapped(response: Response, max: number, mode: 'refuse' | 'cut'): Promise<string> {
  const body = response.body;
  if (!body) return '';
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  if (mode === 'refuse' && announced > max) {
    await body.cancel().catch(() => undefined);
    throw new TooLarge();
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      await reader.cancel().catch(() => undefined);
      if (mode === 'refuse') throw new TooLarge();
      chunks.push(value.subarray(0, max - size));
      size = max;
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Aborts a request when the server makes no progress for `ms`. Cheap per chunk: progress only stamps a
 * time; the single timer re-arms itself for the remainder when it fires early.
 */
export class IdleTimeout {
  private readonly controller = new AbortController();
  private lastProgress = Date.now();
  private waiting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;

  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** From now on we wait on the server (for an answer, or for the next chunk of a body). */
  wait(): void {
    this.waiting = true;
    this.lastProgress = Date.now();
    if (!this.timer) this.schedule(this.ms);
  }

  /** Bytes moved: the countdown starts over. */
  progress(): void {
    this.lastProgress = Date.now();
  }

  /** The caller holds the data now, not the server: no countdown until the next wait(). */
  hold(): void {
    this.waiting = false;
  }

  stop(): void {
    this.waiting = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => this.check(), delay);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    if (!this.waiting) return;
    const idleFor = Date.now() - this.lastProgress;
    if (idleFor < this.ms) {
      this.schedule(this.ms - idleFor);
      return;
    }
    this.timedOut = true;
    this.controller.abort(new DOMException(`no progress for ${this.ms} ms`, 'TimeoutError'));
  }
}

function brokeOff(fileName: string, idle: IdleTimeout, error: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `The download of ${fileName} broke off (${idle.timedOut ? 'no data for too long' : describeNetworkError(error)})`,
  );
}

/**
 * A download body as an async generator, the idle timeout running only while we wait for the next
 * chunk; a broken stream says why, typed.
 */
export async function* watchChunks(
  body: ReadableStream<Uint8Array>,
  idle: IdleTimeout,
  fileName: string,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      idle.wait();
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        finished = true;
        throw brokeOff(fileName, idle, error);
      }
      idle.hold();
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    idle.stop();
    // Abandoned early (the consumer stopped): release the connection.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/** The same as a web stream, read on demand (no read-ahead) under the idle timeout. */
export function watchBody(
  body: ReadableStream<Uint8Array>,
  idle: IdleTimeout,
  fileName: string,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  idle.hold();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        idle.wait();
        try {
          const { done, value } = await reader.read();
          if (done) {
            idle.stop();
            controller.close();
          } else {
            idle.hold();
            controller.enqueue(value);
          }
        } catch (error) {
          idle.stop();
          controller.error(brokeOff(fileName, idle, error));
        }
      },
      async cancel(reason) {
        idle.stop();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
