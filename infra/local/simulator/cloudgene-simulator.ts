/**
 * A Cloudgene 3 server (imputationserver2 app) on 127.0.0.1 that behaves like Michigan, TOPMed and
 * AfriGen-D as cloudgene-api.md describes them, traps included: 401 with an empty body, 403 for revoked
 * tokens, unknown-field 400s, the per-user concurrency-limit 400, wrong panels that fail only after the
 * job starts, state codes -1..10 (8 = success, still downloadable), HTML in log messages, share URLs
 * outside /api/v2 that may redirect and count downloads, no /results endpoint, and outages that hold until
 * cleared: Cloudgene's maintenance mode, or a service down behind its proxy. Uploads are hashed as
 * they stream (and read as VCFs on the way) so GB-sized uploads cost no memory. A job's results are real
 * files made from its input — an encrypted zip per chromosome with an imputed dose VCF of the submitted
 * samples, the QC report and statistics — unless seeded files of any size are configured (benchmarks).
 *
 * This module is the public face: `startCloudgeneSimulator`, the `CloudgeneSimulator` a test drives, and
 * every type and fixture callers import from here. The work is done in the modules next to it, one
 * concern each (state, jobs, routes, uploads, downloads, faults, outages, answers, server info, admin API,
 * job results); README.md's table says which is which.
 *
 * Unit tests, the workflow tests, benchmarks and the local stack use it; README.md next to this file
 * describes the interface, the admin HTTP API (for control from another process) and the CLI.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { Answers } from './answers';
import { type FaultRule, Faults } from './faults';
import { appParams, type PanelDefinition, type ResultFileSpec, SIMULATOR_PRESETS } from './fixtures';
import { ResultStore, restoreJobResults } from './job-results';
import { jobBody, stateAt } from './jobs';
import { resultSha256 } from './result-bytes';
import { warmUpZip } from './result-zip';
import { handle } from './routes';
import { type NewUser, SimulatorState } from './state';
import type {
  DownSetting,
  JobTiming,
  MaintenanceSetting,
  RequestRecord,
  ScenarioSetting,
  SimulatedJob,
  SimulatedUser,
  SimulatorOptions,
} from './types';

export type { FaultRule } from './faults';
export {
  DEFAULT_PANELS,
  DEFAULT_RESULT_FILES,
  H3AFRICA_PANELS,
  MICHIGAN_PANELS,
  type PanelDefinition,
  type ResultFileSpec,
  SEEDED_RESULT_FILES,
  SIMULATOR_PRESETS,
  type SimulatorPresetName,
  TOPMED_PANELS,
} from './fixtures';
export type { GeneratedFile } from './job-results';
export type {
  CapturedSite,
  DownMode,
  DownSetting,
  JobScenario,
  JobScenarioName,
  JobTiming,
  MaintenanceSetting,
  ReceivedFile,
  ReceivedSubmission,
  RequestRecord,
  ScenarioSetting,
  SimulatedJob,
  SimulatedResultFile,
  SimulatedUser,
  SimulatorOptions,
  StepMessage,
  SubmissionReport,
  SubmittedVcf,
} from './types';

export class CloudgeneSimulator {
  /** Users, tokens, jobs and the state file (the routes and the admin API read and change it). */
  readonly state: SimulatorState;
  /** How answers go out, and the requests log. */
  readonly answers: Answers;
  readonly faults = new Faults();
  readonly users: Map<string, SimulatedUser>;
  readonly jobs: SimulatedJob[];
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
  /** Seeded files every new job lists instead of its own (undefined: its own, made from its input). */
  resultFiles: ResultFileSpec[] | undefined;
  /** The contents of jobs' own result files. */
  readonly results: ResultStore;
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
    this.resultFiles = options.resultFiles;
    this.tokenDays = options.tokenDays ?? 30;
    this.expireFormat = options.expireFormat ?? 'iso';
    this.maxUploadBytes = options.maxUploadBytes ?? 5000 * 1024 * 1024;
    this.admin = options.admin ?? true;
    this.state = new SimulatorState(options.clock ?? Date.now, options.stateFile);
    if (options.maintenance !== undefined || options.down !== undefined)
      this.state.setSwitches({ maintenance: options.maintenance, down: options.down });
    const stateFile = options.stateFile;
    this.results = new ResultStore(
      stateFile ? join(dirname(stateFile), `${basename(stateFile, '.json')}-results`) : undefined,
    );
    this.answers = new Answers(() => this.now());
    this.users = this.state.users;
    this.jobs = this.state.jobs;
  }

  /** Every request but the admin API's, as it was answered. */
  get requests(): RequestRecord[] {
    return this.answers.requests;
  }

  /** Requests a fault is holding right now (`delayMs`, `gate`). */
  get held(): number {
    return this.faults.held;
  }

  /** Cloudgene's maintenance mode until set to null: said in the server description, 503 to submissions. */
  get maintenance(): MaintenanceSetting | null {
    return this.state.maintenance;
  }
  set maintenance(setting: MaintenanceSetting | null) {
    this.state.setSwitches({ maintenance: setting });
  }

  /** Down until set to null: every request but the admin API's meets the proxy (outages.ts). */
  get down(): DownSetting | null {
    return this.state.down;
  }
  set down(setting: DownSetting | null) {
    this.state.setSwitches({ down: setting });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    await warmUpZip();
    await restoreJobResults(this);
    const server = createServer((request, response) => {
      handle(this, request, response).catch((error: unknown) => {
        if (!response.headersSent)
          this.answers.send(response, 500, { success: false, message: String(error) });
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
    return this.state.now();
  }

  /** Moves time forward: jobs progress and tokens expire as if `ms` had passed. */
  advance(ms: number): void {
    this.state.advance(ms);
  }

  /**
   * Creates a user (or gives an existing one a new token, which revokes the previous one, as at the
   * service) and returns the API token: an HS256 JWT as Cloudgene mints them, unless `token` is given.
   */
  addUser(user: NewUser): string {
    const expire = user.expire ?? new Date(this.now() + this.tokenDays * 86_400_000);
    return this.state.addUser({ ...user, expire });
  }

  /** The user's current token answers 403 from now on (as when a newer one replaced it). */
  revokeToken(username: string): void {
    this.state.updateUser(username, (user) => {
      user.revoked = true;
    });
  }

  /** The user's current token is past its expiry: 401 with an empty body. */
  expireToken(username: string): void {
    this.state.updateUser(username, (user) => {
      user.expire = new Date(this.now() - 1000);
    });
  }

  /** Counts `count` jobs of the user as running elsewhere (e.g. started in the web UI). */
  setOtherActiveJobs(username: string, count: number): void {
    this.state.updateUser(username, (user) => {
      user.otherActiveJobs = count;
    });
  }

  /** Forces a job into a state (e.g. 4 done, 5 with a message, 7 retired, 10 deleted); the clock no longer moves it. */
  setJobState(id: string, state: number, failMessage?: string): void {
    const job = this.job(id);
    job.override = state;
    job.overrideAt = this.now();
    if (failMessage) job.failMessage = failMessage;
    this.state.persist();
  }

  /** The next `times` matching requests fail as the rule says. */
  failNext(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  job(id: string): SimulatedJob {
    return this.state.job(id);
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
    if (file.seed !== undefined) return { size: file.size, sha256: resultSha256(file.seed, file.size) };
    const content = this.results.content(jobId, name);
    if (!content) throw new Error(`the contents of ${name} of job ${jobId} are gone`);
    return { size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
  }

  /** The password of a job's zips: the submitted one, or one the server made (the services e-mail it). */
  resultPassword(job: SimulatedJob): string {
    return job.fields.password || this.state.sign(`${job.id}/password`).slice(0, 16);
  }

  /** The Cloudgene state code of a job right now. */
  stateOf(job: SimulatedJob, now = this.now()): number {
    return stateAt(job, now, this.panels);
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

  /**
   * The job as `GET /api/v2/jobs/{id}` answers it: state, queue position, step log messages, results.
   * Admin-only output parameters are listed only when the asking user is an admin.
   */
  jobBody(job: SimulatedJob, viewer?: SimulatedUser) {
    return jobBody(this, job, viewer);
  }
}

/** Starts a simulator on 127.0.0.1 (a free port unless `port` is given); `close()` it when done. */
export async function startCloudgeneSimulator(options: SimulatorOptions = {}): Promise<CloudgeneSimulator> {
  return new CloudgeneSimulator(options).listen(options.port, options.host);
}
