/**
 * How healthy an imputation service is, from cheap anonymous calls a watcher makes every minute: its
 * server info (`GET /api/v2/server`, whose `maintenace` flag — spelled so upstream — says maintenance)
 * and its counters (`GET /api/v2/server/counters`, the queue's size). Each probe is one observation;
 * the status follows observations with hysteresis, so one slow or failed answer does not flap it: two in
 * a row are needed to go DOWN or DEGRADED, and two to come back UP. Maintenance is what the service says
 * of itself, so it is believed at once. An HTML page (a proxy's 502, or a 200 maintenance page) is the
 * service being unwell, never an answer. Pure but for `probeService`, which takes its fetch.
 */

export type HealthStatus = 'UP' | 'DEGRADED' | 'MAINTENANCE' | 'DOWN';

/** What one probe saw. `SLOW`: answered correctly, slower than SLOW_MS. */
export interface HealthObservation {
  at: string;
  outcome: 'UP' | 'SLOW' | 'MAINTENANCE' | 'DOWN';
  latencyMs: number;
  /** Jobs waiting in the service's queue, when its counters answered. */
  queueSize?: number;
  /** Why it is not UP: the service's maintenance message, or what failed. */
  detail?: string;
}

/** An answer slower than this is a slow one (the services answer these calls in well under a second). */
export const SLOW_MS = 5_000;
/** A probe waits this long for each call. */
export const PROBE_TIMEOUT_MS = 10_000;
/** Observations in a row that change the status (maintenance excepted). */
export const HYSTERESIS = 2;
/** Hourly buckets kept for availability: 7 days. */
const BUCKET_HOURS = 7 * 24;
/** Recent observations kept, for the history with latency. */
const RECENT = 30;

export interface HealthRecord {
  serviceId: string;
  status: HealthStatus;
  /** Since when the status holds. */
  since: string;
  checkedAt: string;
  latencyMs: number;
  queueSize: number | null;
  /** The last thing that was wrong, and when; kept after recovery. */
  lastError: { at: string; detail: string } | null;
  /** The outcome that would change the status, and how many times in a row it was seen. */
  pending: { outcome: HealthObservation['outcome']; count: number } | null;
  /** Per hour (epoch hour): probes, and how many found the service usable (UP or SLOW). */
  hours: { hour: number; probes: number; usable: number }[];
  recent: { at: string; outcome: HealthObservation['outcome']; latencyMs: number }[];
}

const statusOf = (outcome: HealthObservation['outcome']): HealthStatus =>
  outcome === 'SLOW' ? 'DEGRADED' : outcome;

/** The record after one more observation. */
export function observe(
  record: HealthRecord | undefined,
  serviceId: string,
  seen: HealthObservation,
): HealthRecord {
  const target = statusOf(seen.outcome);
  const previous: HealthRecord = record ?? {
    serviceId,
    status: target,
    since: seen.at,
    checkedAt: seen.at,
    latencyMs: seen.latencyMs,
    queueSize: null,
    lastError: null,
    pending: null,
    hours: [],
    recent: [],
  };
  let { status, since, pending } = previous;
  if (target === status) {
    pending = null;
  } else {
    const count = pending?.outcome === seen.outcome ? pending.count + 1 : 1;
    // The service's own word on maintenance, and the first observation ever, count at once.
    if (target === 'MAINTENANCE' || !record || count >= HYSTERESIS) {
      status = target;
      since = seen.at;
      pending = null;
    } else {
      pending = { outcome: seen.outcome, count };
    }
  }
  const hour = Math.floor(Date.parse(seen.at) / 3_600_000);
  const hours = previous.hours.filter((h) => h.hour > hour - BUCKET_HOURS);
  const usable = seen.outcome === 'UP' || seen.outcome === 'SLOW' ? 1 : 0;
  const current = hours.find((h) => h.hour === hour);
  if (current) {
    current.probes += 1;
    current.usable += usable;
  } else {
    hours.push({ hour, probes: 1, usable });
  }
  return {
    serviceId,
    status,
    since,
    checkedAt: seen.at,
    latencyMs: seen.latencyMs,
    queueSize: seen.queueSize ?? (usable ? previous.queueSize : null),
    lastError:
      seen.outcome === 'UP' ? previous.lastError : { at: seen.at, detail: seen.detail ?? seen.outcome },
    pending,
    hours,
    recent: [...previous.recent, { at: seen.at, outcome: seen.outcome, latencyMs: seen.latencyMs }].slice(
      -RECENT,
    ),
  };
}

