/**
 * The sentence under a job's name saying where it stands, in the service's name: what a waiting job
 * waits for (the workflow's own words, recorded on the WAITING_FOR_SLOT event: "2 of your jobs are
 * running at … (at most 2 at a time)"), a queued job's position as the service last reported it and
 * when, and — once its position has moved enough to measure the pace — an estimate with its basis.
 */
import { formatDateTime, formatTime } from './format';
import { isFinished } from './job-status';

export interface ProgressLike {
  status: string;
  serviceName: string;
  statusChangedAt: string;
  progress: {
    positionInQueue: number | null;
    checkedAt: string;
    queueEstimate?: { minutes: number; places: number; overMinutes: number } | null;
  } | null;
  events: { to: string; detail: string | null }[];
}

/** The workflow's reason for the latest wait for a slot, as a sentence; null when it gave none. */
export function slotWaitReason(job: Pick<ProgressLike, 'events'>): string | null {
  const detail = job.events.findLast((event) => event.to === 'WAITING_FOR_SLOT')?.detail?.trim();
  if (!detail) return null;
  const sentence = detail.charAt(0).toUpperCase() + detail.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

export function progressSentence(job: ProgressLike): string {
  const service = job.serviceName;
  if (isFinished(job.status)) return `Finished ${formatDateTime(job.statusChangedAt)}.`;
  switch (job.status) {
    case 'QUEUED':
      return 'Starting: the input files are checked first.';
    case 'VALIDATING':
      return `Checking the input files before they go to ${service}.`;
    case 'SUBMITTING':
      return `Sending the input files to ${service}.`;
    case 'WAITING_FOR_SLOT':
      return `${slotWaitReason(job) ?? `Waiting until ${service} accepts another of your jobs.`} It is sent by itself as soon as a slot is free.`;
    case 'QUEUED_REMOTE': {
      const position = job.progress?.positionInQueue;
      if (position == null || position < 0) return `In the queue at ${service}.`;
      const where = `Position ${position + 1} in the queue at ${service} (as of ${formatTime(job.progress!.checkedAt)}).`;
      const estimate = job.progress?.queueEstimate;
      if (!estimate) return where;
      return `${where} About ${duration(estimate.minutes)} to go, at the pace the queue moved for this job (${estimate.places} places in ${duration(estimate.overMinutes)}).`;
    }
    case 'RUNNING':
      return `Running at ${service}.`;
    case 'COPYING_RESULTS':
      return `Copying the results from ${service}.`;
    case 'CANCEL_REQUESTED':
      return `Cancelling at ${service}.`;
    default:
      return 'In progress.';
  }
}

/** `40 min`, `3 h 5 min` */
function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
