/**
 * A Cloudgene 3 server (imputationserver2 app) on 127.0.0.1 that behaves like Michigan, TOPMed and
 * AfriGen-D as cloudgene-api.md describes them, traps included: 401 with an empty body, 403 for revoked
 * tokens, unknown-field 400s, the per-user concurrency-limit 400, wrong panels that fail only after the
 * job starts, state codes -1..10 (8 = success, still downloadable), HTML in log messages, share URLs
 * outside /api/v2 that may redirect and count downloads, no /results endpoint. Uploads are hashed as
 * they stream and result files are generated from a seed, so GB-sized transfers cost no memory.
 *
 * Unit tests, the workflow tests, benchmarks and the local stack use it; README.md next to this file
 * describes the interface, the admin HTTP API (for control from another process) and the CLI.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ADMIN_ONLY_PARAMS,
  appParams,
  DEFAULT_RESULT_FILES,
  type PanelDefinition,
  type ResultFileSpec,
  SIMULATOR_PRESETS,
  type SimulatorPresetName,
} from './fixtures';
import { type ParsedPart, parseMultipart } from './multipart-parser';
import { humanSize, resultSha256, resultStream } from './result-bytes';

export {
  DEFAULT_PANELS,
  DEFAULT_RESULT_FILES,
  H3AFRICA_PANELS,
  MICHIGAN_PANELS,
  type PanelDefinition,
  type ResultFileSpec,
  SIMULATOR_PRESETS,
  type SimulatorPresetName,
  TOPMED_PANELS,
} from './fixtures';

/**
 * How a submitted job behaves on the clock:
 * - `success`: queued (1) → running (2) → exporting (3) → success (4);
 * - `fail`: queued → running → failed (5) with an error (type 1) log message;
 * - `slow-queue`: a busy service — an hour in the queue behind 120 other jobs, then success
 *   (move it with `advance()` or `setJobState()`);
 * - `dead`: queued → running → -1 (dead, restartable with `/restart`);
 * - `manual`: stays queued until the test moves it with `setJobState()`.
 * A job whose panel the server does not have fails (5) once it leaves the queue, whatever the scenario.
 */
export type JobScenarioName = 'success' | 'fail' | 'slow-queue' | 'dead' | 'manual';

export interface JobTiming {
  queueMs: number;
  runMs: number;
  exportMs: number;
}

/** A scenario spelled out, for what the named ones do not cover. */
export interface JobScenario {
  outcome: 'success' | 'fail' | 'dead' | 'manual';
  timing?: Partial<JobTiming>;
  /** The type-1 log message of a failed job. */
  failMessage?: string;
  /** Other users' jobs queued ahead; the position counts down over `queueMs`. */
  queueAhead?: number;
  /** Result files of this job instead of the server's. */
  resultFiles?: ResultFileSpec[];
}

/** What the server received, for scenario functions and for test assertions. */
export interface ReceivedSubmission {
  user: string;
  fields: Record<string, string>;
  files: ReceivedFile[];
}

export interface ReceivedFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** Global scenario: a name, a spelled-out scenario, or a function choosing per submission. */
export type ScenarioSetting =
  | JobScenarioName
  | JobScenario
  | ((submission: ReceivedSubmission) => JobScenarioName | JobScenario);

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  appId?: string;
  /** Instance-like defaults (panels, limit, redirects); the options below override them. */
  preset?: SimulatorPresetName;
  panels?: PanelDefinition[];
  /** App parameters this server lacks: submitting one of them gets "Parameter 'X' not found." */
  withoutParams?: string[];
  /** Jobs per user in states -1/1/2/3 before submissions get the concurrency-limit 400 (default 2). */
  concurrencyLimit?: number;
  maxDownloadsPerFile?: number;
  /** Serve every result file through a presigned-style redirect (TOPMed); a file's `redirect` wins. */
  redirectDownloads?: boolean;
  scenario?: ScenarioSetting;
  timing?: Partial<JobTiming>;
  resultFiles?: ResultFileSpec[];
  /** Days a minted token is valid (Cloudgene's default: 30). */
  tokenDays?: number;
  /** `epoch-ms` answers token expiry like Cloudgene 2 clones do. */
  expireFormat?: 'iso' | 'epoch-ms';
  /** Submissions larger than this get 413 (the services stop at about 5000 MB). */
  maxUploadBytes?: number;
  /** Time source (default Date.now); `advance()` adds to it. */
  clock?: () => number;
  /** Serve the /__admin API (default true). */
  admin?: boolean;
  /** Keep users, tokens, jobs and download counters in this JSON file across restarts (the local stack). */
  stateFile?: string;
}

export interface SimulatedUser {
  username: string;
  name: string;
  mail: string;
  /** The user's current API token; earlier ones answer 403. */
  token: string;
  expire: Date;
  revoked: boolean;
  /** Jobs the user runs outside our gateway (e.g. from the web UI): they count against the limit. */
  otherActiveJobs: number;
  /** Admin accounts also see admin-only output parameters (the `cloudgene_logs` logs). */
  admin?: boolean;
}

