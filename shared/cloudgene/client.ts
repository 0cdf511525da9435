/**
 * A client of the Cloudgene 3 REST API shared by Michigan, TOPMed and H3Africa (cloudgene-api.md), with
 * its traps handled once: `X-Auth-Token` without "Bearer", 401 with an empty body, the concurrency-limit
 * 400 that means "wait", checkbox fields that turn on when merely present, result downloads outside
 * /api/v2 that need no token and may redirect. Responses are parsed with zod; failures are typed.
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
import { type ByteSource, multipartBody } from './multipart';
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
  appId: string;
  /** The user's API token; only needed for /api calls. */
  token?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  userAgent?: string;
}

export interface Choice {
  id: string;
  label: string;
}

export interface RefPanel extends Choice {
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
  name: string;
  size?: number;
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

export interface CloudgeneJob {
  id: string;
  name?: string | null;
  state: number;
  positionInQueue?: number;
  submittedOn?: number;
  startTime?: number;
  endTime?: number;
  steps: { name: string; logMessages: { message: string; type: number; time?: number }[] }[];
  outputParams: { name: string; files: { name: string; hash: string; size?: string | number }[] }[];
}

export interface ResultDownload {
  body: ReadableStream<Uint8Array>;
  contentLength: number | null;
  contentType: string | null;
}

const CONCURRENCY_LIMIT = /Only (\d+) jobs? per user can be executed simultaneously/i;
const DOWNLOADS_EXCEEDED = /max(imum)? downloads exceeded/i;

export class CloudgeneClient {
  private readonly baseUrl: string;
  private readonly appId: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  /** Kept off the instance's enumerable fields so it cannot end up in a log line or JSON by accident. */
  readonly #token: string | undefined;

  constructor(options: CloudgeneClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.appId = options.appId;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'imputation-gateway/0.1';
    this.#token = options.token;
  }

