/**
 * The simulator's data shapes, apart so that the state, the job lifecycle, the routes and the admin API
 * can share them without importing each other: scenarios and timing, what a submission carried, users,
 * jobs and their result files, the requests log, and the options `startCloudgeneSimulator` takes.
 * `cloudgene-simulator.ts` re-exports every one of them.
 */
import type { PanelDefinition, ResultFileSpec, SimulatorPresetName } from './fixtures';

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

/** A site of a submitted file that passed QC, kept to be imputed around. */
export interface CapturedSite {
  position: number;
  id: string;
  ref: string;
  alt: string;
  /** Not in the (imagined) reference panel: written with TYPED_ONLY, never imputed around. */
  typedOnly?: boolean;
}

/**
 * A submitted file as the simulator read it while it streamed in (vcf-capture.ts): what the services
 * count and check, and a bounded sample of what they impute — the same size whatever the file's.
 */
export interface SubmittedVcf {
  name: string;
  /** What the service says when it cannot use the file (its own words, without the Help link). */
  problem?: string;
  /** The header's sample ids: the first 50,000 (more fail the validation anyway). */
  samples: string[];
  sampleCount: number;
  /** The chromosome as the records name it (`20`, `chr20`); absent without records. */
  chromosome?: string;
  snps: number;
  phased: boolean;
  /** Records per 20 Mb chunk, and how many of them passed the site QC (what the chunk filter counts). */
  chunks: { chunk: number; sites: number; passed: number }[];
  /** Excluded sites per QC filter (site-qc.ts). */
  excluded: Record<string, number>;
  typedOnly: number;
  /** Sites with A/T or C/G alleles: counted, not excluded. */
  strandAmbiguous: number;
  /** Lines of snps-excluded.txt (`20:60137:A:C\tAllele mismatch\t…`): the first 1,000. */
  excludedSites: string[];
  /** Lines of snps-typed-only.txt: the first 1,000. */
  typedOnlySites: string[];
  /** Sites that passed QC, the first 200 and a reservoir of 200 more, by position. */
  sites: CapturedSite[];
}

/** A step log message as Cloudgene shows it: 0 ok, 1 error, 2 warning (3, running, is drawn live). */
export interface StepMessage {
  message: string;
  type: 0 | 1 | 2;
}

/** What the service's validation and QC say about a submission, worked out once when it arrives. */
export interface SubmissionReport {
  /** The Input Validation step's messages; a type-1 message ends the job. */
  validation: StepMessage[];
  /** The Quality Control step's messages (none when validation failed). */
  qualityControl: StepMessage[];
  /** The message that fails the job (state 5), when validation or QC refuse the input. */
  failure?: string;
  /** Whether the submission was lifted over to the panel's build (statistics/lift-over.txt). */
  liftOver: boolean;
  /** Chunks below the panel's SNP minimum, as chunks-excluded.txt lists them. */
  excludedChunks: { chromosome: string; chunk: number; passed: number; overlap: number }[];
}

/** Global scenario: a name, a spelled-out scenario, or a function choosing per submission. */
export type ScenarioSetting =
  | JobScenarioName
  | JobScenario
  | ((submission: ReceivedSubmission) => JobScenarioName | JobScenario);

/**
 * Cloudgene's maintenance mode, as an admin turns it on: `GET /api/v2/server` says `maintenace: true`
 * with the message, and job calls of non-admin users answer 503 "This functionality is currently under
 * maintenance.". Admin accounts are let through, as at the service.
 */
export interface MaintenanceSetting {
  /** `maintenaceMessage`: the service's maintenance template (HTML allowed). */
  message: string;
  /**
   * What answers 503: `submissions` (default) new jobs only, status, list, cancel and restart keep
   * working; `jobs` every `/api/v2/jobs` call, as Cloudgene 3's JobController does.
   */
  scope?: 'submissions' | 'jobs';
}

/**
 * What a proxy in front of a service that is down answers to every request, until cleared: `html-502`
 * nginx's 502 Bad Gateway page, `refuse` the connection dropped without an answer, `html-200` a
 * maintenance page with status 200.
 */
export type DownMode = 'html-502' | 'refuse' | 'html-200';

export interface DownSetting {
  mode: DownMode;
}

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
  /**
   * Seeded files every job lists instead of its own results (any size, generated as they stream: for
   * transfer tests and benchmarks). Unset, a job lists real files made from its input (job-results.ts).
   */
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
  /**
   * Keep users, tokens, jobs, download counters and the maintenance and down switches in this JSON file
   * across restarts (the local stack).
   */
  stateFile?: string;
  /** Maintenance mode from the start (null: off); a value given here wins over the state file's. */
  maintenance?: MaintenanceSetting | null;
  /** Down from the start (null: up); a value given here wins over the state file's. */
  down?: DownSetting | null;
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
  /**
   * Set for a configured (`resultFiles`) file: its contents are `resultStream(seed, size)`, whose digest is
   * `resultSha256(seed, size)`. Absent for a job's own result, made from its input (job-results.ts).
   */
  seed?: string;
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
  /** The submitted files as read while they streamed in (absent in state files of older simulators). */
  input?: SubmittedVcf[];
  /** What validation and QC say about them; absent when the panel is not the server's. */
  report?: SubmissionReport;
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
  /** The names of the request's headers, lower case (never their values: a token stays out of the log). */
  headerNames: string[];
  outcome: 'answered' | 'reset' | 'dropped' | 'truncated' | 'stalled';
}
