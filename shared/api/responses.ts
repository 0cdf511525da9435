/**
 * The bodies the API answers with, as zod schemas for the OpenAPI document. The views stay plain
 * functions and interfaces in their modules; the type checks at the end make the build fail when a view
 * and its schema stop describing the same object (a field added, removed, renamed or retyped on either
 * side), so the document cannot drift from the code. Only the document generator imports this module (the
 * checks are types; the schemas are never used to parse at runtime), so it is in no Lambda bundle.
 * The upload routes' answers are in upload-responses.ts (re-exported here), the shared pieces in
 * response-parts.ts.
 */
import * as z from 'zod/mini';
import type { PanelList } from '#shared/catalog/panels';
import type { ServiceView } from '#shared/catalog/service-view';
import type { AppOptions } from '#shared/cloudgene/client';
import type { CredentialMetadata } from '#shared/credentials/credential-store';
import type { CredentialView } from '#shared/credentials/service-credentials';
import type { ValidationIssue } from '#shared/http/validate';
import { JobStatus } from '#shared/jobs/job-status';
import type { JobView, toJobSummary } from '#shared/jobs/job-view';
import type { jobPassword, jobResults, listJobs } from '#shared/jobs/jobs';
import { ParentJobStatus } from '#shared/jobs/parent-job-status';
import type { cancelJobOrParent, getJobOrParent } from '#shared/jobs/parent-jobs';
import { component, count, cursor, described, nullableTimestamp, text, timestamp } from './response-parts';

export * from './upload-responses';

export const jobStatusSchema = component(z.enum(JobStatus), 'JobStatus', 'The state of a job');

const choice = component(z.strictObject({ id: text, label: text }), 'Choice', 'One value a service offers');

// -- services --------------------------------------------------------------------------------------------

export const serviceSchema = component(
  z.strictObject({
    id: text,
    name: text,
    location: text,
    notes: text,
    baseUrl: z.url(),
    appId: text,
    maxConcurrentJobs: z.int().check(z.positive()),
    tokenHelpUrl: described(z.url(), 'Where to create an API token for this service'),
    credential: z.strictObject({
      status: z.enum(['missing', 'active', 'expired', 'rejected']),
      expiresAt: nullableTimestamp,
      daysToExpiry: z.nullable(z.int()),
    }),
    health: z.nullable(
      component(
        z.strictObject({
          status: described(
            z.enum(['UP', 'DEGRADED', 'MAINTENANCE', 'DOWN']),
            'From anonymous probes every minute, with hysteresis: two observations in a row change it (maintenance, said by the service itself, at once). DEGRADED: answering slower than 5 s',
          ),
          since: timestamp,
          checkedAt: described(timestamp, 'The last probe'),
          latencyMs: count,
          queueSize: described(z.nullable(count), "Jobs in the service's queue (its counters), when known"),
          availability24h: described(
            z.nullable(z.number()),
            'Share of probes over the last 24 hours that found it usable (0–1)',
          ),
          availability7d: described(z.nullable(z.number()), '…over the last 7 days'),
          lastError: z.nullable(z.strictObject({ at: timestamp, detail: text })),
        }),
        'ServiceHealth',
        'What the watcher last found of a service; null before its first probe',
      ),
    ),
  }),
  'Service',
  "An imputation service of this deployment, with the state of the caller's token for it",
);

export const serviceListSchema = z.strictObject({ services: z.array(serviceSchema) });

export const serviceOptionsSchema = component(
  z.strictObject({
    serviceId: text,
    fetchedAt: timestamp,
    appId: text,
    name: text,
    version: z.nullable(text),
    refPanels: z.array(
      component(
        z.strictObject({ id: text, label: text, populations: z.array(choice) }),
        'RefPanel',
        'A reference panel with the populations it offers (`refPanel` and `population` of a job)',
      ),
    ),
    builds: z.array(choice),
    phasing: z.array(choice),
    modes: z.array(choice),
    r2Filters: z.array(choice),
    defaults: z.strictObject({
      build: z.nullable(text),
      phasing: z.nullable(text),
      mode: z.nullable(text),
      r2Filter: z.nullable(text),
    }),
  }),
  'ServiceOptions',
  'What the service offers the caller, read with their own token',
);

