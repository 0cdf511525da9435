/**
 * A service's health in words, from what the watcher recorded (GET /services): the state with since
 * when, how fast it answered, its queue, and its availability, so a researcher knows before submitting
 * whether a job would wait for the service; and, on a job's page, what an outage of its service means for
 * that job (it is kept, and goes on by itself once the service answers).
 */
import type { Service } from '../api/client';
import { formatDateTime } from './format';
import { isFinished } from './job-status';

type Health = NonNullable<Service['health']>;

const LABELS: Record<Health['status'], string> = {
  UP: 'Up',
  DEGRADED: 'Slow',
  MAINTENANCE: 'In maintenance',
  DOWN: 'Down',
};

const percent = (share: number | null) =>
  share === null ? '–' : `${(share * 100).toFixed(share === 1 ? 0 : 1)} %`;

export function healthLabel(health: Health | null): string {
  return health ? LABELS[health.status] : 'Not checked yet';
}

/** Down or in maintenance: jobs do not go to it (new ones wait), submitted ones are not asked about. */
export function isOutage(health: Health | null | undefined): boolean {
  return health?.status === 'DOWN' || health?.status === 'MAINTENANCE';
}

/** Beside the chip that names the state: since when, the reason when it is not up, then the figures. */
export function healthSentence(health: Health | null): string {
  if (!health) return 'The gateway has not checked this service yet.';
  const since = `Since ${formatDateTime(health.since)}`;
  const availability = `available ${percent(health.availability24h)} of the last 24 h, ${percent(health.availability7d)} of 7 days.`;
  if (isOutage(health)) {
    // Not "answered in": a 502 page or a refused connection is no answer.
    const why = health.lastError
      ? ` (${health.lastError.detail}; last error at ${formatDateTime(health.lastError.at)})`
      : '';
    const what =
      health.status === 'DOWN'
        ? 'New jobs for it wait and are sent by themselves when it is back; submitted jobs keep their state.'
        : 'New jobs for it wait until the maintenance ends; submitted jobs keep their state.';
    return `${since}${why}. Checked at ${formatDateTime(health.checkedAt)} · ${availability} ${what}`;
  }
  const why = health.status === 'UP' || !health.lastError ? '' : ` (${health.lastError.detail})`;
  const queue = health.queueSize === null ? '' : ` · ${health.queueSize} job(s) in its queue`;
  return `${since}${why}. Answered in ${health.latencyMs} ms at ${formatDateTime(health.checkedAt)}${queue} · ${availability}`;
}

export interface OutageJob {
  status: string;
  serviceName: string;
  externalJobId: string | null;
}

/**
 * What the outage of a job's service means for that job, or null when the service is usable (or the job
 * finished). A submitted job keeps its state and is asked about again once the service answers; a job
 * not submitted yet waits for the service and is sent by itself.
 */
export function outageNotice(
  job: OutageJob,
  health: Health | null | undefined,
): { title: string; text: string } | null {
  if (!health || !isOutage(health) || isFinished(job.status)) return null;
  const service = job.serviceName;
  const state = health.status === 'DOWN' ? `${service} is not answering` : `${service} is in maintenance`;
  const why = health.lastError ? `: ${health.lastError.detail}` : '';
  const facts = `${health.status === 'DOWN' ? 'Down' : 'In maintenance'} since ${formatDateTime(health.since)}${why} (checked at ${formatDateTime(health.checkedAt)}).`;
  if (job.externalJobId) {
    return {
      title: state,
      text: `${facts} Your job is kept as it is, not failed: the gateway asks ${service} about it again as soon as it answers, and collects the results if it finished meanwhile.`,
    };
  }
  return {
    title: state,
    text: `${facts} Your job is kept and sent by itself as soon as ${service} is back; the gateway checks it every minute.`,
  };
}
