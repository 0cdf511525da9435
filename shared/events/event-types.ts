/**
 * The events the gateway publishes on its bus, one detail type per kind of change (documented in the
 * README, "Events"), built from an outbox entry and the item it was written into. Every detail carries
 * `eventId` (unique, time-ordered: delivery is at least once, so a consumer drops an id it has seen) and
 * `at` (when the change happened). Never a token, nor more of a service's own words than a truncated
 * message.
 */
import { JOB_PREFIX } from '#shared/jobs/job-update-expressions';
import type { JobStatusEntry, OutboxEntry, ServiceHealthEntry, TokenStateEntry } from './outbox';

export const EVENT_SOURCE = 'imputation-gateway';

export const DETAIL_TYPES = {
  JOB_STATUS: 'Job Status Changed',
  SERVICE_HEALTH: 'Service Health Changed',
  TOKEN_STATE: 'Service Token State Changed',
} as const satisfies Record<OutboxEntry['kind'], string>;

/** The longest message a detail carries (a job's or a probe's detail, a job's error). */
export const MESSAGE_MAX_CHARS = 500;

export interface JobStatusChanged {
  eventId: string;
  jobId: string;
  owner: string;
  serviceId: string;
  jobName: string;
  /** The status before (null for the job's first). */
  from: string | null;
  to: string;
  at: string;
  message?: string;
  /** A FAILED job's error code and (truncated) message. */
  error?: { code: string; message: string };
}

export interface ServiceHealthChanged {
  eventId: string;
  serviceId: string;
  /** Null for the service's first health record. */
  from: string | null;
  to: string;
  at: string;
  message?: string;
}

export interface ServiceTokenStateChanged {
  eventId: string;
  owner: string;
  serviceId: string;
  /** Null when a token was stored (whatever was stored before is not read). */
  from: 'active' | 'rejected' | 'expired' | null;
  to: 'active' | 'rejected' | 'expired';
  at: string;
  /** The token's expiry as the service gave it, when it did. */
  expiresAt: string | null;
}

export type EventDetail = JobStatusChanged | ServiceHealthChanged | ServiceTokenStateChanged;

export function truncate(text: string, max = MESSAGE_MAX_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

type Item = Record<string, unknown>;

const ownerOf = (item: Item) => String(item.PK).replace(/^USER#/, '');

/**
 * The event of an entry, or null when it no longer stands and is dropped unpublished: a token's
 * scheduled expiry once that token was replaced or rejected.
 */
export function eventOf(item: Item, entry: OutboxEntry): { detailType: string; detail: EventDetail } | null {
  switch (entry.kind) {
    case 'JOB_STATUS':
      return { detailType: DETAIL_TYPES.JOB_STATUS, detail: jobStatusChanged(item, entry) };
    case 'SERVICE_HEALTH':
      return { detailType: DETAIL_TYPES.SERVICE_HEALTH, detail: serviceHealthChanged(item, entry) };
    case 'TOKEN_STATE': {
      const detail = tokenStateChanged(item, entry);
      return detail && { detailType: DETAIL_TYPES.TOKEN_STATE, detail };
    }
  }
}

function jobStatusChanged(item: Item, entry: JobStatusEntry): JobStatusChanged {
  // The state it came from is the one of the history's event before this one.
  const history = Array.isArray(item.events) ? (item.events as { at: string; to: string }[]) : [];
  const index = history.findLastIndex((event) => event.at === entry.at && event.to === entry.to);
  const error = item.error as { code?: unknown; message?: unknown } | undefined;
  return {
    eventId: entry.id,
    // A deleted job's events come from an item of another key (outbox.ts `departedJobItem`).
    jobId: String(item.jobId ?? String(item.SK).slice(JOB_PREFIX.length)),
    owner: ownerOf(item),
    serviceId: String(item.serviceId),
    jobName: truncate(String(item.name ?? ''), 200),
    from: index > 0 ? history[index - 1]!.to : null,
    to: entry.to,
    at: entry.at,
    ...(entry.detail ? { message: truncate(entry.detail) } : {}),
    ...(entry.to === 'FAILED' && error?.code
      ? { error: { code: String(error.code), message: truncate(String(error.message ?? '')) } }
      : {}),
  };
}

function serviceHealthChanged(item: Item, entry: ServiceHealthEntry): ServiceHealthChanged {
  return {
    eventId: entry.id,
    serviceId: String(item.serviceId ?? String(item.PK).replace(/^SERVICE#/, '')),
    from: entry.from,
    to: entry.to,
    at: entry.at,
    ...(entry.detail ? { message: truncate(entry.detail) } : {}),
  };
}

function tokenStateChanged(item: Item, entry: TokenStateEntry): ServiceTokenStateChanged | null {
  const expiresAt = entry.expiresAt ?? (typeof item.tokenExpiresAt === 'string' ? item.tokenExpiresAt : null);
  const sameToken = item.verifiedAt === entry.verifiedAt;
  if (entry.to === 'expired' && (!sameToken || typeof item.tokenRejectedAt === 'string')) return null;
  const expiredBefore = sameToken && expiresAt !== null && expiresAt <= entry.at;
  return {
    eventId: entry.id,
    owner: ownerOf(item),
    serviceId: String(item.serviceId),
    from: entry.to === 'rejected' && expiredBefore ? 'expired' : entry.from,
    to: entry.to,
    at: entry.at,
    expiresAt,
  };
}