export const panelListSchema = component(
  z.strictObject({
    panels: z.array(
      component(
        z.strictObject({
          panelKey: described(
            text,
            'The panel across services: a job may name it as `panel` (POST /jobs). Panels are equivalent when ' +
              "their services' app ids match without the `apps@` prefix and the packaging version; labels never join panels",
          ),
          label: described(text, "The first offering service's label"),
          builds: described(z.array(text), 'Input builds at least one offering service accepts'),
          populations: described(z.array(choice), 'Populations at least one offering service has for it'),
          services: z.array(
            component(
              z.strictObject({
                serviceId: text,
                serviceName: text,
                refPanel: described(text, "The service's own id of the panel: a job's `refPanel` there"),
                label: text,
                populations: z.array(choice),
                builds: described(z.array(text), 'Input builds the service accepts'),
                health: described(
                  z.nullable(z.enum(['UP', 'DEGRADED', 'MAINTENANCE', 'DOWN'])),
                  "The service's health (null before the watcher's first probe)",
                ),
              }),
              'PanelOffer',
              "One service's offer of a panel",
            ),
          ),
        }),
        'Panel',
        'A reference panel with every service that offers it to the caller',
      ),
    ),
    unavailable: described(
      z.array(
        component(
          z.strictObject({
            serviceId: text,
            serviceName: text,
            reason: described(
              text,
              'Why its panels are not listed: `SERVICE_TOKEN_MISSING`, `SERVICE_TOKEN_EXPIRED`, `SERVICE_TOKEN_REJECTED`, ' +
                '`SERVICE_DOWN` (the watcher finds it down and nothing is cached), or what the service answered ' +
                '(`SERVICE_TOKEN_INVALID`, `SERVICE_UNAVAILABLE`, …)',
            ),
            message: described(text, 'What to do, in words'),
          }),
          'ServiceUnavailable',
          'A service whose panels cannot be listed for the caller now',
        ),
      ),
      'Services whose panels are not listed, each with why',
    ),
  }),
  'PanelList',
  "The caller's reference panels across the services, read with their own tokens",
);

// -- credentials -----------------------------------------------------------------------------------------

