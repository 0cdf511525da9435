/**
 * A service's health in words, from what the watcher recorded (GET /services): the state with since
 * when, how fast it answered, its queue, and its availability, so a researcher knows before submitting
 * whether a job would wait for the service.
 */
import type { Service } from '../api/client';
import { formatDateTime } from './format';

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

/** Beside the chip that names the state: since when, the reason when it is not up, then the figures. */
export function healthSentence(health: Health | null): string {
  if (!health) return 'The gateway has not checked this service yet.';
  const since = `Since ${formatDateTime(health.since)}`;
  const why = health.status === 'UP' || !health.lastError ? '' : ` (${health.lastError.detail})`;
  const queue = health.queueSize === null ? '' : ` · ${health.queueSize} job(s) in its queue`;
  return (
    `${since}${why}. Answered in ${health.latencyMs} ms at ${formatDateTime(health.checkedAt)}${queue}` +
    ` · available ${percent(health.availability24h)} of the last 24 h, ${percent(health.availability7d)} of 7 days.`
  );
}
