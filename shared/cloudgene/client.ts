/**
 * A client of the Cloudgene 3 REST API shared by Michigan, TOPMed and H3Africa (cloudgene-api.md), with
 * its traps handled once: `X-Auth-Token` without "Bearer", 401 with an empty body, the concurrency-limit
 * 400 that means "wait", checkbox fields that turn on when merely present, result downloads outside
 * /api/v2 that need no token and may redirect. Responses are parsed with zod; failures are typed
 * (errors.ts). No AWS dependency: Lambdas, the local stack and benchmarks share it.
 *
 * `timeoutMs` is an idle timeout, not a deadline: a multi-GB upload or download may take far longer, as
 * long as bytes keep moving. It counts only while we wait on the server (for an answer or the next chunk
 * of a body), never while the caller is busy with a chunk it already has.
 */
import type { z } from 'zod';
import {
  CloudgeneBadRequestError,
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ConcurrencyLimitError,
  DownloadsExhaustedError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from './errors';
import { type ByteSource, type MultipartBody, multipartBody } from './multipart';
import {
  appResponseSchema,
  bindedValueSchema,
  jobListResponseSchema,
  jobResponseSchema,
  optionValueSchema,
  submitResponseSchema,
  verifyTokenResponseSchema,
} from './schemas';

export interface CloudgeneClientOptions {
  /** Server root, e.g. https://imputationserver.sph.umich.edu (no /api/v2). */
  baseUrl: string;
  /** The imputation app, `imputationserver2` on all three services. */
  appId: string;
  /** The user's API token; only needed for /api calls (not for verifyToken or result downloads). */
  token?: string;
  fetch?: typeof fetch;
  /** Longest wait for the server without any progress (default 30 s); see the module comment. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * Called once when the service refuses the token (401/403 on an authenticated call), before the
   * ServiceTokenInvalidError is thrown: lets the caller mark the stored credential as rejected at once.
   */
  onTokenRejected?: (error: ServiceTokenInvalidError) => Promise<void> | void;
}

export interface Choice {
  id: string;
  label: string;
}

export interface RefPanel extends Choice {
  /** The populations this panel offers (Michigan: eur/afr/…; TOPMed: all/off). */
  populations: Choice[];
}

/** The options of the imputation app, normalised from its parameter list. */
export interface AppOptions {
  appId: string;
  name: string;
  version: string | null;
  refPanels: RefPanel[];
  builds: Choice[];
  phasing: Choice[];
  modes: Choice[];
  r2Filters: Choice[];
  defaults: { build: string | null; phasing: string | null; mode: string | null; r2Filter: string | null };
}

export type TokenVerification =
  | { valid: true; username: string; name?: string; mail?: string; expiresAt: Date | null; message: string }
  | { valid: false; message: string };

export interface SubmitFile {
  /** File name as the service shows it (e.g. `chr20.vcf.gz`). */
  name: string;
  /** Byte length; when every file has one, the request gets an exact Content-Length instead of chunks. */
  size?: number;
  /** Opens the bytes; called once, when the upload reaches this file. */
  stream: () => ByteSource | Promise<ByteSource>;
}

export interface SubmitJobRequest {
  jobName: string;
  refPanel: string;
  build: string;
  phasing: string;
  population: string;
  mode: string;
  r2Filter: string;
  /** Always set: otherwise the service invents one and e-mails it. */
  password: string;
  aesEncryption?: boolean;
  meta?: boolean;
  files: SubmitFile[];
}

export interface CloudgeneLogMessage {
  message: string;
  /** 0 ok, 1 error, 2 warning, 3 running. */
  type: number;
  time?: number;
}

export interface CloudgeneResultFile {
  name: string;
  hash: string;
  /** Human-readable ("314 MB"); the real length is the download's Content-Length. */
  size?: string | number;
  path?: string | null;
}

export interface CloudgeneJob {
  id: string;
  name?: string | null;
  /** Cloudgene state code: -1 dead, 1 queued, 2 running, 3 exporting, 4 success, 5 failed, 6 canceled, 7 retired, 8 success (retirement notice sent), 9 failed (notice), 10 deleted. */
  state: number;
  positionInQueue?: number;
  submittedOn?: number;
  startTime?: number;
  endTime?: number;
  steps: { name: string; logMessages: CloudgeneLogMessage[] }[];
  outputParams: {
    name: string;
    /** Cloudgene 3 may send these flags; when it does not, the parameter name is all we know. */
    adminOnly?: boolean;
    download?: boolean;
    files: CloudgeneResultFile[];
  }[];
}

/** One entry of the user's job list (`GET /api/v2/jobs`, newest first). */
export interface CloudgeneJobSummary {
  id: string;
  name?: string | null;
  state?: number;
}

export interface ResultDownload {
  /** Not yet read; reading errors (a cut or stalled connection) surface as ServiceUnavailableError. */
  body: ReadableStream<Uint8Array>;
  /**
   * The same bytes as an async iterator, without a second web stream in between (a copy of many GB is
   * CPU-bound: every stream layer per chunk counts). Use either this or `body`, once.
   */
  chunks(): AsyncGenerator<Uint8Array>;
  contentLength: number | null;
  contentType: string | null;
}

const CONCURRENCY_LIMIT = /Only (\d+) jobs? per user can be executed simultaneously/i;
const DOWNLOADS_EXCEEDED = /max(imum)? downloads exceeded/i;

interface ExchangeOptions {
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  /** false for calls that must never carry the token (token verification, result downloads). */
  authenticated?: boolean;
  /** The file name, when the request is a result download (its errors mean other things). */
  download?: string;
  /** The streamed submission body, whose own failure must not be mistaken for the service's. */
  multipart?: MultipartBody;
}

export class CloudgeneClient {
  private readonly baseUrl: string;
  private readonly appId: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  /** A private field: never enumerable, so it cannot end up in a log line or JSON by accident. */
  readonly #token: string | undefined;
  private readonly onTokenRejected: CloudgeneClientOptions['onTokenRejected'];

  constructor(options: CloudgeneClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.appId = options.appId;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'imputation-gateway/0.1';
    this.#token = options.token;
    this.onTokenRejected = options.onTokenRejected;
  }

  /** Checks a token without using it (no auth header), e.g. before storing it for a user. */
  async verifyToken(token: string): Promise<TokenVerification> {
    const parsed = await this.json(
      verifyTokenResponseSchema,
      'token verification',
      'POST',
      '/api/v2/tokens/verify',
      {
        body: new URLSearchParams({ token }),
        authenticated: false,
      },
    );
    if (!parsed.valid) return { valid: false, message: parsed.message || 'Invalid API Token.' };
    return {
      valid: true,
      username: parsed.username ?? '',
      name: parsed.name ?? undefined,
      mail: parsed.mail ?? undefined,
      expiresAt: toDate(parsed.expire),
      message: parsed.message,
    };
  }

  /** The app's panels (with their populations), builds, phasing, modes and r2 filters, with defaults. */
  async getAppOptions(): Promise<AppOptions> {
    const app = await this.json(
      appResponseSchema,
      'app definition',
      'GET',
      `/api/v2/server/apps/${encodeURIComponent(this.appId)}`,
    );
    const param = (id: string) => app.params.find((p) => p.id === id);
    const choices = (id: string): Choice[] => (param(id)?.values ?? []).flatMap(toChoice);
    const defaultOf = (id: string) => {
      const value = param(id)?.value;
      return value === undefined || value === null || typeof value === 'object' ? null : String(value);
    };

    const population = param('population');
    // A binded_list holds one choice list per panel; an unbound list (older apps) applies to every panel.
    const populationsByPanel = new Map<string, Choice[]>();
    let populationsForAll: Choice[] = [];
    if (population?.type === 'binded_list' || population?.values?.some(hasNestedValues)) {
      for (const value of population.values ?? []) {
        const binded = bindedValueSchema.safeParse(value);
        if (binded.success)
          populationsByPanel.set(binded.data.key, (binded.data.values ?? []).flatMap(toChoice));
      }
    } else if (population) {
      populationsForAll = choices('population');
    }
    const populationsOf = (panelId: string): Choice[] =>
      populationsByPanel.get(panelId) ??
      [...populationsByPanel.entries()].find(
        ([key]) => withoutVersion(key) === withoutVersion(panelId),
      )?.[1] ??
      populationsForAll;

    return {
      appId: app.id ?? this.appId,
      name: app.name ?? this.appId,
      version: app.version ?? null,
      refPanels: choices('refpanel').map((panel) => ({ ...panel, populations: populationsOf(panel.id) })),
      builds: choices('build'),
      phasing: choices('phasing'),
      modes: choices('mode'),
      r2Filters: choices('r2Filter'),
      defaults: {
        build: defaultOf('build'),
        phasing: defaultOf('phasing'),
        mode: defaultOf('mode'),
        r2Filter: defaultOf('r2Filter'),
      },
    };
  }

  /**
   * Submits a job as a streamed multipart upload (never buffered). A 200 only means "queued": input
   * validation, and even the panel lookup, happen after the job starts.
   */
  async submitJob(request: SubmitJobRequest): Promise<{ id: string }> {
    const fields: [string, string][] = [
      ['job-name', request.jobName],
      ['refpanel', request.refPanel],
      ['build', request.build],
      ['phasing', request.phasing],
      ['population', request.population],
      ['mode', request.mode],
      ['r2Filter', request.r2Filter],
      ['password', request.password],
    ];
    // Cloudgene turns a checkbox on when the field is present at all, whatever its value.
    if (request.aesEncryption) fields.push(['aesEncryption', 'yes']);
    if (request.meta) fields.push(['meta', 'yes']);

    const idle = new IdleTimeout(this.timeoutMs);
    const body = multipartBody(
      fields,
      request.files.map((file) => ({
        field: 'files',
        fileName: file.name,
        size: file.size,
        open: file.stream,
      })),
      () => idle.progress(),
    );
    const headers: Record<string, string> = { 'Content-Type': body.contentType };
    if (body.contentLength !== null) headers['Content-Length'] = String(body.contentLength);
    try {
      const response = await this.exchange(
        'POST',
        `/api/v2/jobs/submit/${encodeURIComponent(this.appId)}`,
        { body: body.stream, headers, multipart: body },
        idle,
      );
      const parsed = await this.readJson(response, submitResponseSchema, 'job submission');
      return { id: parsed.id };
    } finally {
      idle.stop();
    }
  }

  async getJob(id: string): Promise<CloudgeneJob> {
    return this.json(jobResponseSchema, 'job status', 'GET', `/api/v2/jobs/${encodeURIComponent(id)}`);
  }

  /** GET, as the API has it; only affects queued or running jobs (state 6 follows). */
  async cancelJob(id: string): Promise<void> {
    const idle = new IdleTimeout(this.timeoutMs);
    try {
      const response = await this.exchange('GET', `/api/v2/jobs/${encodeURIComponent(id)}/cancel`, {}, idle);
      await response.body?.cancel();
    } finally {
      idle.stop();
    }
  }

  /**
   * Pages through the user's jobs (newest first) for one whose name contains `marker`: finds a submission
   * again whose answer was lost (connection dropped after the service accepted it).
   */
  async findJobByName(marker: string, maxPages = 3): Promise<{ id: string; state?: number } | undefined> {
    const found = (await this.listRecentJobs(maxPages)).find((job) => job.name?.includes(marker));
    return found ? { id: found.id, state: found.state } : undefined;
  }

  /**
   * The user's most recent jobs, newest first, from the first `maxPages` pages of the job list: what the
   * service counts against the per-user limit (states 1–3) and where a lost submission shows up again.
   */
  async listRecentJobs(maxPages = 3): Promise<CloudgeneJobSummary[]> {
    const jobs: CloudgeneJobSummary[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const list = await this.json(jobListResponseSchema, 'job list', 'GET', `/api/v2/jobs?page=${page}`);
      jobs.push(...list.data.map((job) => ({ id: job.id, name: job.name, state: job.state })));
      if (list.data.length === 0 || (list.pages !== undefined && page >= list.pages)) break;
    }
    return jobs;
  }

  /**
   * Starts a result download without reading it. The URL is outside /api/v2 and the file hash is its
   * only key, so no token is sent, and thus none can reach a redirect target (a presigned S3 URL).
   */
  async downloadResult(file: { hash: string; name: string }): Promise<ResultDownload> {
    const path = `/share/results/${encodeURIComponent(file.hash)}/${file.name.split('/').map(encodeURIComponent).join('/')}`;
    const idle = new IdleTimeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.exchange(
        'GET',
        path,
        { authenticated: false, download: file.name, headers: { Accept: '*/*' } },
        idle,
      );
    } catch (error) {
      idle.stop();
      throw error;
    }
    if (!response.body) {
      idle.stop();
      throw new CloudgeneProtocolError(`The download of ${file.name} has no body`, response.status);
    }
    const length = response.headers.get('content-length');
    const raw = response.body;
    let taken = false;
    const take = () => {
      if (taken) throw new Error(`The download of ${file.name} was already read`);
      taken = true;
      return raw;
    };
    // Nothing is read yet: the caller holds the download, the server is not to blame for the pause.
    idle.hold();
    let body: ReadableStream<Uint8Array> | undefined;
    return {
      get body() {
        body ??= watchBody(take(), idle, file.name);
        return body;
      },
      chunks: () => watchChunks(take(), idle, file.name),
      contentLength: length === null || !/^\d+$/.test(length) ? null : Number(length),
      contentType: response.headers.get('content-type'),
    };
  }

  /** One JSON call: request, status check, body parsed with the schema, all under one idle timeout. */
  private async json<T extends z.ZodType>(
    schema: T,
    what: string,
    method: string,
    path: string,
    options: ExchangeOptions = {},
  ): Promise<z.infer<T>> {
    const idle = new IdleTimeout(this.timeoutMs);
    try {
      return await this.readJson(await this.exchange(method, path, options, idle), schema, what);
    } finally {
      idle.stop();
    }
  }

  /** Sends the request and turns every non-2xx answer (and every network failure) into a typed error. */
  private async exchange(
    method: string,
    path: string,
    options: ExchangeOptions,
    idle: IdleTimeout,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...options.headers,
    };
    if (options.authenticated !== false) {
      if (!this.#token) throw new ServiceTokenInvalidError(401);
      headers['X-Auth-Token'] = this.#token;
    }
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
    const failure = await this.failure(response, idle, options.download);
    if (failure instanceof ServiceTokenInvalidError && options.authenticated !== false) {
      await this.reportRejectedToken(failure);
    }
    throw failure;
  }

  /** The hook must never hide the service's answer: its own failure is swallowed. */
  private async reportRejectedToken(error: ServiceTokenInvalidError): Promise<void> {
    try {
      await this.onTokenRejected?.(error);
    } catch {
      // The caller still gets the ServiceTokenInvalidError; marking the credential is best effort.
    }
  }

  private async failure(response: Response, idle: IdleTimeout, download?: string) {
    const text = await response.text().catch(() => '');
    idle.stop();
    const message = serviceMessage(text);
    const status = response.status;
    const said = message ? `: ${message}` : '';
    if (status >= 500)
      return new ServiceUnavailableError(`The service answered ${status}${said}`, status, message);
    if (download) {
      if (message && DOWNLOADS_EXCEEDED.test(message)) return new DownloadsExhaustedError(download, message);
      if (status === 404) return new CloudgeneNotFoundError(message ?? `download ${download} not found`);
      // No token was sent: a 401/403 here is an expired presigned URL or similar, not our token.
      return new CloudgeneBadRequestError(
        `The download of ${download} was refused (${status})${said}`,
        status,
        message,
      );
    }
    if (status === 401 || status === 403) return new ServiceTokenInvalidError(status, message);
    if (status === 404) return new CloudgeneNotFoundError(message);
    const limit = message ? CONCURRENCY_LIMIT.exec(message) : null;
    if (limit && message) return new ConcurrencyLimitError(message, Number(limit[1]));
    return new CloudgeneBadRequestError(
      `The service refused the request (${status})${said}`,
      status,
      message,
    );
  }

  private async readJson<T extends z.ZodType>(
    response: Response,
    schema: T,
    what: string,
  ): Promise<z.infer<T>> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ServiceUnavailableError(`The ${what} answer broke off (${describeNetworkError(error)})`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CloudgeneProtocolError(
        `The ${what} answer (${response.status}) is not JSON`,
        response.status,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CloudgeneProtocolError(
        `Unexpected ${what} from the service: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`,
        response.status,
      );
    }
    return parsed.data;
  }
}

