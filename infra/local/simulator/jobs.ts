/**
 * The job lifecycle: a submission becomes a job with a scenario (queue → run → export, or fail, dead,
 * manual), a report of what validation and QC say about its files, and its result listing; its state
 * code is read off the simulator's clock (a state forced by a test or a cancel wins; input the service
 * refuses fails the job once it leaves the queue), and `jobBody` renders it as Cloudgene does — queue
 * position, step log messages with their HTML, and the result files under their output parameters.
 * Nothing here touches HTTP; the routes call in.
 */
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { ADMIN_ONLY_PARAMS, findPanel, hasPanel, type PanelDefinition } from './fixtures';
import { makeJobResults } from './job-results';
import { humanSize } from './result-bytes';
import { reportSubmission } from './submission-report';
import type {
  JobScenario,
  JobScenarioName,
  ReceivedSubmission,
  SimulatedJob,
  SimulatedUser,
  StepMessage,
  SubmittedVcf,
} from './types';

const KNOWN_SCENARIOS: Record<JobScenarioName, JobScenario> = {
  success: { outcome: 'success' },
  fail: { outcome: 'fail' },
  'slow-queue': { outcome: 'success', timing: { queueMs: 60 * 60_000 }, queueAhead: 120 },
  dead: { outcome: 'dead' },
  manual: { outcome: 'manual' },
};
/** States that count against the per-user limit. */
export const ACTIVE_STATES: ReadonlySet<number> = new Set([-1, 1, 2, 3]);
/** States whose result files are listed and downloadable. */
export const SUCCESS_STATES: ReadonlySet<number> = new Set([4, 8]);
/** States whose job lists (and serves) result files: a success, or a failure with its reports. */
export const LISTING_STATES: ReadonlySet<number> = new Set([4, 8, 5, 9]);
const ENDED_STATES: ReadonlySet<number> = new Set([4, 5, 6, 7, 8, 9]);
const DEFAULT_FAIL_MESSAGE = '<b>Error:</b> No chunks passed the QC step. Imputation cannot be started!';

