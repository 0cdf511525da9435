/**
 * A Cloudgene 3 server (imputationserver2 app) on 127.0.0.1 that behaves like Michigan, TOPMed and
 * AfriGen-D as cloudgene-api.md describes them, traps included: 401 with an empty body, 403 for revoked
 * tokens, unknown-field 400s, the per-user concurrency-limit 400, wrong panels that fail only after the
 * job starts, state codes -1..10 (8 = success, still downloadable), HTML in log messages, share URLs
 * outside /api/v2 that may redirect and count downloads, no /results endpoint. Tests, benchmarks and the
 * local stack use it; see README.md next to this file.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedPart, parseMultipart } from './multipart-parser';
import { humanSize, resultStream } from './result-bytes';

export interface PanelDefinition {
  id: string;
  label: string;
  populations: { id: string; label: string }[];
}

export interface ResultFileSpec {
  /** May contain a sub-folder, e.g. `statistics/lift-over.txt`. */
  name: string;
  size: number;
  /** Serve through a 302 to a presigned-looking URL, as TOPMed does with S3. */
  redirect?: boolean;
  /** Output parameter it is listed under (default `output`). */
  param?: string;
}

/** How a submitted job behaves: reach success or failure on the clock, or wait for the test to move it. */
export type JobScenario = 'success' | 'fail' | 'manual';

export interface JobTiming {
  queueMs: number;
  runMs: number;
  exportMs: number;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  appId?: string;
  panels?: PanelDefinition[];
  /** Population choices are panel-specific; TOPMed offers only all/off. */
  concurrencyLimit?: number;
  maxDownloadsPerFile?: number;
  scenario?: JobScenario;
  timing?: Partial<JobTiming>;
  resultFiles?: ResultFileSpec[];
  /** Days a minted token is valid (Cloudgene's default: 30). */
  tokenDays?: number;
}

export interface SimulatedUser {
  username: string;
  name: string;
  mail: string;
  token: string;
  expire: Date;
  revoked: boolean;
}

export interface SimulatedJob {
  id: string;
  name: string;
  user: string;
  fields: Record<string, string>;
  files: { name: string; bytes: number; sha256: string }[];
  submittedAt: number;
  scenario: JobScenario;
  timing: JobTiming;
  /** A state set by a test or by cancel; wins over the clock. */
  override?: number;
  failMessage?: string;
  results: (ResultFileSpec & { hash: string; seed: string; downloads: number })[];
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface FaultRule {
  method?: string;
  path: string | RegExp;
  /**
   * An HTTP status to answer with; `reset` to destroy the connection without an answer; `reset-after` to
   * process the request (e.g. accept a submission) and then drop the connection instead of answering.
   */
  status: number | 'reset' | 'reset-after';
  body?: string;
  times?: number;
}

export const DEFAULT_PANELS: PanelDefinition[] = [
  {
    id: 'apps@1000g-phase-3-v5@2.0.0',
    label: '1000G Phase 3 (GRCh37/hg19)',
    populations: [
      { id: 'afr', label: 'AFR' },
      { id: 'amr', label: 'AMR' },
      { id: 'eur', label: 'EUR' },
      { id: 'eas', label: 'EAS' },
      { id: 'sas', label: 'SAS' },
      { id: 'mixed', label: 'Mixed' },
      { id: 'off', label: 'Off' },
    ],
  },
  {
    id: 'apps@hapmap-2@2.0.0',
    label: 'HapMap 2',
    populations: [
      { id: 'eur', label: 'EUR' },
      { id: 'off', label: 'Off' },
    ],
  },
];

export const TOPMED_PANELS: PanelDefinition[] = [
  {
    id: 'apps@topmed-r3@1.0.0',
    label: 'TOPMed r3',
    populations: [
      { id: 'all', label: 'All' },
      { id: 'off', label: 'Off' },
    ],
  },
];

export const DEFAULT_RESULT_FILES: ResultFileSpec[] = [
  { name: 'chr_20.zip', size: 256 * 1024 + 17 },
  { name: 'qc_report.txt', size: 760 },
  { name: 'statistics/lift-over.txt', size: 1200 },
  { name: 'quality-control.html', size: 4096, redirect: true },
  { name: 'job.txt', size: 300, param: 'cloudgene_logs' },
];

const KNOWN_FIELDS = new Set([
  'files',
  'refpanel',
  'population',
  'build',
  'phasing',
  'r2Filter',
  'mode',
  'password',
  'job-name',
  'aesEncryption',
  'meta',
]);
const ACTIVE_STATES = new Set([-1, 1, 2, 3]);
const PAGE_SIZE = 25;

export class CloudgeneSimulator {
  readonly users = new Map<string, SimulatedUser>();
  readonly jobs: SimulatedJob[] = [];
  readonly requests: RequestRecord[] = [];
  private readonly faults: (FaultRule & { remaining: number })[] = [];
  private readonly secret = randomBytes(32);
  private readonly dropped = new WeakSet<ServerResponse>();
  private server!: Server;
  url = '';
  appId: string;
  panels: PanelDefinition[];
  concurrencyLimit: number;
  maxDownloadsPerFile: number;
  scenario: JobScenario;
  timing: JobTiming;
  resultFiles: ResultFileSpec[];
  tokenDays: number;
  private jobCounter = 0;