/** The share of probes over the last `hours` that found the service usable; null without probes. */
export function availability(record: HealthRecord, hours: number, now: Date): number | null {
  const hour = Math.floor(now.getTime() / 3_600_000);
  const window = record.hours.filter((h) => h.hour > hour - hours);
  const probes = window.reduce((sum, h) => sum + h.probes, 0);
  if (probes === 0) return null;
  return window.reduce((sum, h) => sum + h.usable, 0) / probes;
}

/** A service's health as the API shows it. */
export interface HealthView {
  status: HealthStatus;
  since: string;
  checkedAt: string;
  latencyMs: number;
  queueSize: number | null;
  /** Share of probes that found it usable, over the last 24 hours and 7 days (null without probes). */
  availability24h: number | null;
  availability7d: number | null;
  lastError: { at: string; detail: string } | null;
}

export function toHealthView(record: HealthRecord, now = new Date()): HealthView {
  return {
    status: record.status,
    since: record.since,
    checkedAt: record.checkedAt,
    latencyMs: record.latencyMs,
    queueSize: record.queueSize,
    availability24h: availability(record, 24, now),
    availability7d: availability(record, 7 * 24, now),
    lastError: record.lastError,
  };
}

/** Reads a body whose type says JSON; an HTML page or anything else is the service being unwell. */
async function jsonOf(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (!type.includes('json') && /^\s*</.test(text)) {
    throw new Error(`an HTML page with status ${response.status}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`an answer that is not JSON (status ${response.status})`);
  }
}

async function call(fetchImpl: typeof fetch, url: string): Promise<unknown> {
  const response = await fetchImpl(url, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    // Anonymous, but a redirect still goes nowhere: a service answers these calls itself.
    redirect: 'manual',
    headers: { accept: 'application/json' },
  });
  if (response.status >= 300 && response.status < 400) throw new Error(`a redirect (${response.status})`);
  const body = await jsonOf(response);
  if (!response.ok) throw new Error(`status ${response.status}`);
  return body;
}

/** One probe of a service: its server info, then its counters (whose failure alone does not make it down). */
export async function probeService(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  clock: () => number = Date.now,
): Promise<HealthObservation> {
  const started = clock();
  const at = new Date(started).toISOString();
  let info: unknown;
  try {
    info = await call(fetchImpl, `${baseUrl}/api/v2/server`);
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS} ms`
        : (error as Error).message;
    return { at, outcome: 'DOWN', latencyMs: clock() - started, detail: `server info: ${reason}` };
  }
  // Cloudgene 3 spells it `maintenace`; newer releases (statgen/cloudgene3) `maintenance`: both are read.
  const server = (info ?? {}) as Record<string, unknown>;
  if (server.maintenace === true || server.maintenance === true) {
    const said = server.maintenaceMessage ?? server.maintenanceMessage;
    const message = typeof said === 'string' ? said : '';
    return {
      at,
      outcome: 'MAINTENANCE',
      latencyMs: clock() - started,
      detail: message.slice(0, 500) || 'in maintenance',
    };
  }
  let queueSize: number | undefined;
  try {
    const counters = (await call(fetchImpl, `${baseUrl}/api/v2/server/counters`)) as {
      queue?: { size?: unknown };
    };
    if (typeof counters?.queue?.size === 'number') queueSize = counters.queue.size;
  } catch {
    // Older servers lack the counters: the server info answered, so the service is up.
  }
  const latencyMs = clock() - started;
  return {
    at,
    outcome: latencyMs > SLOW_MS ? 'SLOW' : 'UP',
    latencyMs,
    ...(queueSize === undefined ? {} : { queueSize }),
    ...(latencyMs > SLOW_MS ? { detail: `answered in ${latencyMs} ms` } : {}),
  };
}
