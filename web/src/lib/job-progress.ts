/**
 * The sentence under a job's name saying where it stands, in the service's name: what a waiting job
 * waits for and since when (the workflow's own words, recorded on the WAITING_FOR_SLOT or
 * WAITING_FOR_SERVICE event: "2 of your jobs are running at … (at most 2 at a time)"), a queued job's position as the service last reported it and
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
  serviceTrouble?: {
    kind: 'NOT_FOUND' | 'UNWELL' | 'TOKEN';
    since: string;
    count: number;
    detail: string;
  } | null;
  waiting?: { for: 'SLOT' | 'SERVICE' | 'TOKEN'; since: string } | null;
}

/** The service not answering this job properly, in words: what, since when, and that the job is kept. */
export function troubleSentence(job: Pick<ProgressLike, 'serviceTrouble' | 'serviceName'>): string | null {
  const trouble = job.serviceTrouble;
  if (!trouble) return null;
  const times = `${trouble.count} time${trouble.count === 1 ? '' : 's'}`;
  if (trouble.kind === 'TOKEN') {
    return `${job.serviceName} has refused your API token (or none is stored) since ${formatDateTime(trouble.since)} (${times}). Store a new token on the Services page: the job is kept and goes on with it.`;
  }
  const what =
    trouble.kind === 'NOT_FOUND'
      ? `${job.serviceName} has not found this job when asked`
      : `${job.serviceName} has not answered properly about this job`;
  return `${what} since ${formatDateTime(trouble.since)} (${times}; last: ${trouble.detail}). The job is kept and asked about again until the service answers.`;
}

/** The workflow's reason for the latest wait (for a slot, or the service), as a sentence; null when none. */
export function slotWaitReason(
  job: Pick<ProgressLike, 'events'>,
  status: 'WAITING_FOR_SLOT' | 'WAITING_FOR_SERVICE' | 'WAITING_FOR_TOKEN' = 'WAITING_FOR_SLOT',
): string | null {
  const detail = job.events.findLast((event) => event.to === status)?.detail?.trim();
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
      return `${slotWaitReason(job) ?? `Waiting until ${service} accepts another of your jobs.`} It is sent by itself as soon as a slot is free${since(job)}.`;
    case 'WAITING_FOR_SERVICE':
      return `${slotWaitReason(job, 'WAITING_FOR_SERVICE') ?? `${service} is down or in maintenance.`} It is sent by itself as soon as ${service} is back${since(job)}.`;
    case 'WAITING_FOR_TOKEN':
      return `${slotWaitReason(job, 'WAITING_FOR_TOKEN') ?? `Your API token for ${service} is missing or no longer accepted.`} Store a new one on the Services page: the job is sent by itself then${since(job)}.`;
    case 'QUEUED_REMOTE': {
      const position = job.progress?.positionInQueue;
      if (position == null || position < 0) return withTrouble(`In the queue at ${service}.`, job);
      const where = `Position ${position + 1} in the queue at ${service} (as of ${formatTime(job.progress!.checkedAt)}).`;
      const estimate = job.progress?.queueEstimate;
      if (!estimate) return withTrouble(where, job);
      return `${where} About ${duration(estimate.minutes)} to go, at the pace the queue moved for this job (${estimate.places} places in ${duration(estimate.overMinutes)}).`;
    }
    case 'RUNNING':
      return withTrouble(`Running at ${service}.`, job);
    case 'COPYING_RESULTS':
      return `Copying the results from ${service}.`;
    case 'CANCEL_REQUESTED':
      return `Cancelling at ${service}.`;
    default:
      return 'In progress.';
  }
}

const since = (job: ProgressLike) =>
  job.waiting ? ` (waiting since ${formatDateTime(job.waiting.since)})` : '';

/** `40 min`, `3 h 5 min` */
function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

const withTrouble = (sentence: string, job: ProgressLike) => {
  const trouble = troubleSentence(job);
  return trouble ? `${sentence} ${trouble}` : sentence;
};
