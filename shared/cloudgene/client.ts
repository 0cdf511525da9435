/**
 * A client of the Cloudgene 3 REST API shared by Michigan, TOPMed and H3Africa (cloudgene-api.md), with
 * its traps handled once: `X-Auth-Token` without "Bearer", 401 with an empty body, the concurrency-limit
 * 400 that means "wait", checkbox fields that turn on when merely present, result downloads outside
 * /api/v2 that need no token and may redirect. Responses are parsed with zod; failures are typed
 * (errors.ts, classify.ts). No AWS dependency: Lambdas, the local stack and benchmarks share it.
 *
 * This module is the API calls and the token; transport.ts is HTTP (idle timeouts, body watching),
 * app-options.ts the normalisation of the app's parameters. A token read from a cache may be stale: when
 * the service refuses it, the client asks `refreshToken` for a fresh read and, if the token changed (the
 * user stored a new one), sends the call again; only a refusal of the fresh token reaches
 * `onTokenRejected`.
 */
import { type AppOptions, toAppOptions } from './app-options';
import { CloudgeneProtocolError, ServiceTokenInvalidError } from './errors';
import { multipartBody } from './multipart';
import type { OutboundPolicy } from './outbound';
import {
  appResponseSchema,
  jobListResponseSchema,
  jobResponseSchema,
  submitResponseSchema,
  verifyTokenResponseSchema,
} from './schemas';
import { type RequestOptions, Transport, watchBody, watchChunks } from './transport';
import type {
  CloudgeneJob,
  CloudgeneJobSummary,
  ResultDownload,
  SubmitJobRequest,
  TokenVerification,
} from './types';

export type { AppOptions, Choice, RefPanel } from './app-options';
export type * from './types';

export interface CloudgeneClientOptions {
  /** Server root, e.g. https://imputationserver.sph.umich.edu (no /api/v2). */
  baseUrl: string;
  /** The imputation app, `imputationserver2` on all three services. */
  appId: string;
  /** The user's API token; only needed for /api calls (not for verifyToken or result downloads). */
  token?: string;
  /**
   * Reads the token afresh (bypassing any cache) after the service refused the one the client has. When
   * it answers a different token, the refused call is sent once more with it; otherwise the refusal stands.
   */
  refreshToken?: () => Promise<string | undefined>;
  fetch?: typeof fetch;
  /** Where a download's redirect may go (outbound.ts): https to public addresses unless loopback is allowed. */
  outbound?: OutboundPolicy;
  /** Longest wait for the server without any progress (default 30 s); see transport.ts. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * Called once when the service refuses the token (401/403 on an authenticated call, after a fresh read
   * found no other token), before the ServiceTokenInvalidError is thrown: lets the caller mark the stored
   * credential as rejected at once.
   */
  onTokenRejected?: (error: ServiceTokenInvalidError) => Promise<void> | void;
}

export class CloudgeneClient {
  private readonly appId: string;
  private readonly transport: Transport;
  /** A private field: never enumerable, so it cannot end up in a log line or JSON by accident. */
  #token: string | undefined;
  private readonly refreshToken: CloudgeneClientOptions['refreshToken'];
  private readonly onTokenRejected: CloudgeneClientOptions['onTokenRejected'];

  constructor(options: CloudgeneClientOptions) {
    this.appId = options.appId;
    this.transport = new Transport(options);
    this.#token = options.token;
    this.refreshToken = options.refreshToken;
    this.onTokenRejected = options.onTokenRejected;
  }

  /** Checks a token without using it (no auth header), e.g. before storing it for a user. */
  async verifyToken(token: string): Promise<TokenVerification> {
    const parsed = await this.transport.json(
      verifyTokenResponseSchema,
      'token verification',
      'POST',
      '/api/v2/tokens/verify',
      { body: new URLSearchParams({ token }) },
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
    const path = `/api/v2/server/apps/${encodeURIComponent(this.appId)}`;
    const app = await this.authenticated((token) =>
      this.transport.json(appResponseSchema, 'app definition', 'GET', path, { token }),
    );
    return toAppOptions(app, this.appId);
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

    // A refused token leaves no job at the service: a retry with a new token builds the body anew.
    return this.authenticated(async (token) => {
      const idle = this.transport.idleTimeout();
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
        const response = await this.transport.send(
          'POST',
          `/api/v2/jobs/submit/${encodeURIComponent(this.appId)}`,
          { body: body.stream, headers, multipart: body, token },
          idle,
        );
        const parsed = await this.transport.readJson(response, submitResponseSchema, 'job submission');
        return { id: parsed.id };
      } finally {
        idle.stop();
      }
    });
  }