/**
 * Aborts a request when the server makes no progress for `ms`. Cheap per chunk: progress only stamps a
 * time; the single timer re-arms itself for the remainder when it fires early.
 */
class IdleTimeout {
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

/** The download body, read on demand under the idle timeout; a broken stream says why, typed. */
/** watchBody as an async generator: the idle timeout runs only while we wait for the next chunk. */
async function* watchChunks(
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
        throw new ServiceUnavailableError(
          `The download of ${fileName} broke off (${idle.timedOut ? 'no data for too long' : describeNetworkError(error)})`,
        );
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

function watchBody(
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
          controller.error(
            new ServiceUnavailableError(
              `The download of ${fileName} broke off (${idle.timedOut ? 'no data for too long' : describeNetworkError(error)})`,
            ),
          );
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

function toChoice(value: unknown): Choice[] {
  const option = optionValueSchema.safeParse(value);
  if (!option.success) return [];
  const { key, value: label } = option.data;
  return [{ id: key, label: label === null || label === undefined || label === '' ? key : String(label) }];
}

function hasNestedValues(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { values?: unknown }).values);
}

/** `apps@hapmap-2@2.0.0` → `apps@hapmap-2`: servers list panels with versions that ids may leave off. */
function withoutVersion(panelId: string): string {
  return panelId.replace(/^(apps@[^@]+)@.*$/, '$1');
}

/** ISO string (Cloudgene 3) or epoch ms as number or digits (Cloudgene 2 clones). */
function toDate(expire: string | number | null | undefined): Date | null {
  if (expire === null || expire === undefined || expire === '') return null;
  const date =
    typeof expire === 'number' ? new Date(expire) : new Date(/^\d+$/.test(expire) ? Number(expire) : expire);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The service's message from a JSON `{message}` body, or a short plain-text body; never HTML pages. */
function serviceMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as { message?: unknown };
    return typeof parsed?.message === 'string' && parsed.message ? parsed.message : undefined;
  } catch {
    return trimmed.startsWith('<') ? undefined : trimmed.slice(0, 500);
  }
}

function describeNetworkError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? 'network error';
}