  async verifyToken(token: string): Promise<TokenVerification> {
    const response = await this.request('POST', '/api/v2/tokens/verify', {
      body: new URLSearchParams({ token }),
      authenticated: false,
    });
    const parsed = this.parse(verifyTokenResponseSchema, await this.json(response), 'token verification');
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

  async getAppOptions(): Promise<AppOptions> {
    const response = await this.request('GET', `/api/v2/server/apps/${encodeURIComponent(this.appId)}`);
    const app = this.parse(appResponseSchema, await this.json(response), 'app definition');
    const param = (id: string) => app.params.find((p) => p.id === id);
    const choices = (id: string): Choice[] =>
      (param(id)?.values ?? []).flatMap((value) => {
        const option = optionValueSchema.safeParse(value);
        return option.success
          ? [{ id: option.data.key, label: String(option.data.value ?? option.data.key) }]
          : [];
      });
    const defaultOf = (id: string) => {
      const value = param(id)?.value;
      return value === undefined || value === null ? null : String(value);
    };
    const populationsByPanel = new Map<string, Choice[]>();
    for (const value of param('population')?.values ?? []) {
      const binded = bindedValueSchema.safeParse(value);
      if (!binded.success) continue;
      populationsByPanel.set(
        binded.data.key,
        binded.data.values.map((v) => ({ id: v.key, label: String(v.value ?? v.key) })),
      );
    }
    const refPanels = choices('refpanel').map((panel) => ({
      ...panel,
      populations:
        populationsByPanel.get(panel.id) ??
        populationsByPanel.get(withoutVersion(panel.id)) ??
        [...populationsByPanel.entries()].find(
          ([key]) => withoutVersion(key) === withoutVersion(panel.id),
        )?.[1] ??
        [],
    }));
    return {
      appId: app.id ?? this.appId,
      name: app.name ?? this.appId,
      version: app.version ?? null,
      refPanels,
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
    const body = multipartBody(
      fields,
      request.files.map((file) => ({
        field: 'files',
        fileName: file.name,
        size: file.size,
        open: file.stream,
      })),
    );
    const headers: Record<string, string> = { 'Content-Type': body.contentType };
    if (body.contentLength !== null) headers['Content-Length'] = String(body.contentLength);
    const response = await this.request('POST', `/api/v2/jobs/submit/${encodeURIComponent(this.appId)}`, {
      body: body.stream,
      headers,
    });
    const parsed = this.parse(submitResponseSchema, await this.json(response), 'job submission');
    return { id: parsed.id };
  }

  async getJob(id: string): Promise<CloudgeneJob> {
    const response = await this.request('GET', `/api/v2/jobs/${encodeURIComponent(id)}`);
    const job = this.parse(jobResponseSchema, await this.json(response), 'job status');
    return {
      ...job,
      steps: (job.steps ?? []).map((step) => ({ ...step, logMessages: step.logMessages ?? [] })),
      outputParams: (job.outputParams ?? []).map((param) => ({ ...param, files: param.files ?? [] })),
    };
  }

  /** GET, as the API has it; only affects queued or running jobs. */
  async cancelJob(id: string): Promise<void> {
    await this.request('GET', `/api/v2/jobs/${encodeURIComponent(id)}/cancel`);
  }

  /** Pages through the user's jobs (newest first) for one whose name contains `marker`. */
  async findJobByName(marker: string, maxPages = 3): Promise<{ id: string; state?: number } | undefined> {
    for (let page = 1; page <= maxPages; page++) {
      const response = await this.request('GET', `/api/v2/jobs?page=${page}`);
      const list = this.parse(jobListResponseSchema, await this.json(response), 'job list');
      const found = list.data.find((job) => job.name?.includes(marker));
      if (found) return { id: found.id, state: found.state };
      if (list.data.length === 0 || (list.pages !== undefined && page >= list.pages)) return undefined;
    }
    return undefined;
  }

  /**
   * Starts a result download without reading it. The URL is outside /api/v2 and the file hash is its
   * only key, so no token is sent, not even to a redirect target (e.g. a presigned S3 URL).
   */
  async downloadResult(file: { hash: string; name: string }): Promise<ResultDownload> {
    const path = `/share/results/${encodeURIComponent(file.hash)}/${file.name.split('/').map(encodeURIComponent).join('/')}`;
    const response = await this.request('GET', path, { authenticated: false, download: file.name });
    if (!response.body)
      throw new CloudgeneProtocolError(`The download of ${file.name} has no body`, response.status);
    const length = response.headers.get('content-length');
    return {
      body: response.body,
      contentLength: length === null ? null : Number(length),
      contentType: response.headers.get('content-type'),
    };
  }

  private async request(
    method: string,
    path: string,
    options: {
      body?: RequestInit['body'];
      headers?: Record<string, string>;
      authenticated?: boolean;
      /** File name, when the request is a result download (errors differ). */
      download?: string;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...options.headers,
    };
    if (options.authenticated !== false) {
      if (!this.#token) throw new ServiceTokenInvalidError(401, 'No API token was given');
      headers['X-Auth-Token'] = this.#token;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: options.body,
        redirect: 'follow',
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      throw new ServiceUnavailableError(
        `${new URL(this.baseUrl).host} could not be reached (${describeNetworkError(error)})`,
      );
    }
    if (response.ok) return response;
    throw await this.failure(response, options.download);
  }

  private async failure(response: Response, download?: string) {
    const text = await response.text().catch(() => '');
    const message = serviceMessage(text);
    const status = response.status;
    if (status >= 500) {
      return new ServiceUnavailableError(
        `The service answered ${status}${message ? `: ${message}` : ''}`,
        status,
        message,
      );
    }
    if (download) {
      if (status === 400 && message && DOWNLOADS_EXCEEDED.test(message))
        return new DownloadsExhaustedError(download, message);
      if (status === 404) return new CloudgeneNotFoundError(message ?? `download ${download} not found`);
    }
    if (status === 401 || status === 403) return new ServiceTokenInvalidError(status, message);
    if (status === 404) return new CloudgeneNotFoundError(message);
    const limit = message ? CONCURRENCY_LIMIT.exec(message) : null;
    if (status === 400 && limit) return new ConcurrencyLimitError(message as string, Number(limit[1]));
    return new CloudgeneBadRequestError(
      `The service refused the request (${status})${message ? `: ${message}` : ''}`,
      status,
      message,
    );
  }

  private async json(response: Response): Promise<unknown> {
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new CloudgeneProtocolError(
        `The service answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
  }

  private parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new CloudgeneProtocolError(
        `Unexpected ${what} from the service: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data;
  }
}

function withoutVersion(panelId: string): string {
  return panelId.replace(/^(apps@[^@]+)@.*$/, '$1');
}

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
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return trimmed.startsWith('<') ? undefined : trimmed.slice(0, 500);
  }
}

function describeNetworkError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  return err.cause?.code ?? err.cause?.message ?? err.message ?? 'network error';
}