export interface SimulatedResultFile extends ResultFileSpec {
  hash: string;
  /** Contents are `resultStream(seed, size)`; `resultSha256(seed, size)` is their digest. */
  seed: string;
  downloads: number;
}

export interface SimulatedJob extends ReceivedSubmission {
  id: string;
  name: string;
  /** How the request body came: exact Content-Length or chunked. */
  upload: { contentLength: number | null; chunked: boolean; bytes: number };
  submittedAt: number;
  /** The lifecycle clock's start (the submission, or the last restart). */
  clockStart: number;
  scenario: JobScenarioName | 'custom';
  outcome: JobScenario['outcome'];
  timing: JobTiming;
  queueAhead: number;
  /** A state set by a test or by cancel; wins over the clock. */
  override?: number;
  overrideAt?: number;
  failMessage?: string;
  results: SimulatedResultFile[];
}

export interface RequestRecord {
  /** The HTTP method; `DROPPED` for a request processed but never answered (`reset-after`). */
  method: string;
  path: string;
  /** 0 when the connection was reset without an answer. */
  status: number;
  at: number;
  /** Whether the request carried an X-Auth-Token header. */
  authenticated: boolean;
  outcome: 'answered' | 'reset' | 'dropped' | 'truncated' | 'stalled';
}

/**
 * A fault for the next `times` (default 1) matching requests. Statuses:
 * - a number: answer it (`body` or, for 503, Cloudgene's maintenance text) without processing;
 * - `reset`: destroy the connection without an answer;
 * - `reset-after`: process the request (e.g. accept a submission), then drop the connection;
 * - `truncate`: answer with the full Content-Length but cut the connection halfway through the body;
 * - `stall`: answer with headers and half the body, then send nothing more (until close()).
 * `delayMs` waits before any of this; with no `status` the request is then served normally.
 */
export interface FaultRule {
  method?: string;
  /** A path prefix, or a regular expression on the path. */
  path: string | RegExp;
  status?: number | 'reset' | 'reset-after' | 'truncate' | 'stall';
  body?: string;
  delayMs?: number;
  /** Holds the request until this promise settles (in-process tests: make a race happen on cue). */
  gate?: Promise<unknown>;
  times?: number;
}

type AnswerMode = 'dropped' | 'truncated' | 'stalled';

const KNOWN_SCENARIOS: Record<JobScenarioName, JobScenario> = {
  success: { outcome: 'success' },
  fail: { outcome: 'fail' },
  'slow-queue': { outcome: 'success', timing: { queueMs: 60 * 60_000 }, queueAhead: 120 },
  dead: { outcome: 'dead' },
  manual: { outcome: 'manual' },
};
/** States that count against the per-user limit. */
const ACTIVE_STATES = new Set([-1, 1, 2, 3]);
const SUCCESS_STATES = new Set([4, 8]);
const PAGE_SIZE = 25;
const DEFAULT_FAIL_MESSAGE = '<b>Error:</b> No chunks passed the QC step. Imputation cannot be started!';

export class CloudgeneSimulator {
  readonly users = new Map<string, SimulatedUser>();
  readonly jobs: SimulatedJob[] = [];
  readonly requests: RequestRecord[] = [];
  /** Every token ever minted, to tell a replaced one (403) from an unknown one (401). */
  private readonly tokens = new Map<string, string>();
  private readonly faults: (FaultRule & { remaining: number })[] = [];
  private readonly answerModes = new WeakMap<ServerResponse, AnswerMode>();
  private secret = randomBytes(32);
  /** Requests a fault is holding right now (`delayMs`, `gate`). */
  held = 0;
  private readonly stateFile: string | undefined;
  private readonly clock: () => number;
  private clockOffset = 0;
  private server: Server | undefined;
  url = '';
  readonly appId: string;
  panels: PanelDefinition[];
  withoutParams: string[];
  concurrencyLimit: number;
  maxDownloadsPerFile: number;
  redirectDownloads: boolean;
  /** Applies to jobs submitted from now on. */
  scenario: ScenarioSetting;
  timing: JobTiming;
  resultFiles: ResultFileSpec[];
  tokenDays: number;
  expireFormat: 'iso' | 'epoch-ms';
  maxUploadBytes: number;
  readonly admin: boolean;