  async getJob(id: string): Promise<CloudgeneJob> {
    const path = `/api/v2/jobs/${encodeURIComponent(id)}`;
    return this.authenticated((token) =>
      this.transport.json(jobResponseSchema, 'job status', 'GET', path, { token }),
    );
  }

  /** GET, as the API has it; only affects queued or running jobs (state 6 follows). */
  async cancelJob(id: string): Promise<void> {
    await this.authenticated(async (token) => {
      const idle = this.transport.idleTimeout();
      try {
        const path = `/api/v2/jobs/${encodeURIComponent(id)}/cancel`;
        const response = await this.transport.send('GET', path, { token }, idle);
        await response.body?.cancel();
      } finally {
        idle.stop();
      }
    });
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
    return (await this.listJobs(maxPages)).jobs;
  }

  /** Up to `maxPages` pages of the user's jobs, and whether that was all of them. */
  async listJobs(maxPages: number): Promise<{ jobs: CloudgeneJobSummary[]; complete: boolean }> {
    const jobs: CloudgeneJobSummary[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const list = await this.authenticated((token) =>
        this.transport.json(jobListResponseSchema, 'job list', 'GET', `/api/v2/jobs?page=${page}`, { token }),
      );
      jobs.push(...list.data.map((job) => ({ id: job.id, name: job.name, state: job.state })));
      if (list.data.length === 0 || (list.pages !== undefined && page >= list.pages)) {
        return { jobs, complete: true };
      }
    }
    return { jobs, complete: false };
  }

  /**
   * Starts a result download without reading it. The URL is outside /api/v2 and the file hash is its
   * only key, so no token is sent, and thus none can reach a redirect target (a presigned S3 URL), which
   * is followed by hand (transport.ts `follow`).
   */
  async downloadResult(file: { hash: string; name: string }): Promise<ResultDownload> {
    const path = `/share/results/${encodeURIComponent(file.hash)}/${file.name.split('/').map(encodeURIComponent).join('/')}`;
    const idle = this.transport.idleTimeout();
    const options: RequestOptions = { download: file.name, headers: { Accept: '*/*' } };
    let response: Response;
    try {
      ({ response } = await this.transport.follow({ path }, options, idle));
    } catch (error) {
      idle.stop();
      throw error;
    }
    if (!response.body) {
      idle.stop();
      throw new CloudgeneProtocolError(`The download of ${file.name} has no body`, {
        serviceStatus: response.status,
      });
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

  /**
   * Runs an authenticated call with the current token. A refusal (or no token at all) gets one fresh read
   * of the token: a different one is adopted and the call sent again. A refusal that stands is reported
   * to `onTokenRejected` once, when the service itself refused (not for a token we never had).
   */
  private async authenticated<T>(call: (token: string) => Promise<T>): Promise<T> {
    const attempt = () => {
      const token = this.#token;
      return token ? call(token) : Promise.reject(new MissingTokenError());
    };
    let refusal: ServiceTokenInvalidError;
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ServiceTokenInvalidError)) throw error;
      refusal = error;
    }
    if (await this.adoptFreshToken(this.#token)) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ServiceTokenInvalidError)) throw error;
        refusal = error;
      }
    }
    if (!(refusal instanceof MissingTokenError)) await this.reportRejectedToken(refusal);
    throw refusal;
  }

  /** Whether a fresh read found a token other than the refused one (a failed read finds none). */
  private async adoptFreshToken(refused: string | undefined): Promise<boolean> {
    if (!this.refreshToken) return false;
    const fresh = await this.refreshToken().catch(() => undefined);
    if (!fresh || fresh === refused) return false;
    this.#token = fresh;
    return true;
  }

  /** The hook must never hide the service's answer: its own failure is swallowed. */
  private async reportRejectedToken(error: ServiceTokenInvalidError): Promise<void> {
    try {
      await this.onTokenRejected?.(error);
    } catch {
      // The caller still gets the ServiceTokenInvalidError; marking the credential is best effort.
    }
  }
}

/** No token to send: refused before anything goes out, as the service would refuse it (401). */
class MissingTokenError extends ServiceTokenInvalidError {
  constructor() {
    super(401);
  }
}

/** ISO string (Cloudgene 3) or epoch ms as number or digits (Cloudgene 2 clones). */
function toDate(expire: string | number | null | undefined): Date | null {
  if (expire === null || expire === undefined || expire === '') return null;
  const date =
    typeof expire === 'number' ? new Date(expire) : new Date(/^\d+$/.test(expire) ? Number(expire) : expire);
  return Number.isNaN(date.getTime()) ? null : date;
}
