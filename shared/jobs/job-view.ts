/**
 * The public shape of a job: everything the owner may see, in API terms (no internal keys, no secrets),
 * with the names a person reads beside the ids: the service's name from this deployment's catalog and the
 * labels of the chosen options (job-labels.ts).
 */
import { panelKeyOf } from '#shared/catalog/panel-key';
import { findService } from '#shared/catalog/service-catalog';
import { jobLabels } from './job-labels';
import type { JobRecord } from './job-repository';
import { JobStatus } from './job-status';
import { JOB_EVENTS_KEPT_FIRST } from './job-update-expressions';
import { nextCheckAt } from './next-check';
import { queueEstimate } from './queue-estimate';

export function toJobView(job: JobRecord, now: Date = new Date()) {
  const leftOut = job.eventsDropped ? { after: JOB_EVENTS_KEPT_FIRST, count: job.eventsDropped } : null;
  let previous: string | null = null;
  const events = (job.events ?? []).map((event, index) => {
    // The status before the first event after a gap is among the events left out.
    if (leftOut && index === leftOut.after) previous = null;
    const view = { at: event.at, from: previous, to: event.to, detail: event.detail ?? null };
    previous = event.to;
    return view;
  });
  return {
    kind: 'job' as const,
    jobId: job.jobId,
    name: job.name,
    serviceId: job.serviceId,
    serviceName: serviceName(job.serviceId),
    refPanel: job.refPanel,
    /** The parent job this one is a child of (a job run at several targets); null otherwise. */
    parentId: job.parentId ?? null,
    /** The panel's key across services (GET /panels): what a resubmission elsewhere keeps. */
    panelKey: panelKeyOf(job.refPanel),
    build: job.build,
    phasing: job.phasing,
    population: job.population,
    mode: job.mode,
    r2Filter: job.r2Filter,
    labels: jobLabels(job),
    inputs: job.inputs.map(({ uploadId, fileName, size }) => ({ uploadId, fileName, size })),
    /** What our checks found in the inputs, once they were found valid. */
    inputChecks: job.inputChecks ?? null,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    statusChangedAt: job.statusChangedAt,
    /** When the job can next change (ask again then); null once finished. */
    nextCheckAt: nextCheckAt(job, now),
    externalJobId: job.externalJobId ?? null,
    progress: job.remote
      ? {
          remoteState: job.remote.state,
          positionInQueue: job.remote.positionInQueue ?? null,
          checkedAt: job.remote.checkedAt,
          queueEstimate:
            job.status === JobStatus.QUEUED_REMOTE
              ? queueEstimate(job.remote.queueTrail, job.remote.positionInQueue, now)
              : null,
        }
      : null,
    messages: job.remote?.messages ?? [],
    /** The service not answering this job's status properly, ridden out since `since` (null when fine). */
    serviceTrouble: job.remoteTrouble
      ? {
          kind: job.remoteTrouble.kind,
          since: job.remoteTrouble.since,
          count: job.remoteTrouble.count,
          detail: job.remoteTrouble.detail,
        }
      : null,
    waiting:
      job.watch && (job.watch.kind === 'SLOT' || job.watch.kind === 'SERVICE' || job.watch.kind === 'TOKEN')
        ? { for: job.watch.kind, since: job.watch.since }
        : null,
    remoteCancel: job.remoteCancel
      ? {
          state: job.remoteCancel.state,
          attempts: job.remoteCancel.attempts,
          lastAt: job.remoteCancel.lastAt,
        }
      : null,
    error: job.error ?? null,
    warnings: job.warnings ?? [],
    results: (job.results ?? []).map(({ name, size, sha256 }) => ({ name, size, sha256 })),
    /** Files the service listed that could not be copied, each with the service's reason. */
    missingResults: job.missingResults ?? [],
    events,
    /** The events a long history left out (job-update-expressions.ts `compactedHistory`). */
    eventsLeftOut: leftOut,
    /** How the service was chosen, for a job created by panel; null for one created at a service. */
    routing: job.routing
      ? {
          panel: job.routing.panel,
          chosen: job.routing.chosen,
          reason: job.routing.reason,
          considered: job.routing.considered.map(({ serviceId, verdict, detail }) => ({
            serviceId,
            verdict,
            detail,
          })),
        }
      : null,
    resubmittedFrom: job.resubmittedFrom ?? null,
    resubmittedAs: job.resubmittedAs ?? [],
  };
}

export type JobView = ReturnType<typeof toJobView>;

/** The short form used in listings. */
export function toJobSummary(job: JobRecord, now: Date = new Date()) {
  return {
    kind: 'job' as const,
    jobId: job.jobId,
    name: job.name,
    serviceId: job.serviceId,
    serviceName: serviceName(job.serviceId),
    refPanel: job.refPanel,
    parentId: job.parentId ?? null,
    labels: jobLabels(job),
    status: job.status,
    createdAt: job.createdAt,
    statusChangedAt: job.statusChangedAt,
    nextCheckAt: nextCheckAt(job, now),
    error: job.error ?? null,
  };
}

/** A service no longer in the catalog keeps its id. */
function serviceName(serviceId: string): string {
  return findService(serviceId)?.name ?? serviceId;
}