  constructor(options: SimulatorOptions = {}) {
    this.appId = options.appId ?? 'imputationserver2';
    this.panels = options.panels ?? DEFAULT_PANELS;
    this.concurrencyLimit = options.concurrencyLimit ?? 2;
    this.maxDownloadsPerFile = options.maxDownloadsPerFile ?? 10;
    this.scenario = options.scenario ?? 'success';
    this.timing = { queueMs: 100, runMs: 300, exportMs: 100, ...options.timing };
    this.resultFiles = options.resultFiles ?? DEFAULT_RESULT_FILES;
    this.tokenDays = options.tokenDays ?? 30;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.send(response, 500, { success: false, message: String(error) });
        else response.destroy();
      });
    });
    this.server.listen(port, host);
    await once(this.server, 'listening');
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates a user with an API token (an HS256 JWT, as Cloudgene mints them) and returns the token. */
  addUser(user: { username: string; name?: string; mail?: string; expire?: Date }): string {
    const expire = user.expire ?? new Date(Date.now() + this.tokenDays * 86_400_000);
    const token = this.mintToken(user.username, expire);
    this.users.set(user.username, {
      username: user.username,
      name: user.name ?? user.username,
      mail: user.mail ?? `${user.username}@example.org`,
      token,
      expire,
      revoked: false,
    });
    return token;
  }

  /** The user made a new token at the service: the old one now answers 403. */
  revokeToken(username: string): void {
    const user = this.users.get(username);
    if (user) user.revoked = true;
  }

  /** Forces a job into a state (e.g. 5 with a message, 7 retired, 10 deleted). */
  setJobState(id: string, state: number, failMessage?: string): void {
    const job = this.job(id);
    job.override = state;
    if (failMessage) job.failMessage = failMessage;
  }

  /** The next `times` matching requests fail with the status, or a dropped connection. */
  failNext(rule: FaultRule): void {
    this.faults.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** Forgets every pending fault rule. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  job(id: string): SimulatedJob {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`no simulated job ${id}`);
    return job;
  }

  /** The Cloudgene state code of a job right now. */
  stateOf(job: SimulatedJob, now = Date.now()): number {
    if (job.override !== undefined) return job.override;
    if (job.scenario === 'manual') return 1;
    const elapsed = now - job.submittedAt;
    const { queueMs, runMs, exportMs } = job.timing;
    if (elapsed < queueMs) return 1;
    if (
      !this.panels.some(
        (p) => p.id === job.fields.refpanel || stripVersion(p.id) === stripVersion(job.fields.refpanel ?? ''),
      )
    ) {
      job.failMessage ??= `Application ${job.fields.refpanel} is not installed or wrong permissions.`;
      return 5;
    }
    if (elapsed < queueMs + runMs) return 2;
    if (elapsed < queueMs + runMs + exportMs) return 3;
    if (job.scenario === 'fail') {
      job.failMessage ??= 'Error: No chunks passed the QC step. Imputation cannot be started!';
      return 5;
    }
    return 4;
  }

  submissions(): SimulatedJob[] {
    return this.jobs;
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

  /** 'missing' | 'invalid' | 'expired' | 'revoked' or the user. */
  private authenticate(token: string | undefined): SimulatedUser | 'invalid' | 'revoked' {
    if (!token) return 'invalid';
    const user = [...this.users.values()].find((u) => u.token === token);
    if (!user) return 'invalid';
    if (user.expire.getTime() <= Date.now()) return 'invalid';
    if (user.revoked) return 'revoked';
    return user;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const method = request.method ?? 'GET';
    const path = url.pathname;
    response.on('finish', () =>
      this.requests.push({ method, path, status: response.statusCode, at: Date.now() }),
    );

    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? path === f.path || path.startsWith(f.path) : f.path.test(path)),
    );
    if (fault?.status === 'reset-after') {
      fault.remaining--;
      this.dropped.add(response);
    } else if (fault) {
      fault.remaining--;
      this.requests.push({
        method,
        path,
        status: fault.status === 'reset' ? 0 : fault.status,
        at: Date.now(),
      });
      if (fault.status === 'reset') {
        request.socket.destroy();
        return;
      }
      await drain(request);
      response.writeHead(fault.status, { 'Content-Type': 'text/plain' });
      response.end(
        fault.body ?? (fault.status === 503 ? 'This functionality is currently under maintenance.' : ''),
      );
      return;
    }

    if (path.startsWith('/__admin/')) return this.admin(request, response, method, path);
    if (method === 'POST' && path === '/api/v2/tokens/verify') return this.verifyToken(request, response);
    if (method === 'GET' && path === '/api/v2/server') {
      const user = this.authenticate(headerToken(request));
      return this.send(response, 200, {
        name: 'Imputation Server Simulator',
        loggedIn: typeof user === 'object',
      });
    }
    if (path.startsWith('/share/results/')) return this.download(request, response, path);
    if (path.startsWith('/presigned/')) return this.presignedDownload(response, path, url);

    if (path.startsWith('/api/')) {
      const user = this.authenticate(headerToken(request));
      if (user === 'invalid') {
        await drain(request);
        response.writeHead(401);
        response.end();
        return;
      }
      if (user === 'revoked') {
        await drain(request);
        return this.send(response, 403, { success: false, message: 'Access denied.' });
      }
      return this.api(request, response, method, path, url, user);
    }
    this.send(response, 404, { success: false, message: 'Not found.' });
  }

  /**
   * Control over HTTP for processes that do not hold the simulator object (the local stack, benchmarks):
   * create users, change the scenario and timing, move a job. Not part of the Cloudgene API.
   */
  private async admin(request: IncomingMessage, response: ServerResponse, method: string, path: string) {
    const body = JSON.parse((await readText(request)) || '{}') as Record<string, unknown>;
    if (method === 'POST' && path === '/__admin/users') {
      const token = this.addUser({ username: String(body.username ?? `user-${this.users.size + 1}`) });
      return this.send(response, 201, { username: body.username, token });
    }
    if (method === 'POST' && path === '/__admin/config') {
      if (body.scenario) this.scenario = body.scenario as JobScenario;
      if (body.timing) this.timing = { ...this.timing, ...(body.timing as Partial<JobTiming>) };
      if (typeof body.concurrencyLimit === 'number') this.concurrencyLimit = body.concurrencyLimit;
      if (typeof body.maxDownloadsPerFile === 'number') this.maxDownloadsPerFile = body.maxDownloadsPerFile;
      return this.send(response, 200, { scenario: this.scenario, timing: this.timing, concurrencyLimit: this.concurrencyLimit });
    }
    const jobState = /^\/__admin\/jobs\/([^/]+)\/state$/.exec(path);
    if (method === 'POST' && jobState) {
      this.setJobState(decodeURIComponent(jobState[1]!), Number(body.state), body.message as string | undefined);
      return this.send(response, 200, { ok: true });
    }
    if (method === 'GET' && path === '/__admin/jobs') {
      return this.send(response, 200, { jobs: this.jobs.map((j) => ({ id: j.id, user: j.user, state: this.stateOf(j), files: j.files })) });
    }
    this.send(response, 404, { message: 'unknown admin call' });
  }

  private async verifyToken(request: IncomingMessage, response: ServerResponse) {
    const form = new URLSearchParams((await readText(request)) ?? '');
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
      expire: user.expire.toISOString(),
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
    if (method === 'GET' && path === `/api/v2/server/apps/${this.appId}`)
      return this.send(response, 200, this.appDefinition());
    if (method === 'POST' && path === `/api/v2/jobs/submit/${this.appId}`)
      return this.submit(request, response, user);
    if (method === 'GET' && path === '/api/v2/jobs') {
      const mine = this.jobs.filter((j) => j.user === user.username && this.stateOf(j) !== 10).reverse();
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      return this.send(response, 200, {
        count: mine.length,
        page,
        pageSize: PAGE_SIZE,
        pages: Math.max(1, Math.ceil(mine.length / PAGE_SIZE)),
        data: mine.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((j) => this.jobBody(j)),
      });
    }
    const jobMatch = /^\/api\/v2\/jobs\/([^/]+)(\/status|\/cancel|\/results|\/restart)?$/.exec(path);
    if (jobMatch && method === 'GET') {
      const id = decodeURIComponent(jobMatch[1]!);
      const job = this.jobs.find((j) => j.id === id);
      const action = jobMatch[2];
      if (action === '/results') return this.send(response, 404, { success: false, message: 'Not found.' });
      if (!job || this.stateOf(job) === 10)
        return this.send(response, 404, { success: false, message: `Job ${id} not found.` });
      if (job.user !== user.username)
        return this.send(response, 403, { success: false, message: 'Access denied.' });
      if (action === '/cancel' && ACTIVE_STATES.has(this.stateOf(job))) job.override = 6;
      return this.send(response, 200, this.jobBody(job));
    }
    if (jobMatch && method === 'DELETE')
      return this.send(response, 403, { success: false, message: 'Access denied.' });
    this.send(response, 404, { success: false, message: 'Not found.' });
  }

  private async submit(request: IncomingMessage, response: ServerResponse, user: SimulatedUser) {
    let parts: ParsedPart[];
    try {
      parts = await parseMultipart(request as AsyncIterable<Buffer>, request.headers['content-type'] ?? '');
    } catch (error) {
      return this.send(response, 400, { success: false, message: String((error as Error).message) });
    }
    const unknown = parts.find((p) => !KNOWN_FIELDS.has(p.name));
    if (unknown)
      return this.send(response, 400, { message: `Parameter '${unknown.name}' not found.`, success: false });
    const files = parts.filter((p) => p.name === 'files' && p.fileName !== undefined);
    if (files.length === 0)
      return this.send(response, 400, { success: false, message: 'No input files uploaded.' });
    const running = this.jobs.filter(
      (j) => j.user === user.username && ACTIVE_STATES.has(this.stateOf(j)),
    ).length;
    if (running >= this.concurrencyLimit) {
      return this.send(response, 400, {
        success: false,
        message: `Only ${this.concurrencyLimit} jobs per user can be executed simultaneously.`,
      });
    }
    const fields = Object.fromEntries(
      parts.filter((p) => p.fileName === undefined).map((p) => [p.name, p.value ?? '']),
    );
    const id = this.nextJobId();
    const job: SimulatedJob = {
      id,
      name: fields['job-name'] ?? id,
      user: user.username,
      fields,
      files: files.map((f) => ({ name: f.fileName as string, bytes: f.bytes, sha256: f.sha256 as string })),
      submittedAt: Date.now(),
      scenario: this.scenario,
      timing: { ...this.timing },
      results: this.resultFiles.map((spec) => ({
        ...spec,
        seed: `${id}/${spec.name}`,
        hash: createHmac('sha256', this.secret).update(`${id}/${spec.name}`).digest('hex'),
        downloads: 0,
      })),
    };
    this.jobs.push(job);
    this.send(response, 200, {
      success: true,
      message: 'Your job was successfully added to the job queue.',
      id,
    });
  }

  private nextJobId(): string {
    const now = new Date();
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    this.jobCounter++;
    return `job-${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}-${pad(this.jobCounter, 3)}`;
  }

  private jobBody(job: SimulatedJob) {
    const state = this.stateOf(job);
    const queued = this.jobs.filter((j) => this.stateOf(j) === 1);
    const t = job.submittedAt;
    const steps: {
      id: number;
      name: string;
      logMessages: { message: string; type: number; time: number }[];
    }[] = [];
    if (state !== 1 && state !== 6) {
      steps.push({
        id: 1,
        name: 'Input Validation',
        logMessages: [
          {
            message: `${job.files.length} valid VCF file(s) found.<br>Samples: 51<br>Chromosomes: 20`,
            type: 0,
            time: t + job.timing.queueMs,
          },
        ],
      });
    }
    if (state === 2 || state === 3 || state === -1) {
      steps.push({
        id: 2,
        name: 'Imputation',
        logMessages: [{ message: '<b>Imputation</b> (2/4)', type: 3, time: Date.now() }],
      });
    }
    if (state === 3) {
      steps.push({
        id: 3,
        name: 'Data Compression and Encryption',
        logMessages: [{ message: 'Exporting data...', type: 3, time: Date.now() }],
      });
    }
    if (state === 5 || state === 9) {
      steps.push({
        id: 2,
        name: 'Quality Control',
        logMessages: [{ message: job.failMessage ?? 'Job failed.', type: 1, time: Date.now() }],
      });
    }
    if (state === 4 || state === 8) {
      steps.push({
        id: 4,
        name: 'Imputation',
        logMessages: [{ message: 'Imputation successful.', type: 0, time: Date.now() }],
      });
    }
    const success = state === 4 || state === 8;
    const params = new Map<
      string,
      { name: string; hash: string; size: string; count: number; path: string }[]
    >();
    if (success) {
      for (const file of job.results) {
        const list = params.get(file.param ?? 'output') ?? [];
        list.push({
          name: file.name,
          hash: file.hash,
          size: humanSize(file.size),
          count: -1,
          path: `${job.id}/${file.name}`,
        });
        params.set(file.param ?? 'output', list);
      }
    }
    return {
      id: job.id,
      name: job.name,
      application: 'Genotype Imputation (Minimac4)',
      applicationId: this.appId,
      state,
      positionInQueue: state === 1 ? queued.indexOf(job) : -1,
      submittedOn: t,
      startTime: state === 1 ? -1 : t + job.timing.queueMs,
      endTime: [4, 5, 6, 8, 9].includes(state) ? Date.now() : -1,
      deletedOn: -1,
      steps,
      outputParams: [...params.entries()].map(([name, files], index) => ({
        id: 11 + index,
        name,
        description: name === 'output' ? 'Downloads' : 'Logs',
        hash: createHmac('sha256', this.secret).update(`${job.id}/${name}`).digest('hex').slice(0, 32),
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
    const found = match ? this.findResult(match[1]!) : undefined;
    const name = match ? match[2]!.split('/').map(decodeURIComponent).join('/') : '';
    if (!found || found.file.name !== name || ![4, 8].includes(this.stateOf(found.job))) {
      return this.send(response, 404, { success: false, message: 'download not found.' });
    }
    if (found.file.downloads >= this.maxDownloadsPerFile) {
      return this.send(response, 400, { success: false, message: 'number of max downloads exceeded.' });
    }
    found.file.downloads++;
    if (found.file.redirect) {
      const signature = createHmac('sha256', this.secret).update(found.file.hash).digest('hex');
      response.writeHead(302, {
        Location: `${this.url}/presigned/${found.file.hash}/${encodeURIComponent(found.file.name)}?X-Amz-Expires=3600&X-Amz-Signature=${signature}`,
      });
      response.end();
      return;
    }
    this.stream(request, response, found.file);
  }

  private presignedDownload(response: ServerResponse, path: string, url: URL) {
    const hash = /^\/presigned\/([^/]+)\//.exec(path)?.[1] ?? '';
    const found = this.findResult(hash);
    const signature = createHmac('sha256', this.secret).update(hash).digest('hex');
    if (!found || url.searchParams.get('X-Amz-Signature') !== signature) {
      response.writeHead(403, { 'Content-Type': 'application/xml' });
      response.end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    this.stream(undefined, response, found.file);
  }

  private stream(
    _request: IncomingMessage | undefined,
    response: ServerResponse,
    file: { name: string; size: number; seed: string },
  ) {
    response.writeHead(200, {
      'Content-Type': file.name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream',
      'Content-Length': String(file.size),
      'Content-Disposition': `attachment; filename="${file.name.split('/').pop()}"`,
    });
    resultStream(file.seed, file.size).pipe(response);
  }

  private send(response: ServerResponse, status: number, body: unknown) {
    if (this.dropped.has(response)) {
      this.requests.push({ method: 'DROPPED', path: '', status, at: Date.now() });
      response.socket?.destroy();
      return;
    }
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  appDefinition() {
    return {
      id: this.appId,
      name: 'Genotype Imputation (Minimac4)',
      version: '2.0.0',
      description: 'Simulated imputationserver2',
      params: [
        { id: 'files', type: 'local_folder', description: 'Input Files (VCF)' },
        {
          id: 'refpanel',
          type: 'app_list',
          description: 'Reference Panel',
          value: this.panels[0]?.id,
          values: this.panels.map((p) => ({ key: p.id, value: p.label })),
        },
        {
          id: 'build',
          type: 'list',
          value: 'hg19',
          values: [
            { key: 'hg19', value: 'GRCh37/hg19' },
            { key: 'hg38', value: 'GRCh38/hg38' },
          ],
        },
        {
          id: 'r2Filter',
          type: 'list',
          value: '0',
          values: ['0', '0.001', '0.1', '0.2', '0.3'].map((key) => ({
            key,
            value: key === '0' ? 'off' : key,
          })),
        },
        {
          id: 'phasing',
          type: 'list',
          value: 'eagle',
          values: [
            { key: 'eagle', value: 'Eagle v2.4 (phased output)' },
            { key: 'beagle', value: 'Beagle 5.4 (phased output)' },
            { key: 'no_phasing', value: 'No phasing' },
          ],
        },
        {
          id: 'population',
          type: 'binded_list',
          bind: 'refpanel',
          values: this.panels.map((p) => ({
            key: p.id,
            label: p.label,
            values: p.populations.map((pop) => ({ key: pop.id, value: pop.label })),
          })),
        },
        {
          id: 'mode',
          type: 'list',
          value: 'imputation',
          values: [
            { key: 'qconly', value: 'Quality Control Only' },
            { key: 'imputation', value: 'Quality Control & Imputation' },
          ],
        },
        {
          id: 'aesEncryption',
          type: 'checkbox',
          value: 'no',
          values: [
            { key: 'true', value: 'yes' },
            { key: 'false', value: 'no' },
          ],
        },
        {
          id: 'meta',
          type: 'checkbox',
          value: 'no',
          values: [
            { key: 'true', value: 'yes' },
            { key: 'false', value: 'no' },
          ],
        },
        { id: 'password', type: 'text', visible: false },
      ],
    };
  }
}

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

async function readText(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function drain(request: IncomingMessage): Promise<void> {
  for await (const _ of request) {
    // discard
  }
}
