/**
 * Jobs as tests and benches write them, in the three shapes the product has: the stored `JobRecord`,
 * the create-job request (as the handler takes it, and as a client sends it over HTTP) and the
 * Cloudgene submission. Typed with the product's types, so a changed field breaks the build here
 * rather than leaving a stale copy in some test. A test that depends on a value passes it as an override.
 */
import type * as z from 'zod/mini';
import type { SubmitJobRequest } from '#shared/cloudgene/types';
import type { JobRecord } from '#shared/jobs/job-record';
import type { CreateJobRequest, createJobBodySchema, JobChoices } from '#shared/jobs/job-request';
import { JobStatus } from '#shared/jobs/job-status';

/** The imputation settings every fixture job uses: Michigan, 1000G phase 3, hg19, eagle, EUR. */
export const JOB_SETTINGS = {
  serviceId: 'michigan',
  refPanel: 'apps@1000g-phase-3-v5@2.0.0',
  build: 'hg19',
  phasing: 'eagle',
  population: 'eur',
  mode: 'imputation',
  r2Filter: '0',
} as const satisfies Partial<JobRecord>;

export const CREATED_AT = '2026-11-23T00:00:00.000Z';

/**
 * A stored job (default: `alice`'s, QUEUED, one input). Its timestamps default to `createdAt` and its
 * history to one event into its status at that time; its one input lies under its owner's prefix.
 */
export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  const owner = overrides.owner ?? 'alice';
  const status = overrides.status ?? JobStatus.QUEUED;
  const at = overrides.createdAt ?? CREATED_AT;
  return {
    jobId: '01JOB0000000000000000000A1',
    owner,
    name: 'chr20 cohort',
    ...JOB_SETTINGS,
    inputs: [{ uploadId: 'u1', key: `inputs/${owner}/u1/a.vcf.gz`, fileName: 'a.vcf.gz', size: 10 }],
    status,
    createdAt: at,
    updatedAt: at,
    statusChangedAt: at,
    events: [{ at, to: status }],
    ...overrides,
  };
}

/**
 * A create-job request as the product takes it once parsed (defaults applied), for `createJob`: at a
 * service (`serviceId`, `refPanel`), the fixture's.
 */
export function createJobRequest(
  overrides: Partial<CreateJobRequest> & Pick<CreateJobRequest, 'uploadIds'>,
): CreateJobRequest & JobChoices {
  return { name: 'chr20 cohort', ...JOB_SETTINGS, aesEncryption: false, meta: false, ...overrides };
}

/** A POST /jobs body as a client sends it (before parsing: r2Filter a number, as the README shows it). */
export type CreateJobBody = z.input<typeof createJobBodySchema>;

export function createJobBody(
  overrides: Partial<CreateJobBody> & Pick<CreateJobBody, 'uploadIds'>,
): CreateJobBody {
  return { name: 'chr20 cohort', ...JOB_SETTINGS, r2Filter: 0, ...overrides };
}

/** A Cloudgene submission (default: no files; a test submits its own). */
export function submitRequest(overrides: Partial<SubmitJobRequest> = {}): SubmitJobRequest {
  const { serviceId: _, ...settings } = JOB_SETTINGS;
  return { jobName: 'cohort chr20', ...settings, password: 'zip-password-123', files: [], ...overrides };
}
