/** The jobs of the poll-cost benchmark (bench/poll-cost.ts runs each in bench/poll-cost-run.ts). */
import type { FaultRule, ResultFileSpec } from '#infra/local/simulator/cloudgene-simulator';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface PollScenario {
  label: string;
  queueMs: number;
  /** Other users' jobs ahead in the queue: the position counts down over queueMs (each step a change). */
  queueAhead: number;
  runMs: number;
  exportMs: number;
  /** Both of the user's slots are taken (jobs elsewhere) for this long: the workflow waits for a slot. */
  slotWaitMs?: number;
  faults?: FaultRule[];
}

/** 22 chromosome zips, QC report, statistics, log: 25 result files, as a whole-genome job at Michigan. */
export const RESULT_FILES: ResultFileSpec[] = [
  ...Array.from({ length: 22 }, (_, i) => ({ name: `chr_${i + 1}.zip`, size: 1024 })),
  { name: 'qc_report.txt', size: 760 },
  { name: 'statistics/statistics.txt', size: 1200 },
  { name: 'job.txt', size: 300, param: 'cloudgene_logs' },
];

export const SCENARIOS: Record<string, PollScenario> = {
  '1h': {
    label: '1 h job (10 min queue behind 20, 45 min run, 5 min export)',
    queueMs: 10 * MINUTE,
    queueAhead: 20,
    runMs: 45 * MINUTE,
    exportMs: 5 * MINUTE,
  },
  '24h': {
    label: '24 h job (6 h queue behind 120, 17.5 h run, 30 min export)',
    queueMs: 6 * HOUR,
    queueAhead: 120,
    runMs: 17.5 * HOUR,
    exportMs: 30 * MINUTE,
  },
  '24h-slot': {
    label: '24 h job after a 2 h wait for a slot',
    slotWaitMs: 2 * HOUR,
    queueMs: 6 * HOUR,
    queueAhead: 120,
    runMs: 17.5 * HOUR,
    exportMs: 30 * MINUTE,
  },
  '7d': {
    label: '7-day job (2 d queue behind 300, 4.75 d run, 6 h export)',
    queueMs: 48 * HOUR,
    queueAhead: 300,
    runMs: 114 * HOUR,
    exportMs: 6 * HOUR,
  },
  '1h-faults': {
    label: '1 h job, 3 polls answered 503, 1 download cut short (retried)',
    queueMs: 10 * MINUTE,
    queueAhead: 20,
    runMs: 45 * MINUTE,
    exportMs: 5 * MINUTE,
    faults: [
      { method: 'GET', path: /^\/api\/v2\/jobs\/job-/, status: 503, times: 3 },
      { method: 'GET', path: '/share/results/', status: 'truncate', times: 1 },
    ],
  },
};

export interface PollRunResult {
  scenario: string;
  status: string;
  executions: number;
  /** The job's own executions (validate + submit, submit, collect), not the upload's check. */
  jobTransitions: number;
  /** The upload check's execution (one per uploaded file, shared by every job that uses the file). */
  uploadCheckTransitions: number;
  /** Watcher runs that did something for this job (polled it, looked for a slot, started an execution). */
  watcherRuns: number;
  /** State transitions as Step Functions Standard bills them: every state entered, and every retry. */
  transitions: number;
  entered: Record<string, number>;
  retries: number;
  polls: number;
  slotWaits: number;
  copies: number;
  /** From the service finishing the job to the poll that saw it, in seconds. */
  detectionDelaySeconds: number;
  /** Simulated time from submission to the end of the workflow, in hours. */
  simulatedHours: number;
}