  constructor(options: SimulatorOptions = {}) {
    const preset = SIMULATOR_PRESETS[options.preset ?? 'michigan'];
    this.appId = options.appId ?? 'imputationserver2';
    this.panels = options.panels ?? preset.panels;
    this.withoutParams = options.withoutParams ?? [];
    this.concurrencyLimit = options.concurrencyLimit ?? preset.concurrencyLimit;
    this.maxDownloadsPerFile = options.maxDownloadsPerFile ?? preset.maxDownloadsPerFile;
    this.redirectDownloads = options.redirectDownloads ?? preset.redirectDownloads;
    this.scenario = options.scenario ?? 'success';
    this.timing = { queueMs: 100, runMs: 300, exportMs: 100, ...options.timing };
    this.resultFiles = options.resultFiles ?? DEFAULT_RESULT_FILES;
    this.tokenDays = options.tokenDays ?? 30;
    this.expireFormat = options.expireFormat ?? 'iso';
    this.maxUploadBytes = options.maxUploadBytes ?? 5000 * 1024 * 1024;
    this.clock = options.clock ?? Date.now;
    this.admin = options.admin ?? true;
    this.stateFile = options.stateFile;
    if (this.stateFile && existsSync(this.stateFile)) this.restore(this.stateFile);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.send(response, 500, { success: false, message: String(error) });
        else response.destroy();
      });
    });
    this.server = server;
    server.listen(port, host);
    await once(server, 'listening');
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The simulator's time: the clock plus everything `advance()` added. */
  now(): number {
    return this.clock() + this.clockOffset;
  }

  /** Moves time forward: jobs progress and tokens expire as if `ms` had passed. */
  advance(ms: number): void {
    this.clockOffset += ms;
    this.persist();
  }

  /**
   * Creates a user (or gives an existing one a new token, which revokes the previous one, as at the
   * service) and returns the API token: an HS256 JWT as Cloudgene mints them, unless `token` is given.
   */
  addUser(user: {
    username: string;
    name?: string;
    mail?: string;
    expire?: Date;
    token?: string;
    admin?: boolean;
  }): string {
    const expire = user.expire ?? new Date(this.now() + this.tokenDays * 86_400_000);
    const token = user.token ?? this.mintToken(user.username, expire);
    const existing = this.users.get(user.username);
    this.users.set(user.username, {
      username: user.username,
      name: user.name ?? existing?.name ?? user.username,
      mail: user.mail ?? existing?.mail ?? `${user.username}@example.org`,
      token,
      expire,
      revoked: false,
      otherActiveJobs: existing?.otherActiveJobs ?? 0,
      admin: user.admin ?? existing?.admin ?? false,
    });
    this.tokens.set(token, user.username);
    this.persist();
    return token;
  }

  /** The user's current token answers 403 from now on (as when a newer one replaced it). */
  revokeToken(username: string): void {
    this.user(username).revoked = true;
    this.persist();
  }

  /** The user's current token is past its expiry: 401 with an empty body. */
  expireToken(username: string): void {
    this.user(username).expire = new Date(this.now() - 1000);
    this.persist();
  }

  /** Counts `count` jobs of the user as running elsewhere (e.g. started in the web UI). */
  setOtherActiveJobs(username: string, count: number): void {
    this.user(username).otherActiveJobs = count;
    this.persist();
  }

  /** Forces a job into a state (e.g. 4 done, 5 with a message, 7 retired, 10 deleted); the clock no longer moves it. */
  setJobState(id: string, state: number, failMessage?: string): void {
    const job = this.job(id);
    job.override = state;
    job.overrideAt = this.now();
    if (failMessage) job.failMessage = failMessage;
    this.persist();
  }

  /** The next `times` matching requests fail as the rule says. */
  failNext(rule: FaultRule): void {
    this.faults.push({ ...rule, remaining: rule.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  job(id: string): SimulatedJob {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`no simulated job ${id}`);
    return job;
  }

  /** Jobs the user submitted, oldest first. */
  submissionsOf(username: string): SimulatedJob[] {
    return this.jobs.filter((j) => j.user === username);
  }

  /** @deprecated use `jobs`. */
  submissions(): SimulatedJob[] {
    return this.jobs;
  }

  /** Size and SHA-256 a download of the job's result file must have. */
  expectedResult(jobId: string, name: string): { size: number; sha256: string } {
    const file = this.job(jobId).results.find((r) => r.name === name);
    if (!file) throw new Error(`job ${jobId} has no result ${name}`);
    return { size: file.size, sha256: resultSha256(file.seed, file.size) };
  }

  /** The Cloudgene state code of a job right now. */
  stateOf(job: SimulatedJob, now = this.now()): number {
    if (job.override !== undefined) return job.override;
    if (job.outcome === 'manual') return 1;
    const elapsed = now - job.clockStart;
    const { queueMs, runMs, exportMs } = job.timing;
    if (elapsed < queueMs) return 1;
    if (!this.hasPanel(job.fields.refpanel ?? '')) {
      job.failMessage ??= `Application ${job.fields.refpanel ?? ''} is not installed or wrong permissions.`;
      return 5;
    }
    if (elapsed < queueMs + runMs) return 2;
    if (job.outcome === 'dead') return -1;
    if (job.outcome === 'fail') {
      job.failMessage ??= DEFAULT_FAIL_MESSAGE;
      return 5;
    }
    if (elapsed < queueMs + runMs + exportMs) return 3;
    return 4;
  }

  /** The app definition as `GET /api/v2/server/apps/{appId}` answers it. */
  appDefinition() {
    return {
      id: this.appId,
      name: 'Genotype Imputation (Minimac4)',
      version: '2.0.0',
      description: 'Simulated imputationserver2',
      params: appParams(this.panels, this.withoutParams),
    };
  }

  /** Writes the state file (atomically) after every change, when there is one. */
  private persist(): void {
    if (!this.stateFile) return;
    const state = {
      secret: this.secret.toString('base64'),
      clockOffset: this.clockOffset,
      users: [...this.users.values()],
      tokens: [...this.tokens.entries()],
      jobs: this.jobs,
    };
    writeFileSync(`${this.stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${this.stateFile}.tmp`, this.stateFile);
  }

  private restore(file: string): void {
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      secret: string;
      clockOffset: number;
      users: (Omit<SimulatedUser, 'expire'> & { expire: string })[];
      tokens: [string, string][];
      jobs: SimulatedJob[];
    };
    this.secret = Buffer.from(state.secret, 'base64');
    this.clockOffset = state.clockOffset ?? 0;
    for (const user of state.users) this.users.set(user.username, { ...user, expire: new Date(user.expire) });
    for (const [token, username] of state.tokens) this.tokens.set(token, username);
    this.jobs.push(...state.jobs);
  }

  private user(username: string): SimulatedUser {
    const user = this.users.get(username);
    if (!user) throw new Error(`no simulated user ${username}`);
    return user;
  }

  private hasPanel(panelId: string): boolean {
    return this.panels.some((p) => p.id === panelId || stripVersion(p.id) === stripVersion(panelId));
  }

  private mintToken(username: string, expire: Date): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = encode({ alg: 'HS256', typ: 'JWT' });
    const payload = encode({
      username,
      api: true,
      exp: Math.floor(expire.getTime() / 1000),
      jti: randomBytes(6).toString('hex'),
    });
    const signature = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  /** The user of a valid token; `invalid` for missing, unknown or expired (401), `revoked` (403). */
  private authenticate(token: string | undefined): SimulatedUser | 'invalid' | 'revoked' {
    const username = token ? this.tokens.get(token) : undefined;
    const user = username ? this.users.get(username) : undefined;
    if (!user) return 'invalid';
    if (user.token !== token) return 'revoked';
    if (user.expire.getTime() <= this.now()) return 'invalid';
    if (user.revoked) return 'revoked';
    return user;
  }

  private record(request: IncomingMessage, path: string, status: number, outcome: RequestRecord['outcome']) {
    this.requests.push({
      method: outcome === 'dropped' ? 'DROPPED' : (request.method ?? 'GET'),
      path,
      status,
      at: this.now(),
      authenticated: request.headers['x-auth-token'] !== undefined,
      outcome,
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (path.startsWith('/__admin/')) {
      if (this.admin) return this.adminApi(request, response, method, path);
      return this.send(response, 404, { success: false, message: 'Not found.' });
    }
    response.on('finish', () => {
      const mode = this.answerModes.get(response);
      if (mode !== 'dropped') this.record(request, path, response.statusCode, mode ?? 'answered');
    });

    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path)),
    );
    if (fault) {
      fault.remaining--;
      if (fault.delayMs || fault.gate) {
        this.held++;
        try {
          if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
          if (fault.gate) await fault.gate.catch(() => undefined);
        } finally {
          this.held--;
        }
        if (request.socket.destroyed) return;
      }
      const status = fault.status;
      if (status === 'reset') {
        this.record(request, path, 0, 'reset');
        request.socket.destroy();
        return;
      }
      if (typeof status === 'number') {
        await drain(request);
        const body =
          fault.body ?? (status === 503 ? 'This functionality is currently under maintenance.' : '');
        response.writeHead(status, {
          'Content-Type': 'text/plain',
          'Content-Length': Buffer.byteLength(body),
        });
        response.end(body);
        return;
      }
      if (status === 'reset-after') this.answerModes.set(response, 'dropped');
      if (status === 'truncate') this.answerModes.set(response, 'truncated');
      if (status === 'stall') this.answerModes.set(response, 'stalled');
    }

    if (method === 'POST' && path === '/api/v2/tokens/verify') return this.verifyToken(request, response);
    if (method === 'GET' && path === '/api/v2/server') {
      const user = this.authenticate(headerToken(request));
      return this.send(response, 200, {
        name: 'Imputation Server Simulator',
        loggedIn: typeof user === 'object',
        user: typeof user === 'object' ? user.username : null,
      });
    }
    if (path.startsWith('/share/results/')) return this.download(request, response, path);
    if (path.startsWith('/presigned/')) return this.presignedDownload(request, response, path, url);

    if (path.startsWith('/api/')) {
      const user = this.authenticate(headerToken(request));
      if (user === 'invalid') {
        await drain(request);
        response.writeHead(401, { 'Content-Length': 0 });
        response.end();
        return;
      }
      if (user === 'revoked') {
        await drain(request);
        return this.send(response, 403, { success: false, message: 'Access denied.' });
      }
      return this.api(request, response, method, path, url, user);
    }
    await drain(request);
    this.send(response, 404, { success: false, message: 'Not found.' });
  }

  private async verifyToken(request: IncomingMessage, response: ServerResponse) {
    const form = new URLSearchParams(await readText(request));
    const user = this.authenticate(form.get('token') ?? undefined);
    if (typeof user !== 'object') {
      return this.send(response, 200, {
        valid: false,
        message: 'Invalid API Token.',
        username: null,
        name: null,
        mail: null,
        expire: null,
      });
    }
    this.send(response, 200, {
      valid: true,
      message: 'API Token was created by a valid user.',
      username: user.username,
      name: user.name,
      mail: user.mail,
      expire: this.expireFormat === 'epoch-ms' ? user.expire.getTime() : user.expire.toISOString(),
    });
  }

  private async api(
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
    url: URL,
    user: SimulatedUser,
  ) {
    if (method === 'POST' && path === `/api/v2/jobs/submit/${this.appId}`)
      return this.submit(request, response, user);
    await drain(request);
    if (method === 'GET' && path === `/api/v2/server/apps/${this.appId}`)
      return this.send(response, 200, this.appDefinition());
    if (method === 'GET' && path === '/api/v2/jobs') {
      // Jobs started elsewhere (the service's web page) are listed too: they hold slots like ours.
      const elsewhere = Array.from({ length: user.otherActiveJobs }, (_, index) => ({
        id: `job-web-${user.username}-${index + 1}`,
        name: `web upload ${index + 1}`,
        state: 2,
        positionInQueue: -1,
        steps: [],
        outputParams: [],
      }));
      const mine = [
        ...elsewhere,
        ...this.submissionsOf(user.username)
          .filter((j) => this.stateOf(j) !== 10)
          .reverse()
          .map((j) => this.jobBody(j, user)),
      ];
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      return this.send(response, 200, {
        count: mine.length,
        page,
        pageSize: PAGE_SIZE,
        pages: Math.max(1, Math.ceil(mine.length / PAGE_SIZE)),
        data: mine.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
      });
    }
    const jobMatch = /^\/api\/v2\/jobs\/([^/]+)(?:\/(status|cancel|restart|results))?$/.exec(path);
    if (jobMatch && method === 'GET') {
      const id = decodeURIComponent(jobMatch[1]!);
      const action = jobMatch[2];
      // Cloudgene has no /results route: results are listed in the job's outputParams.
      if (action === 'results') return this.send(response, 404, { success: false, message: 'Not found.' });
      const job = this.jobs.find((j) => j.id === id);
      if (!job || this.stateOf(job) === 10)
        return this.send(response, 404, { success: false, message: `Job ${id} not found.` });
      if (job.user !== user.username)
        return this.send(response, 403, { success: false, message: 'Access denied.' });
      const state = this.stateOf(job);
      if (action === 'cancel' && ACTIVE_STATES.has(state)) this.setJobState(job.id, 6);
      if (action === 'restart') {
        if (state !== -1)
          return this.send(response, 400, { success: false, message: `Job ${id} is not pending.` });
        job.override = undefined;
        job.outcome = 'success';
        job.clockStart = this.now();
        this.persist();
      }
      return this.send(response, 200, this.jobBody(job, user));
    }
    // Deleting needs a login token; an API token is never enough.
    if (jobMatch && method === 'DELETE')
      return this.send(response, 403, { success: false, message: 'Access denied.' });
    this.send(response, 404, { success: false, message: 'Not found.' });
  }

  private async submit(request: IncomingMessage, response: ServerResponse, user: SimulatedUser) {
    const declared = request.headers['content-length'];
    const contentLength = declared === undefined ? null : Number(declared);
    if (contentLength !== null && contentLength > this.maxUploadBytes) {
      await drain(request);
      return this.sendText(response, 413, 'Request Entity Too Large');
    }
    let bytes = 0;
    const counted = (async function* () {
      for await (const chunk of request) {
        bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })();
    let parts: ParsedPart[];
    try {
      parts = await parseMultipart(counted, request.headers['content-type'] ?? '');
    } catch (error) {
      await drain(request);
      return this.send(response, 400, { success: false, message: (error as Error).message });
    }
    if (bytes > this.maxUploadBytes) return this.sendText(response, 413, 'Request Entity Too Large');

    const accepted = new Set([...appParams(this.panels, this.withoutParams).map((p) => p.id), 'job-name']);
    const unknown = parts.find((p) => !accepted.has(p.name));
    if (unknown)
      return this.send(response, 400, { message: `Parameter '${unknown.name}' not found.`, success: false });
    const files = parts
      .filter((p) => p.name === 'files' && p.fileName !== undefined)
      .map((p) => ({ name: p.fileName as string, bytes: p.bytes, sha256: p.sha256 as string }));
    if (files.length === 0)
      return this.send(response, 400, { success: false, message: 'Please upload at least one file.' });
    const active =
      this.submissionsOf(user.username).filter((j) => ACTIVE_STATES.has(this.stateOf(j))).length +
      user.otherActiveJobs;
    if (active >= this.concurrencyLimit) {
      return this.send(response, 400, {
        success: false,
        message: `Only ${this.concurrencyLimit} jobs per user can be executed simultaneously.`,
      });
    }

    const fields = Object.fromEntries(
      parts.filter((p) => p.fileName === undefined).map((p) => [p.name, p.value ?? '']),
    );
    const submission: ReceivedSubmission = { user: user.username, fields, files };
    const chosen = typeof this.scenario === 'function' ? this.scenario(submission) : this.scenario;
    const plan = typeof chosen === 'string' ? KNOWN_SCENARIOS[chosen] : chosen;
    const id = this.nextJobId();
    const now = this.now();
    const job: SimulatedJob = {
      ...submission,
      id,
      name: fields['job-name'] ?? id,
      upload: { contentLength, chunked: request.headers['transfer-encoding'] === 'chunked', bytes },
      submittedAt: now,
      clockStart: now,
      scenario: typeof chosen === 'string' ? chosen : 'custom',
      outcome: plan.outcome,
      timing: { ...this.timing, ...plan.timing },
      queueAhead: plan.queueAhead ?? 0,
      failMessage: plan.failMessage,
      results: (plan.resultFiles ?? this.resultFiles).map((spec) => ({
        ...spec,
        seed: `${id}/${spec.name}`,
        hash: createHmac('sha256', this.secret).update(`${id}/${spec.name}`).digest('hex'),
        downloads: 0,
      })),
    };
    this.jobs.push(job);
    this.persist();
    this.send(response, 200, {
      success: true,
      message: 'Your job was successfully added to the job queue.',
      id,
    });
  }

  /** `job-YYYYMMDD-HHMMSS-mmm` as Cloudgene names jobs; a clash moves on by a millisecond. */
  private nextJobId(): string {
    for (let t = this.now(); ; t++) {
      const iso = new Date(t).toISOString();
      const id = `job-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
      if (!this.jobs.some((j) => j.id === id)) return id;
    }
  }

  private positionInQueue(job: SimulatedJob, now: number): number {
    const queued = this.jobs
      .filter((j) => this.stateOf(j, now) === 1)
      .sort((a, b) => a.clockStart - b.clockStart);
    const elapsed = Math.max(0, now - job.clockStart);
    const backlog =
      job.outcome === 'manual' || job.override === 1
        ? job.queueAhead
        : Math.ceil(job.queueAhead * Math.max(0, 1 - elapsed / job.timing.queueMs));
    return queued.indexOf(job) + backlog;
  }

  /**
   * The job as `GET /api/v2/jobs/{id}` answers it: state, queue position, step log messages, results.
   * Admin-only output parameters are listed only when the asking user is an admin.
   */
  jobBody(job: SimulatedJob, viewer?: SimulatedUser) {
    const now = this.now();
    const state = this.stateOf(job, now);
    const { queueMs, runMs, exportMs } = job.timing;
    const t0 = job.clockStart;
    // A job canceled (or forced into a state) while still queued never ran a step.
    const started = state !== 1 && (job.overrideAt ?? now) - t0 >= queueMs;
    const wrongPanel = !this.hasPanel(job.fields.refpanel ?? '');
    const steps: {
      id: number;
      name: string;
      logMessages: { message: string; type: number; time: number }[];
    }[] = [];
    const step = (name: string, message: string, type: number, time: number) =>
      steps.push({ id: steps.length + 1, name, logMessages: [{ message, type, time }] });

    if (started && wrongPanel && (state === 5 || state === 9)) {
      step('Input Validation', job.failMessage ?? 'Job failed.', 1, t0 + queueMs);
    } else if (started) {
      step(
        'Input Validation',
        `<b>${job.files.length} valid VCF file(s) found.</b><br>Samples: 51<br>Chromosomes: 20<br>SNPs: 7824`,
        0,
        t0 + queueMs,
      );
      if (state === 5 || state === 9) {
        step('Quality Control', job.failMessage ?? 'Job failed.', 1, job.overrideAt ?? t0 + queueMs + runMs);
      } else {
        step(
          'Quality Control',
          `<b>Warning:</b> 1 Chunk(s) excluded: &lt; 50 SNPs (see chunks-excluded.txt for details).`,
          2,
          t0 + queueMs,
        );
        if (state === 2 || state === -1) {
          const done = Math.min(3, Math.floor(((now - t0 - queueMs) / runMs) * 4));
          step('Imputation', `Imputation (${done + 1}/4)`, 3, now);
        } else if (state === 3) {
          step('Imputation', 'Imputation successful.', 0, t0 + queueMs + runMs);
          step('Data Compression and Encryption', 'Exporting data...', 3, now);
        } else if (state === 4 || state === 7 || state === 8) {
          step('Imputation', 'Imputation successful.', 0, t0 + queueMs + runMs);
          step(
            'Data Compression and Encryption',
            'Data have been exported successfully. We have sent a notification email to the user.',
            0,
            t0 + queueMs + runMs + exportMs,
          );
        }
      }
    }

    const params = new Map<
      string,
      { name: string; hash: string; size: string; count: number; path: string }[]
    >();
    if (SUCCESS_STATES.has(state)) {
      for (const file of job.results) {
        const param = file.param ?? 'output';
        if (ADMIN_ONLY_PARAMS.has(param) && !viewer?.admin) continue;
        const list = params.get(param) ?? [];
        list.push({
          name: file.name,
          hash: file.hash,
          size: humanSize(file.size),
          count: -1,
          path: `${job.id}/${param}/${file.name}`,
        });
        params.set(param, list);
      }
    }
    const ended = [4, 5, 6, 7, 8, 9].includes(state);
    const naturalEnd = t0 + queueMs + runMs + (state === 5 ? 0 : exportMs);
    return {
      id: job.id,
      name: job.name,
      application: 'Genotype Imputation (Minimac4)',
      applicationId: this.appId,
      state,
      positionInQueue: state === 1 ? this.positionInQueue(job, now) : -1,
      submittedOn: job.submittedAt,
      startTime: started ? t0 + queueMs : -1,
      endTime: ended ? (job.overrideAt ?? naturalEnd) : -1,
      deletedOn: state === 7 ? (job.overrideAt ?? now) : -1,
      steps,
      outputParams: [...params.entries()].map(([name, files], index) => ({
        id: 11 + index,
        name,
        description: name === 'output' ? 'Downloads' : 'Logs',
        hash: createHmac('sha256', this.secret).update(`${job.id}/${name}`).digest('hex'),
        files,
      })),
    };
  }

  private findResult(hash: string) {
    for (const job of this.jobs) {
      const file = job.results.find((r) => r.hash === hash);
      if (file) return { job, file };
    }
    return undefined;
  }

  private download(request: IncomingMessage, response: ServerResponse, path: string) {
    const match = /^\/share\/results\/([^/]+)\/(.+)$/.exec(path);
    const found = match ? this.findResult(decodeURIComponent(match[1]!)) : undefined;
    const name = match ? match[2]!.split('/').map(decodeURIComponent).join('/') : '';
    if (
      !found ||
      found.file.name !== name ||
      !SUCCESS_STATES.has(this.stateOf(found.job)) ||
      ADMIN_ONLY_PARAMS.has(found.file.param ?? 'output')
    ) {
      return this.send(response, 404, { success: false, message: 'download not found.' });
    }
    if (found.file.unavailable) {
      return this.send(response, 404, { success: false, message: found.file.unavailable });
    }
    if (found.file.downloads >= this.maxDownloadsPerFile) {
      return this.send(response, 400, { success: false, message: 'number of max downloads exceeded.' });
    }
    found.file.downloads++;
    this.persist();
    if (found.file.redirect ?? this.redirectDownloads) {
      const signature = this.presignature(found.file.hash);
      const encodedName = found.file.name.split('/').map(encodeURIComponent).join('/');
      response.setHeader(
        'Location',
        `${this.url}/presigned/${found.file.hash}/${encodedName}?X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
      );
      return this.answer(response, 302, 'text/plain', '');
    }
    this.stream(request, response, found.file);
  }

  /** The redirect target, standing in for a presigned S3 URL: no token, a signature instead. */
  private presignedDownload(request: IncomingMessage, response: ServerResponse, path: string, url: URL) {
    const hash = /^\/presigned\/([^/]+)\//.exec(path)?.[1] ?? '';
    const found = this.findResult(hash);
    if (!found || url.searchParams.get('X-Amz-Signature') !== this.presignature(hash)) {
      response.writeHead(403, { 'Content-Type': 'application/xml' });
      response.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return;
    }
    this.stream(request, response, found.file);
  }

  private presignature(hash: string): string {
    return createHmac('sha256', this.secret).update(`presigned:${hash}`).digest('hex');
  }

  private stream(request: IncomingMessage, response: ServerResponse, file: SimulatedResultFile) {
    if (this.answerModes.get(response) === 'dropped') return this.answer(response, 200, 'text/plain', '');
    response.writeHead(200, {
      'Content-Type': file.name.endsWith('.txt')
        ? 'text/plain'
        : file.name.endsWith('.html')
          ? 'text/html'
          : file.name.endsWith('.zip')
            ? 'application/zip'
            : 'application/octet-stream',
      'Content-Length': String(file.size),
      'Content-Disposition': `attachment; filename="${file.name.split('/').pop()}"`,
    });
    const mode = this.answerModes.get(response);
    if (mode === 'truncated' || mode === 'stalled') {
      const half = Math.floor(file.size / 2);
      const partial = resultStream(file.seed, half);
      partial.on('end', () => {
        this.record(request, new URL(request.url ?? '/', 'http://simulator').pathname, 200, mode);
        if (mode !== 'stalled') response.socket?.destroy();
      });
      partial.pipe(response, { end: false });
      return;
    }
    resultStream(file.seed, file.size).pipe(response);
  }

  private send(response: ServerResponse, status: number, body: unknown) {
    this.answer(response, status, 'application/json', JSON.stringify(body));
  }

  private sendText(response: ServerResponse, status: number, text: string) {
    this.answer(response, status, 'text/plain', text);
  }

  private answer(response: ServerResponse, status: number, contentType: string, text: string) {
    const mode = this.answerModes.get(response);
    const request = response.req;
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    if (mode === 'dropped') {
      this.record(request, path, status, 'dropped');
      response.socket?.destroy();
      return;
    }
    const bytes = Buffer.from(text);
    response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length });
    if (mode === 'truncated' || mode === 'stalled') {
      response.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      this.record(request, path, status, mode);
      if (mode === 'truncated') response.socket?.destroy();
      return;
    }
    response.end(bytes);
  }

  /** Control from another process (the local stack, benchmarks, e2e tests): see README.md. */
  private async adminApi(request: IncomingMessage, response: ServerResponse, method: string, path: string) {
    const text = await readText(request);
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return this.send(response, 400, { message: 'admin requests take JSON bodies' });
    }
    const segments = path.split('/').slice(2).map(decodeURIComponent);
    const [resource, id, action] = segments;
    try {
      if (resource === 'users' && method === 'POST' && !id) {
        const username = String(body.username ?? '');
        if (!username) return this.send(response, 400, { message: 'username is required' });
        const token = this.addUser({
          username,
          name: body.name as string | undefined,
          mail: body.mail as string | undefined,
          token: body.token as string | undefined,
          expire: body.expire ? new Date(body.expire as string | number) : undefined,
          admin: typeof body.admin === 'boolean' ? body.admin : undefined,
        });
        return this.send(response, 200, {
          username,
          token,
          expire: this.user(username).expire.toISOString(),
        });
      }
      if (resource === 'users' && method === 'POST' && id && action) {
        if (action === 'revoke') this.revokeToken(id);
        else if (action === 'expire') this.expireToken(id);
        else if (action === 'active-jobs') this.setOtherActiveJobs(id, Number(body.count ?? 0));
        else return this.send(response, 404, { message: `unknown user action ${action}` });
        return this.send(response, 200, { ok: true });
      }
      if (resource === 'jobs' && method === 'GET' && !id) {
        return this.send(
          response,
          200,
          this.jobs.map((j) => ({ ...j, state: this.stateOf(j) })),
        );
      }
      if (resource === 'jobs' && method === 'POST' && id && action === 'state') {
        this.setJobState(id, Number(body.state), body.message as string | undefined);
        return this.send(response, 200, { id, state: this.stateOf(this.job(id)) });
      }
      if (resource === 'requests' && method === 'GET') return this.send(response, 200, this.requests);
      if (resource === 'clock' && method === 'POST') {
        this.advance(Number(body.advanceMs ?? 0));
        return this.send(response, 200, { now: this.now() });
      }
      if (resource === 'faults' && method === 'POST') {
        const pattern = body.pathRegex ? new RegExp(String(body.pathRegex)) : String(body.path ?? '/');
        this.failNext({ ...(body as Omit<FaultRule, 'path'>), path: pattern });
        return this.send(response, 200, { ok: true });
      }
      if (resource === 'faults' && method === 'DELETE') {
        this.clearFaults();
        return this.send(response, 200, { ok: true });
      }
      if (resource === 'settings' && (method === 'PATCH' || method === 'POST')) {
        if (typeof body.scenario === 'string' || typeof body.scenario === 'object')
          this.scenario = body.scenario as JobScenarioName | JobScenario;
        if (typeof body.concurrencyLimit === 'number') this.concurrencyLimit = body.concurrencyLimit;
        if (typeof body.maxDownloadsPerFile === 'number') this.maxDownloadsPerFile = body.maxDownloadsPerFile;
        if (typeof body.redirectDownloads === 'boolean') this.redirectDownloads = body.redirectDownloads;
        if (typeof body.timing === 'object') this.timing = { ...this.timing, ...(body.timing as object) };
        if (Array.isArray(body.resultFiles)) this.resultFiles = body.resultFiles as ResultFileSpec[];
        return this.send(response, 200, this.settings());
      }
      if (resource === 'settings' && method === 'GET') return this.send(response, 200, this.settings());
    } catch (error) {
      return this.send(response, 404, { message: (error as Error).message });
    }
    this.send(response, 404, { message: `no admin route ${method} ${path}` });
  }

  private settings() {
    return {
      appId: this.appId,
      panels: this.panels.map((p) => p.id),
      scenario: typeof this.scenario === 'function' ? 'function' : this.scenario,
      concurrencyLimit: this.concurrencyLimit,
      maxDownloadsPerFile: this.maxDownloadsPerFile,
      redirectDownloads: this.redirectDownloads,
      timing: this.timing,
      resultFiles: this.resultFiles,
      now: this.now(),
    };
  }
}

/** Starts a simulator on 127.0.0.1 (a free port unless `port` is given); `close()` it when done. */
export async function startCloudgeneSimulator(options: SimulatorOptions = {}): Promise<CloudgeneSimulator> {
  return new CloudgeneSimulator(options).listen(options.port, options.host);
}

function stripVersion(panelId: string): string {
  return panelId.replace(/^(apps@[^@]+)@.*$/, '$1');
}

function headerToken(request: IncomingMessage): string | undefined {
  const value = request.headers['x-auth-token'];
  return Array.isArray(value) ? value[0] : value;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function drain(request: IncomingMessage): Promise<void> {
  if (request.readableEnded) return;
  for await (const _ of request) {
    // discard
  }
}
