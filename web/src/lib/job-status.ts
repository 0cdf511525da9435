/**
 * How each job state reads (label, chip tone), which states are still moving, and the Cloudgene message
 * types as the service wrote them (docs: `type` 0 ok, 1 error, 2 warning, 3 running).
 */
import type { JobStatus } from '../api/client';
import { formatDateTime } from './format';

export type JobStatusName = JobStatus;

/** Every state of the generated contract has its label: a state added to the API breaks this build. */
const labels: Record<JobStatusName, string> = {
  QUEUED: 'Queued',
  VALIDATING: 'Checking inputs',
  SUBMITTING: 'Submitting',
  WAITING_FOR_SLOT: 'Waiting for a slot',
  WAITING_FOR_SERVICE: 'Waiting for the service',
  WAITING_FOR_TOKEN: 'Waiting for your token',
  QUEUED_REMOTE: 'Queued at the service',
  RUNNING: 'Running',
  COPYING_RESULTS: 'Copying results',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  CANCEL_REQUESTED: 'Cancelling',
  CANCELED: 'Canceled',
  EXPIRED: 'Expired',
};

/** The states, in the API's order (the status filter offers them). */
export const JOB_STATUSES = Object.keys(labels) as JobStatusName[];

export function statusLabel(status: string): string {
  return labels[status as JobStatusName] ?? status;
}

/** A state in a job's timeline, naming the service where the chip says "the service". */
export function timelineLabel(status: string, serviceName: string): string {
  switch (status) {
    case 'SUBMITTING':
      return `Submitting to ${serviceName}`;
    case 'QUEUED_REMOTE':
      return `Queued at ${serviceName}`;
    case 'RUNNING':
      return `Running at ${serviceName}`;
    default:
      return statusLabel(status);
  }
}

export type Tone = 'neutral' | 'progress' | 'success' | 'danger' | 'warning';

export function statusTone(status: string): Tone {
  switch (status) {
    case 'SUCCEEDED':
      return 'success';
    case 'FAILED':
      return 'danger';
    case 'CANCELED':
    case 'EXPIRED':
      return 'neutral';
    case 'CANCEL_REQUESTED':
    case 'WAITING_FOR_SLOT':
    case 'WAITING_FOR_SERVICE':
    case 'WAITING_FOR_TOKEN':
      return 'warning';
    default:
      return 'progress';
  }
}

const finished = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED']);

export function isFinished(status: string): boolean {
  return finished.has(status);
}

export function canCancel(status: string): boolean {
  return !finished.has(status) && status !== 'CANCEL_REQUESTED' && status !== 'COPYING_RESULTS';
}

export type MessageKind = 'ok' | 'error' | 'warning' | 'running' | 'info';

export function messageKind(type: number): MessageKind {
  switch (type) {
    case 0:
      return 'ok';
    case 1:
      return 'error';
    case 2:
      return 'warning';
    case 3:
      return 'running';
    default:
      return 'info';
  }
}

export const messageKindLabel: Record<MessageKind, string> = {
  ok: 'OK',
  error: 'Error',
  warning: 'Warning',
  running: 'Running',
  info: 'Note',
};

/** Cloudgene messages may contain HTML; the console shows their text only. */
export function messageText(message: string): string {
  return message
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

/**
 * The timeline's line for the events a long history left out (the job keeps its first and its latest),
 * between the last event before the gap and the first after it.
 */
export function leftOutText(count: number, from: string | undefined, to: string): string {
  const between = from ? ` between ${formatDateTime(from)} and ${formatDateTime(to)}` : '';
  return `${count} ${count === 1 ? 'change' : 'changes'}${between} not kept: a long history keeps its first and its latest entries.`;
}