export const credentialSchema = component(
  z.strictObject({
    serviceId: text,
    serviceUsername: text,
    expiresAt: nullableTimestamp,
    daysToExpiry: described(z.nullable(z.int()), 'Whole days until expiry, negative once expired'),
    expired: z.boolean(),
    status: described(
      z.enum(['active', 'expired', 'rejected']),
      '`rejected`: the service refused this token on a call (revoked or replaced); store a new one',
    ),
    tokenHint: described(text, 'The last four characters of the token, e.g. `…x9Qa`'),
    verifiedAt: timestamp,
    rejectedAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  'Credential',
  'A stored service token: its metadata only, never the token',
);

export const credentialListSchema = z.strictObject({ credentials: z.array(credentialSchema) });

// -- jobs ------------------------------------------------------------------------------------------------

const serviceName = described(
  text,
  "The service's name in this deployment's catalog (its id once the service is no longer offered)",
);
const jobLabels = component(
  z.strictObject({
    refPanel: text,
    population: text,
    build: text,
    phasing: text,
    mode: text,
    r2Filter: text,
  }),
  'JobLabels',
  "How the service labelled the job's chosen values when the job was created (the r² filter 0 reads " +
    '`off`); jobs created before labels were recorded carry their ids',
);
const inputChecks = component(
  z.strictObject({
    samples: count,
    chromosomes: z.array(text),
    variants: count,
    build: described(
      z.nullable(z.enum(['hg19', 'hg38'])),
      "The build the files' own evidence shows (##contig lengths, ##reference, positions); null without evidence",
    ),
    buildEvidence: described(z.array(text), 'That evidence, one clause per piece'),
  }),
  'InputChecks',
  'What our checks found in the input files (set once they were found valid)',
);
const jobError = component(z.strictObject({ code: text, message: text }), 'JobError', 'Why a job failed');
const missingFile = z.strictObject({ name: text, code: text, reason: text });

const routingVerdicts =
  '`CHOSEN`, `ELIGIBLE` (could have taken it), `SERVICE_DOWN`, `SERVICE_MAINTENANCE`, `PANEL_NOT_OFFERED`, ' +
  '`OPTIONS_NOT_OFFERED` (the panel, but not the build, population or another option asked for), or the code ' +
  'that kept its options from being read (`SERVICE_TOKEN_MISSING`, `SERVICE_TOKEN_EXPIRED`, `SERVICE_UNAVAILABLE`…)';

export const routingConsideredSchema = component(
  z.strictObject({
    serviceId: text,
    verdict: described(text, routingVerdicts),
    detail: described(text, 'Why, in words'),
  }),
  'RoutingVerdict',
  'How one service was judged for a job named by its panel',
);

const jobRouting = component(
  z.strictObject({
    panel: described(text, 'The panel key the job named'),
    chosen: described(text, 'The service chosen'),
    reason: described(text, 'Why it was chosen'),
    considered: z.array(routingConsideredSchema),
  }),
  'JobRouting',
  'How the service of a job created by panel was chosen (null for a job created at a service)',
);

const jobKind = described(z.literal('job'), 'A job run at one service (a parent job has `kind: parent`)');
const parentIdField = described(
  z.nullable(text),
  'The parent job this one is a child of (POST /jobs with `targets`); null for a job created alone',
);

export const jobSchema = component(
  z.strictObject({
    kind: jobKind,
    jobId: text,
    name: text,
    serviceId: text,
    serviceName,
    refPanel: text,
    parentId: parentIdField,
    panelKey: described(
      text,
      "The panel's key across services (GET /panels): equivalent panels of other services share it",
    ),
    build: described(z.enum(['hg19', 'hg38']), 'The genome build of the input data'),
    phasing: text,
    population: text,
    mode: text,
    r2Filter: text,
    labels: jobLabels,
    inputs: z.array(z.strictObject({ uploadId: text, fileName: text, size: count })),
    inputChecks: z.nullable(inputChecks),
    status: jobStatusSchema,
    createdAt: timestamp,
    updatedAt: timestamp,
    statusChangedAt: timestamp,
    nextCheckAt: described(
      nullableTimestamp,
      'When the job can next change (the next scheduled check of the workflow); ask again then, not sooner. Null once the job is finished',
    ),
    externalJobId: described(z.nullable(text), "The job's id at the service, once submitted"),
    progress: z.nullable(
      z.strictObject({
        remoteState: z.int(),
        positionInQueue: z.nullable(z.int()),
        checkedAt: timestamp,
        queueEstimate: described(
          z.nullable(
            z.strictObject({
              minutes: described(count, 'Whole minutes until the job should start, at the pace measured'),
              places: described(count, 'The basis: places the job moved up in the queue…'),
              overMinutes: described(count, '…over this many minutes'),
            }),
          ),
          "An estimate of the wait in the service's queue from how this job's position moved; null without two places moved over two minutes",
        ),
      }),
    ),
    messages: described(
      z.array(z.strictObject({ step: text, type: z.int(), message: text })),
      "The service's latest log messages",
    ),
    serviceTrouble: described(
      z.nullable(
        z.strictObject({
          kind: z.enum(['NOT_FOUND', 'UNWELL', 'TOKEN']),
          since: timestamp,
          count: count,
          detail: text,
        }),
      ),
      "The service answering this job's status calls with 404s (NOT_FOUND) or not properly (UNWELL: unreachable, an HTML page, a cut body), or the owner's token for it missing or refused (TOKEN), since `since`: ridden out up to the outage limit, the job kept; null when it answers",
    ),
    waiting: described(
      z.nullable(z.strictObject({ for: z.enum(['SLOT', 'SERVICE', 'TOKEN']), since: timestamp })),
      'Before submission: what the job waits for (a free slot of your jobs at the service, the service to be back, or a working API token of yours for it) and since when; the last event says why. Null otherwise',
    ),
    remoteCancel: described(
      z.nullable(
        z.strictObject({
          state: z.enum(['PENDING', 'DONE', 'GAVE_UP']),
          attempts: count,
          lastAt: timestamp,
        }),
      ),
      'A job that ended here while the service may still have run it is canceled there: whether that went through (PENDING: retried by the watcher). Null when no cancel was needed',
    ),
    error: z.nullable(jobError),
    warnings: z.array(jobError),
    results: z.array(z.strictObject({ name: text, size: count, sha256: text })),
    missingResults: described(
      z.array(missingFile),
      'Result files the service listed that could not be copied',
    ),
    events: described(
      z.array(
        z.strictObject({
          at: timestamp,
          from: described(
            z.nullable(jobStatusSchema),
            'The status before; null for the first event, and for the first after events left out',
          ),
          to: jobStatusSchema,
          detail: z.nullable(text),
        }),
      ),
      "The job's history, oldest first. A long one keeps its first and its latest events (50 in all)",
    ),
    eventsLeftOut: described(
      z.nullable(z.strictObject({ after: count, count })),
      'Events left out of a long history: `count` of them after the first `after` events. Null when none were',
    ),
    routing: z.nullable(jobRouting),
    resubmittedFrom: described(z.nullable(text), 'The job this one resubmits (POST /jobs/{jobId}/resubmit)'),
    resubmittedAs: described(z.array(text), 'The jobs that resubmit this one, oldest first'),
  }),
  'Job',
  'A job with its progress, messages, history, error and results',
);

export const jobSummarySchema = component(
  z.strictObject({
    kind: jobKind,
    jobId: text,
    name: text,
    serviceId: text,
    serviceName,
    refPanel: text,
    parentId: parentIdField,
    labels: jobLabels,
    status: jobStatusSchema,
    createdAt: timestamp,
    statusChangedAt: timestamp,
    nextCheckAt: nullableTimestamp,
    error: z.nullable(jobError),
  }),
  'JobSummary',
  'The short form of a job used in listings',
);

export const parentJobStatusSchema = component(
  z.enum(ParentJobStatus),
  'ParentJobStatus',
  "A parent job's status, derived from its children's when read: INCOMPLETE (a planned child was never " +
    'created: retry the POST with the same Idempotency-Key), RUNNING (any child active), SUCCEEDED (all ' +
    'succeeded), PARTIAL (all ended, some succeeded), CANCELED (all canceled), FAILED (all ended, none succeeded)',
);

const childrenSummary = component(
  z.strictObject({
    total: described(count, 'The children planned (one per target)'),
    byStatus: described(z.record(text, count), 'How many children are in each job status'),
    missing: described(count, 'Planned children that do not exist (INCOMPLETE)'),
  }),
  'ChildrenSummary',
  "A summary of a parent job's children",
);

const parentCommon = {
  kind: described(z.literal('parent'), 'A parent job: the same uploads and options run at several targets'),
  jobId: text,
  name: text,
  status: parentJobStatusSchema,
  summary: childrenSummary,
  createdAt: timestamp,
  statusChangedAt: described(timestamp, 'The latest status change of any child'),
  nextCheckAt: described(nullableTimestamp, 'The soonest any child can next change; null once none can'),
};

export const parentJobSchema = component(
  z.strictObject({
    ...parentCommon,
    updatedAt: timestamp,
    build: described(z.enum(['hg19', 'hg38']), 'The genome build of the input data'),
    phasing: text,
    population: described(text, "The shared population (a target's own overrides it)"),
    mode: text,
    r2Filter: text,
    inputs: z.array(z.strictObject({ uploadId: text, fileName: text, size: count })),
    targets: described(
      z.array(
        z.strictObject({
          jobId: described(text, "The target's child job"),
          serviceId: text,
          serviceName,
          refPanel: text,
          population: text,
          panel: described(
            z.nullable(text),
            'The panel key the target named (the gateway picked the service)',
          ),
          created: described(z.boolean(), 'Whether the child exists (false only while INCOMPLETE)'),
        }),
      ),
      'The targets in the order asked for',
    ),
    children: described(z.array(jobSchema), 'The child jobs, in the order of their targets'),
  }),
  'ParentJob',
  'A parent job (POST /jobs with `targets`) with its children',
);

export const parentJobSummarySchema = component(
  z.strictObject({ ...parentCommon, children: z.array(jobSummarySchema) }),
  'ParentJobSummary',
  'The short form of a parent job used in listings, with its children',
);

export const jobOrParentSchema = z.union([jobSchema, parentJobSchema]);

export const parentCancelSchema = component(
  z.strictObject({
    ...parentJobSchema.shape,
    cancel: described(
      z.array(
        z.strictObject({
          jobId: text,
          outcome: described(
            z.enum(['CANCELED', 'ALREADY_ENDED', 'REFUSED']),
            '`CANCELED`: canceled, or requested at the service (its `status` says which); `ALREADY_ENDED`; `REFUSED`: see `error`',
          ),
          status: jobStatusSchema,
          error: z.nullable(jobError),
        }),
      ),
      "Each child's outcome",
    ),
  }),
  'ParentJobCancel',
  'A parent job after its cancel, with what became of each child',
);

export const jobCancelSchema = z.union([jobSchema, parentCancelSchema]);

export const jobListSchema = z.strictObject({
  jobs: described(
    z.array(z.union([jobSummarySchema, parentJobSummarySchema])),
    'Jobs and parent jobs, newest first. Without `status`, a child job is listed under its parent only; with it, the jobs in that status, children included (parents have no stored status)',
  ),
  nextCursor: cursor,
});

export const jobResultsSchema = component(
  z.strictObject({
    jobId: text,
    status: jobStatusSchema,
    files: z.array(
      z.strictObject({
        name: text,
        outcome: z.literal('COPIED'),
        size: count,
        sha256: described(text, 'Hex SHA-256 of the bytes, computed while copying them'),
        url: described(z.url(), 'Presigned GET of the file'),
        expiresAt: described(timestamp, 'When the URL stops working'),
      }),
    ),
    missing: z.array(z.strictObject({ ...missingFile.shape, outcome: z.literal('MISSING') })),
    warnings: z.array(jobError),
  }),
  'JobResults',
  'The result files of a finished job',
);

export const jobPasswordSchema = component(
  z.strictObject({ jobId: text, password: text }),
  'JobPassword',
  "The password of the job's result zip files",
);

// -- errors --------------------------------------------------------------------------------------------

export const validationIssueSchema = component(
  z.strictObject({
    in: z.enum(['body', 'path', 'query', 'header']),
    path: described(text, 'Dotted path of the field; empty for the whole part'),
    message: text,
  }),
  'ValidationIssue',
  'One invalid value of a request (the `details` of VALIDATION_FAILED)',
);

/** The shape of every error; each response of the document narrows `code` to what it can be. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: text,
    message: text,
    details: z.optional(z.unknown()),
    requestId: described(z.optional(text), 'With INTERNAL: the id to find the failure in the logs'),
  }),
});

// -- response headers ----------------------------------------------------------------------------------

export const jobLocationHeaders = z.strictObject({ Location: described(text, 'The job: `/jobs/{jobId}`') });

export const optionsCacheHeaders = z.strictObject({
  'X-Cache': described(z.enum(['hit', 'miss']), 'Whether the options came from the cache'),
});

// -- the views and their schemas describe the same objects (compile time only) ---------------------------

/** True when each type is assignable to the other: same fields, same types (optional fields aside). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile unless given `true`. */
type Expect<_T extends true> = true;
type Out<Schema extends z.ZodMiniType> = z.output<Schema>;

/**
 * job-view.ts types an event's `from` as `string | null` although it only ever holds a status (the `to` of
 * the event before); the document says so. The first check fails once that type is narrowed (then drop
 * the widening here).
 */
type JobViewWithStatusFrom = Omit<JobView, 'events'> & {
  events: (Omit<JobView['events'][number], 'from'> & { from: JobStatus | null })[];
};
/** A job view, or a parent's whose children are job views, with `from` narrowed as above. */
type WithStatusFrom<T> = T extends { kind: 'parent'; children: JobView[] }
  ? Omit<T, 'children'> & { children: JobViewWithStatusFrom[] }
  : T extends JobView
    ? JobViewWithStatusFrom
    : T;
// toCredentialView spreads the stored metadata, so the answer also carries `rejectedAt`.
type CredentialAnswer = CredentialView & CredentialMetadata;

export type ViewChecks = [
  Expect<Same<JobView['events'][number]['from'], string | null>>,
  Expect<Same<JobViewWithStatusFrom, Out<typeof jobSchema>>>,
  Expect<Same<ReturnType<typeof toJobSummary>, Out<typeof jobSummarySchema>>>,
  Expect<Same<Awaited<ReturnType<typeof listJobs>>, Out<typeof jobListSchema>>>,
  Expect<Same<WithStatusFrom<Awaited<ReturnType<typeof getJobOrParent>>>, Out<typeof jobOrParentSchema>>>,
  Expect<Same<WithStatusFrom<Awaited<ReturnType<typeof cancelJobOrParent>>>, Out<typeof jobCancelSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof jobResults>>, Out<typeof jobResultsSchema>>>,
  Expect<Same<Awaited<ReturnType<typeof jobPassword>>, Out<typeof jobPasswordSchema>>>,
  Expect<Same<ServiceView, Out<typeof serviceSchema>>>,
  Expect<Same<{ services: ServiceView[] }, Out<typeof serviceListSchema>>>,
  Expect<Same<AppOptions & { serviceId: string; fetchedAt: string }, Out<typeof serviceOptionsSchema>>>,
  Expect<Same<CredentialAnswer, Out<typeof credentialSchema>>>,
  Expect<Same<{ credentials: CredentialAnswer[] }, Out<typeof credentialListSchema>>>,
  Expect<Same<ValidationIssue, Out<typeof validationIssueSchema>>>,
  Expect<Same<PanelList, Out<typeof panelListSchema>>>,
];
