/**
 * What a job is, as the repository stores it and the API and the workflow read it: one record per job
 * with its inputs, its whole status history, the service's side of it and the fate of every result file.
 * Types only; the repository (job-repository.ts) is the one place that writes them.
 */
import type { InputChecks } from '#shared/vcf/job-input-rules';
import type { JobStatus } from './job-status';
import type { JobWatch } from './job-watch';
import type { QueueSighting } from './queue-estimate';

export interface JobInput {
  uploadId: string;
  key: string;
  fileName: string;
  size: number;
  /** The object's ETag when its validation finished: the submission reads exactly that object (If-Match). */
  etag?: string;
}

export interface JobResultFile {
  name: string;
  key: string;
  size: number;
  sha256: string;
}

/**
 * What became of one result file the service listed. `COPIED`: in our bucket, verified. `UNAVAILABLE`:
 * the service refused it (its reason kept). `FAILED`: the copy gave up after its retries.
 */
export type ResultFileOutcome =
  | ({ status: 'COPIED'; at: string } & JobResultFile)
  | { status: 'UNAVAILABLE' | 'FAILED'; name: string; code: string; reason: string; at: string };

/** A result file that could not be copied, as the owner sees it. */
export interface MissingResultFile {
  name: string;
  code: string;
  reason: string;
}

/** One status change; the state it came from is the `to` of the event before it. */
export interface JobEvent {
  at: string;
  to: JobStatus;
  detail?: string;
}

export interface JobError {
  code: string;
  message: string;
}

/** The service's labels of a job's chosen values, recorded at creation (shared/jobs/job-labels.ts). */
export interface JobLabels {
  refPanel: string;
  population: string;
  build: string;
  phasing: string;
  mode: string;
  r2Filter: string;
}

/**
 * How a service was judged for a job named by its panel (panel-routing.ts): `CHOSEN`, `ELIGIBLE` (could
 * have taken it), `SERVICE_DOWN`, `SERVICE_MAINTENANCE`, `PANEL_NOT_OFFERED`, `OPTIONS_NOT_OFFERED` (the
 * panel, but not the build, population or another option asked for), or the code of the refusal that
 * kept its options from being read (`SERVICE_TOKEN_MISSING`, `SERVICE_TOKEN_EXPIRED`, `SERVICE_UNAVAILABLE`…).
 */
export type RoutingVerdict = string;

/** Why a job named by its panel went to the service it went to, recorded at creation. */
export interface JobRouting {
  /** The panel key the job named (shared/catalog/panels.ts). */
  panel: string;
  /** The service chosen. */
  chosen: string;
  reason: string;
  considered: { serviceId: string; verdict: RoutingVerdict; detail: string }[];
}

export interface JobRecord {
  jobId: string;
  owner: string;
  name: string;
  serviceId: string;
  refPanel: string;
  build: 'hg19' | 'hg38';
  phasing: string;
  population: string;
  mode: string;
  r2Filter: string;
  /** Absent on jobs created before labels were recorded. */
  labels?: JobLabels;
  aesEncryption?: boolean;
  meta?: boolean;
  inputs: JobInput[];
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
  events: JobEvent[];
  /** Events left out of a full history (job-update-expressions.ts `compactedHistory`). */
  eventsDropped?: number;
  externalJobId?: string;
  executionArn?: string;
  remote?: {
    state: number;
    positionInQueue?: number;
    messages: { step: string; type: number; message: string }[];
    checkedAt: string;
    /** The positions this job was seen at in the service's queue, for an estimate of its wait. */
    queueTrail?: QueueSighting[];
    /**
     * Since when the service shows the job waiting (queued, or dead and restartable) without it running
     * since: past QUEUE_DEADLINE_HOURS it is canceled there and ends EXPIRED.
     */
    waitingSince?: string;
  };
  /** What the watcher does next for the job (shared/jobs/job-watch.ts); absent once nothing is. */
  watch?: JobWatch;
  /**
   * The cancel at the service of a job that ended here while the service may still run it: `PENDING`
   * until it went through (the watcher retries it), `DONE`, or `GAVE_UP` after CANCEL_RETRY_HOURS.
   */
  remoteCancel?: { state: 'PENDING' | 'DONE' | 'GAVE_UP'; attempts: number; lastAt: string; detail?: string };
  error?: JobError;
  /**
   * The service failed the job but listed report files: they are copied first, then the job ends FAILED
   * with this error.
   */
  serviceFailure?: JobError;
  /**
   * The service answered this job's status calls with 404s (NOT_FOUND), was unreachable or answered what
   * we could not read (UNWELL), or the owner's token was missing or refused (TOKEN), since `since`: ridden
   * out, never taken as the job's end on the spot.
   */
  remoteTrouble?: {
    kind: 'NOT_FOUND' | 'UNWELL' | 'TOKEN';
    since: string;
    count: number;
    lastAt: string;
    detail: string;
  };
  /** What our check of the inputs found (set when they were found valid). */
  inputChecks?: InputChecks;
  /**
   * The service's result files as it listed them. The hash is the file's download key at the service, so
   * it stays here and out of the workflow's execution history.
   */
  remoteFiles?: RemoteResultFile[];
  /** Per-file copy outcomes keyed by the file's index in `remoteFiles`; each copy task writes its own. */
  copyOutcomes?: Record<string, ResultFileOutcome>;
  results?: JobResultFile[];
  missingResults?: MissingResultFile[];
  /** Things the owner should know about a job that still succeeded (e.g. result files missing). */
  warnings?: JobError[];
  /**
   * Set while a submission may be on its way to the service (the upload started, its outcome is not
   * known yet). A cancel then waits for the outcome instead of stopping the workflow under it.
   */
  submissionAttemptAt?: string;
  /**
   * The version of the result password key the submission derived the zip password with (recorded with
   * the attempt, before anything is sent); absent on jobs sent before versions were recorded: version 1.
   */
  passwordKeyVersion?: string;
  /** The last error a workflow task threw, in full; the execution state carries only its name. */
  lastFailure?: { type: string; message: string; at: string };
  /** When the marked attempt ended without a known outcome (its answer lost); see submit-job.ts. */
  submissionAttemptEndedAt?: string;
  idempotencyKey?: string;
  /** Set when the job was created by panel (`panel` instead of `serviceId`): how its service was chosen. */
  routing?: JobRouting;
  /** The job this one resubmits (POST /jobs/{id}/resubmit). */
  resubmittedFrom?: string;
  /** The jobs that resubmit this one, oldest first (appended with a conditional write). */
  resubmittedAs?: string[];
  /** The parent job this one is a child of (POST /jobs with `targets`; shared/jobs/parent-jobs.ts). */
  parentId?: string;
}

export interface RemoteResultFile {
  name: string;
  hash: string;
  /** Human-readable, as the service lists it. */
  size: string;
  /** The output parameter it is listed under. */
  param?: string;
  /** Our object key's name part (differs from `name` only when two parameters list the same name). */
  target?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}
