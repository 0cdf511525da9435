/**
 * The HTTP side of the Cloudgene client: one fetch wrapper that turns every network failure and every
 * non-2xx answer into a typed error (classify.ts), JSON bodies parsed with zod, and idle timeouts that
 * also watch response bodies while they stream.
 *
 * `timeoutMs` is an idle timeout, not a deadline: a multi-GB upload or download may take far longer, as
 * long as bytes keep moving. It counts only while we wait on the server (for an answer or the next chunk
 * of a body), never while the caller is busy with a chunk it already has.
 */
import { type core, type output, safeParse } from 'zod/mini';
import { describeNetworkError, responseFailure } from './classify';
import { CloudgeneProtocolError, ServiceUnavailableError } from './errors';
import type { MultipartBody } from './multipart';

export interface TransportOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  userAgent?: string;
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

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'imputation-gateway/0.1';
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

  /** Sends the request and turns every non-2xx answer (and every network failure) into a typed error. */
  async send(method: string, path: string, options: RequestOptions, idle: IdleTimeout): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...options.headers,
    };
    if (options.token !== undefined) headers['X-Auth-Token'] = options.token;
    idle.wait();
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: options.body,
        signal: idle.signal,
        // A streamed body: `redirect: 'error'` is what keeps it streamed. With 'follow' (or 'manual'),
        // Node's fetch (undici) clones the request for a possible redirect, teeing the body, and the
        // unread branch of the tee holds every byte sent: a 1 GB submission held 1 GB. A redirected
        // submission could not be replayed anyway (nodejs/undici#4058). Everything else follows redirects.
        ...(options.body instanceof ReadableStream
          ? { duplex: 'half', redirect: 'error' }
          : { redirect: 'follow' }),
      } as RequestInit);
    } catch (error) {
      // Our own input failing (an S3 read, a size mismatch) is not the service's fault: say so as it is.
      if (options.multipart?.sourceError) throw options.multipart.sourceError;
      if (options.multipart && /redirect/i.test(describeNetworkError(error))) {
        throw new CloudgeneProtocolError(
          'The service redirected the submission; a streamed upload cannot follow',
        );
      }
      throw new ServiceUnavailableError(
        `${new URL(this.baseUrl).host} could not be reached (${idle.timedOut ? `no progress for ${this.timeoutMs} ms` : describeNetworkError(error)})`,
      );
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    idle.stop();
    throw responseFailure(response.status, text, options.download);
  }

  async readJson<T extends core.$ZodType>(response: Response, schema: T, what: string): Promise<output<T>> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ServiceUnavailableError(`The ${what} answer broke off (${describeNetworkError(error)})`);
    }
    const serviceStatus = response.status;
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
