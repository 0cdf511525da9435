/**
 * What the API answers for a parent job: its shared options, its targets, its derived status with a
 * summary of its children's, and its children themselves (full views in GET /jobs/{id}, summaries in the
 * listing). Children are read with one GetItem each (a parent has at most five).
 */
import { findService } from '#shared/catalog/service-catalog';
import { type JobRecord, jobRepository } from './job-repository';
import { toJobSummary, toJobView } from './job-view';
import type { ParentJobRecord } from './parent-job-record';
import { deriveParentStatus, summarizeChildren } from './parent-job-status';

/** The parent's children that exist, in the order of its targets. */
export async function readChildren(parent: ParentJobRecord): Promise<JobRecord[]> {
  const children = await Promise.all(
    parent.children.map((child) => jobRepository().get(parent.owner, child.jobId)),
  );
  return children.filter((child): child is JobRecord => child !== undefined);
}

function derived(parent: ParentJobRecord, children: readonly JobRecord[], now: Date) {
  const statuses = children.map((child) => child.status);
  const nextChecks = children
    .map((child) => toJobSummary(child, now).nextCheckAt)
    .filter((at): at is string => at !== null)
    .sort();
  const changes = children.map((child) => child.statusChangedAt).sort();
  return {
    kind: 'parent' as const,
    jobId: parent.jobId,
    name: parent.name,
    status: deriveParentStatus(parent.children.length, statuses),
    summary: summarizeChildren(parent.children.length, statuses),
    createdAt: parent.createdAt,
    /** The latest status change of any child (the parent's creation before any). */
    statusChangedAt: changes.at(-1) ?? parent.createdAt,
    /** The soonest any child can next change; null once none can. */
    nextCheckAt: nextChecks[0] ?? null,
  };
}

export function toParentJobView(parent: ParentJobRecord, children: readonly JobRecord[], now = new Date()) {
  const byId = new Map(children.map((child) => [child.jobId, child]));
  return {
    ...derived(parent, children, now),
    updatedAt: parent.updatedAt,
    build: parent.build,
    phasing: parent.phasing,
    population: parent.population,
    mode: parent.mode,
    r2Filter: parent.r2Filter,
    inputs: parent.inputs.map(({ uploadId, fileName, size }) => ({ uploadId, fileName, size })),
    /** Each target in the order asked for, with its child's id and where it went. */
    targets: parent.children.map((child) => ({
      jobId: child.jobId,
      serviceId: child.serviceId,
      serviceName: findService(child.serviceId)?.name ?? child.serviceId,
      refPanel: child.refPanel,
      population: child.population,
      panel: child.target.panel ?? null,
      created: byId.has(child.jobId),
    })),
    children: children.map((child) => toJobView(child, now)),
  };
}

export type ParentJobView = ReturnType<typeof toParentJobView>;

export function toParentJobSummary(
  parent: ParentJobRecord,
  children: readonly JobRecord[],
  now = new Date(),
) {
  return {
    ...derived(parent, children, now),
    children: children.map((child) => toJobSummary(child, now)),
  };
}

export async function parentJobView(parent: ParentJobRecord) {
  return toParentJobView(parent, await readChildren(parent));
}

export async function parentJobSummary(parent: ParentJobRecord) {
  return toParentJobSummary(parent, await readChildren(parent));
}
