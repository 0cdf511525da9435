/**
 * A parent job: the same uploads and options run at several targets (POST /jobs with `targets`). It is an
 * item of its own beside its children, under the same key space (`JOB#<ulid>` in the owner's partition,
 * `entity: 'JobGroup'`), so GET /jobs/{id} and the listing find it like a job; it carries no status (its
 * status is derived from its children when read, parent-job-status.ts), no watch and no outbox, so the
 * watcher, the status index and every workflow pass it by. Its children are ordinary jobs with
 * `parentId`; their ids are planned (ULIDs) before the parent is written, so a creation interrupted between
 * children is completed by a retry with the same Idempotency-Key.
 */
import type { JobRouting } from './job-record';
import type { JobTarget } from './job-request';

/** One planned child: the target as asked for and where it goes (the service routing chose, if by panel). */
export interface PlannedChild {
  jobId: string;
  target: JobTarget;
  serviceId: string;
  refPanel: string;
  population: string;
  routing?: JobRouting;
}

export interface ParentJobRecord {
  kind: 'parent';
  jobId: string;
  owner: string;
  name: string;
  build: 'hg19' | 'hg38';
  phasing: string;
  population: string;
  mode: string;
  r2Filter: string;
  aesEncryption: boolean;
  meta: boolean;
  inputs: { uploadId: string; fileName: string; size: number }[];
  children: PlannedChild[];
  createdAt: string;
  updatedAt: string;
  idempotencyKey?: string;
}

/** Whether an item read under a job key is a parent job. */
export function isParentJob(item: unknown): item is ParentJobRecord {
  return typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'parent';
}
