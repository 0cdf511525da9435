/**
 * A parent job's status, derived from its children whenever it is read (never stored, so it cannot drift):
 *
 * - `INCOMPLETE`: a planned child does not exist (its creation was interrupted: POST the same request with
 *   the same Idempotency-Key again to create the rest);
 * - `RUNNING`: any child is still active (not SUCCEEDED, FAILED, CANCELED or EXPIRED);
 * - `SUCCEEDED`: every child succeeded;
 * - `PARTIAL`: every child ended, some succeeded and some did not;
 * - `CANCELED`: every child was canceled;
 * - `FAILED`: every child ended, none succeeded (and not all were canceled).
 */
import { isTerminal, JobStatus } from './job-status';

export const ParentJobStatus = {
  INCOMPLETE: 'INCOMPLETE',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  PARTIAL: 'PARTIAL',
  CANCELED: 'CANCELED',
  FAILED: 'FAILED',
} as const;

export type ParentJobStatus = (typeof ParentJobStatus)[keyof typeof ParentJobStatus];

export const parentJobStatuses = Object.values(ParentJobStatus) as ParentJobStatus[];

export interface ChildrenSummary {
  /** The children planned. */
  total: number;
  /** How many children are in each status (only statuses some child is in). */
  byStatus: Record<string, number>;
  /** Planned children that do not exist (see `INCOMPLETE`). */
  missing: number;
}

export function summarizeChildren(planned: number, statuses: readonly JobStatus[]): ChildrenSummary {
  const byStatus: Record<string, number> = {};
  for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
  return { total: planned, byStatus, missing: Math.max(0, planned - statuses.length) };
}

export function deriveParentStatus(planned: number, statuses: readonly JobStatus[]): ParentJobStatus {
  if (statuses.length < planned || statuses.length === 0) return ParentJobStatus.INCOMPLETE;
  if (statuses.some((status) => !isTerminal(status))) return ParentJobStatus.RUNNING;
  const succeeded = statuses.filter((status) => status === JobStatus.SUCCEEDED).length;
  if (succeeded === statuses.length) return ParentJobStatus.SUCCEEDED;
  if (succeeded > 0) return ParentJobStatus.PARTIAL;
  if (statuses.every((status) => status === JobStatus.CANCELED)) return ParentJobStatus.CANCELED;
  return ParentJobStatus.FAILED;
}
