/**
 * Parent jobs (one request run at several targets): how their derived status reads, whether it can still
 * move, and a summary of their children in words.
 */
import type { ParentJobStatus } from '../api/client';
import { statusLabel } from './job-status';
import type { Refreshable } from './refresh-interval';

const labels: Record<ParentJobStatus, string> = {
  INCOMPLETE: 'Incomplete',
  RUNNING: 'Running',
  SUCCEEDED: 'All succeeded',
  PARTIAL: 'Partly succeeded',
  CANCELED: 'Canceled',
  FAILED: 'Failed',
};

export function parentStatusLabel(status: ParentJobStatus): string {
  return labels[status] ?? status;
}

/** The chip tone's status: PARTIAL reads as a warning, INCOMPLETE as one too. */
export function parentStatusTone(status: ParentJobStatus): string {
  return status === 'PARTIAL' || status === 'INCOMPLETE' ? 'WAITING_FOR_SLOT' : status;
}

export function isParentRunning(status: ParentJobStatus): boolean {
  return status === 'RUNNING';
}

export function isParent<T extends { kind: string }>(job: T): job is Extract<T, { kind: 'parent' }> {
  return job.kind === 'parent';
}

/** What the refresh timer reads of a parent: active while a child is. */
export function refreshableParent(parent: {
  status: ParentJobStatus;
  nextCheckAt: string | null;
}): Refreshable {
  return {
    status: isParentRunning(parent.status) ? 'RUNNING' : 'SUCCEEDED',
    nextCheckAt: parent.nextCheckAt,
  };
}

/** "2 jobs: 1 succeeded, 1 running" */
export function childrenSentence(summary: {
  total: number;
  byStatus: Record<string, number>;
  missing: number;
}): string {
  const parts = Object.entries(summary.byStatus).map(
    ([status, count]) => `${count} ${statusLabel(status).toLowerCase()}`,
  );
  if (summary.missing > 0) parts.push(`${summary.missing} not created yet`);
  return `${summary.total} jobs: ${parts.join(', ')}`;
}