/** The Cloudgene state code of a job at `now`; a failed job gets its log message on the way. */
export function stateAt(job: SimulatedJob, now: number, panels: readonly PanelDefinition[]): number {
  if (job.override !== undefined) return job.override;
  if (job.outcome === 'manual') return 1;
  const elapsed = now - job.clockStart;
  const { queueMs, runMs, exportMs } = job.timing;
  if (elapsed < queueMs) return 1;
  if (!hasPanel(panels, job.fields.refpanel ?? '')) {
    job.failMessage ??= `Application ${job.fields.refpanel ?? ''} is not installed or wrong permissions.`;
    return 5;
  }
  if (job.report?.failure) {
    job.failMessage ??= job.report.failure;
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

/**
 * A new job for an accepted submission, on the scenario the server's setting picks for it, added to the
 * server's jobs at once (its id is taken, its slot counts), then given its result listing: the configured
 * seeded files, or its own files, made now from its input.
 */
export async function createJob(
  sim: CloudgeneSimulator,
  submission: ReceivedSubmission,
  upload: SimulatedJob['upload'],
  input: SubmittedVcf[],
): Promise<SimulatedJob> {
  const chosen = typeof sim.scenario === 'function' ? sim.scenario(submission) : sim.scenario;
  const plan = typeof chosen === 'string' ? KNOWN_SCENARIOS[chosen] : chosen;
  const now = sim.now();
  const id = nextJobId(sim.jobs, now);
  const panel = findPanel(sim.panels, submission.fields.refpanel ?? '');
  const seeded = plan.resultFiles ?? sim.resultFiles;
  const job: SimulatedJob = {
    ...submission,
    id,
    name: submission.fields['job-name'] ?? id,
    upload,
    submittedAt: now,
    clockStart: now,
    scenario: typeof chosen === 'string' ? chosen : 'custom',
    outcome: plan.outcome,
    timing: { ...sim.timing, ...plan.timing },
    queueAhead: plan.queueAhead ?? 0,
    failMessage: plan.failMessage,
    input,
    report: panel ? reportSubmission(input, submission.fields, panel) : undefined,
    results: (seeded ?? []).map((spec) => ({
      ...spec,
      seed: `${id}/${spec.name}`,
      hash: sim.state.sign(`${id}/${spec.name}`),
      downloads: 0,
    })),
  };
  sim.state.addJob(job);
  if (seeded) return job;
  job.results = (await makeJobResults(sim, job)).map(({ name, content, param, redirect }) => ({
    name,
    size: content.length,
    ...(param ? { param } : {}),
    ...(redirect ? { redirect } : {}),
    hash: sim.state.sign(`${id}/${name}`),
    downloads: 0,
  }));
  sim.state.persist();
  return job;
}

/** `job-YYYYMMDD-HHMMSS-mmm` as Cloudgene names jobs; a clash moves on by a millisecond. */
function nextJobId(jobs: readonly SimulatedJob[], now: number): string {
  for (let t = now; ; t++) {
    const iso = new Date(t).toISOString();
    const id = `job-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
    if (!jobs.some((j) => j.id === id)) return id;
  }
}

/** `/restart` of a dead job: it runs again from the queue, and succeeds this time. */
export function restartJob(sim: CloudgeneSimulator, job: SimulatedJob): void {
  job.override = undefined;
  job.outcome = 'success';
  job.clockStart = sim.now();
  sim.state.persist();
}

function positionInQueue(sim: CloudgeneSimulator, job: SimulatedJob, now: number): number {
  const queued = sim.jobs
    .filter((j) => sim.stateOf(j, now) === 1)
    .sort((a, b) => a.clockStart - b.clockStart);
  return queued.indexOf(job) + queueBacklog(job, now);
}

/** Other users' jobs still ahead of a queued job (`queueAhead`), counting down over its time in the queue. */
export function queueBacklog(job: SimulatedJob, now: number): number {
  if (job.outcome === 'manual' || job.override === 1) return job.queueAhead;
  const elapsed = Math.max(0, now - job.clockStart);
  return Math.ceil(job.queueAhead * Math.max(0, 1 - elapsed / job.timing.queueMs));
}

interface Step {
  id: number;
  name: string;
  logMessages: { message: string; type: number; time: number }[];
}

/** The validation message of a job from an older state file, which has no report. */
const legacyValidation = (job: SimulatedJob): StepMessage[] => [
  { message: `${job.files.length} valid VCF file(s) found.`, type: 0 },
];

/** The steps' log messages so far, as the services word them (HTML included). */
function steps(sim: CloudgeneSimulator, job: SimulatedJob, state: number, now: number): Step[] {
  const { queueMs, runMs, exportMs } = job.timing;
  const t0 = job.clockStart;
  const list: Step[] = [];
  // Type 3 (running) is drawn live here; reports hold 0, 1 and 2 only.
  type LogMessage = { message: string; type: StepMessage['type'] | 3 };
  const step = (name: string, messages: LogMessage[] | LogMessage, time: number) =>
    list.push({
      id: list.length + 1,
      name,
      logMessages: [messages].flat().map(({ message, type }) => ({ message, type, time })),
    });
  // A job canceled (or forced into a state) while still queued never ran a step.
  if (!hasStarted(job, state, now)) return list;
  const failed = state === 5 || state === 9;
  const failMessage = job.failMessage ?? 'Job failed.';
  if (failed && !hasPanel(sim.panels, job.fields.refpanel ?? '')) {
    step('Input Validation', { message: failMessage, type: 1 }, t0 + queueMs);
    return list;
  }
  const report = job.report;
  step('Input Validation', report?.validation ?? legacyValidation(job), t0 + queueMs);
  if (report?.failure) {
    if (report.qualityControl.length > 0) step('Quality Control', report.qualityControl, t0 + queueMs);
    return list;
  }
  if (failed) {
    step('Quality Control', { message: failMessage, type: 1 }, job.overrideAt ?? t0 + queueMs + runMs);
    return list;
  }
  if (report) step('Quality Control', report.qualityControl, t0 + queueMs);
  if (state === 2 || state === -1) {
    const done = Math.min(3, Math.floor(((now - t0 - queueMs) / runMs) * 4));
    step('Imputation', { message: `Imputation (${done + 1}/4)`, type: 3 }, now);
    return list;
  }
  if (![3, 4, 7, 8].includes(state)) return list;
  step('Imputation', { message: 'Imputation successful.', type: 0 }, t0 + queueMs + runMs);
  if (state === 3) step('Data Compression and Encryption', { message: 'Exporting data...', type: 3 }, now);
  else {
    step(
      'Data Compression and Encryption',
      {
        message: 'Data have been exported successfully. We have sent a notification email to the user.',
        type: 0,
      },
      t0 + queueMs + runMs + exportMs,
    );
  }
  return list;
}

function hasStarted(job: SimulatedJob, state: number, now: number): boolean {
  return state !== 1 && (job.overrideAt ?? now) - job.clockStart >= job.timing.queueMs;
}

/**
 * The job as `GET /api/v2/jobs/{id}` answers it: state, queue position, step log messages, results.
 * Admin-only output parameters are listed only when the asking user is an admin.
 */
export function jobBody(sim: CloudgeneSimulator, job: SimulatedJob, viewer?: SimulatedUser) {
  const now = sim.now();
  const state = sim.stateOf(job, now);
  const { queueMs, runMs, exportMs } = job.timing;
  const t0 = job.clockStart;
  const started = hasStarted(job, state, now);
  const jobSteps = steps(sim, job, state, now);

  const params = new Map<
    string,
    { name: string; hash: string; size: string; count: number; path: string }[]
  >();
  // A failed job keeps what its steps wrote before the failure (QC report, statistics, logs), as the real
  // services list them; never imputed results.
  const failed = state === 5 || state === 9;
  if (LISTING_STATES.has(state)) {
    for (const file of job.results) {
      if (failed && /\.zip$/i.test(file.name)) continue;
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
  const naturalEnd = t0 + queueMs + runMs + (state === 5 ? 0 : exportMs);
  return {
    id: job.id,
    name: job.name,
    application: 'Genotype Imputation (Minimac4)',
    applicationId: sim.appId,
    state,
    positionInQueue: state === 1 ? positionInQueue(sim, job, now) : -1,
    submittedOn: job.submittedAt,
    startTime: started ? t0 + queueMs : -1,
    endTime: ENDED_STATES.has(state) ? (job.overrideAt ?? naturalEnd) : -1,
    deletedOn: state === 7 ? (job.overrideAt ?? now) : -1,
    steps: jobSteps,
    outputParams: [...params.entries()].map(([name, files], index) => ({
      id: 11 + index,
      name,
      description: name === 'output' ? 'Downloads' : 'Logs',
      hash: sim.state.sign(`${job.id}/${name}`),
      files,
    })),
  };
}
