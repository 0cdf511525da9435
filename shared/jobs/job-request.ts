/**
 * What a researcher asks for when creating a job, checked in two stages: the shape here (zod), then the
 * values against what the service offers this caller (`checkAgainstServiceOptions`), because a wrong
 * panel id is accepted by Cloudgene with a 200 and only fails once the job starts.
 */
import * as z from 'zod/mini';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import type { AppOptions } from '#shared/cloudgene/client';
import { ValidationError } from '#shared/errors';
import type { ValidationIssue } from '#shared/http/validate';
import { nameString, uploadIdSchema } from '#shared/uploads/uploads';
import { type JobLabels, optionLabels } from './job-labels';

/** Files one job takes (22 autosomes and X, with room): also bounds what its validation carries in state. */
export const MAX_JOB_INPUTS = 25;

/**
 * A panel by its key (GET /panels' `panelKey`); a service's own panel id is taken too and reduced to its
 * key (shared/catalog/panels.ts).
 */
export const panelKeySchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9@._-]{1,200}$/, 'a panel key is 1-200 letters, digits or @ . _ -'));

/** Targets one POST /jobs may name (a parent job and one child per target): at least 2, at most 5. */
export const MIN_JOB_TARGETS = 2;
export const MAX_JOB_TARGETS = 5;

/**
 * One target of a job run at several places (`targets` of POST /jobs): a service with its own panel id,
 * or a panel key (the gateway picks the service, as for a job by `panel`), and optionally the population
 * there (default: the request's).
 */
export const jobTargetSchema = z
  .strictObject({
    serviceId: z.optional(serviceIdSchema),
    refPanel: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    panel: z.optional(panelKeySchema),
    population: z.optional(z.string().check(z.minLength(1), z.maxLength(50))),
  })
  .check(
    z.superRefine((target, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.issues.push({ code: 'custom', path: [path], message, input: target });
      if (target.panel !== undefined) {
        if (target.serviceId !== undefined)
          issue('serviceId', 'name either a panel or a serviceId, not both');
        if (target.refPanel !== undefined)
          issue('refPanel', "with `panel`, the chosen service's own panel id is used: leave refPanel out");
        return;
      }
      if (target.serviceId === undefined) issue('serviceId', 'required, unless `panel` names the panel');
      if (target.refPanel === undefined) issue('refPanel', 'required with serviceId');
    }),
  )
  .register(z.globalRegistry, {
    description:
      'Where one child job runs: `serviceId` + `refPanel`, or `panel` (the gateway picks the service); `population` overrides the shared one',
  });

export type JobTarget = z.infer<typeof jobTargetSchema>;

export const createJobBodySchema = z
  .strictObject({
    // Checked before trimming: ordinary surrounding spaces are trimmed, a newline anywhere is refused.
    name: nameString('name').check(z.trim(), z.minLength(1), z.maxLength(100)),
    serviceId: z.optional(serviceIdSchema),
    refPanel: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    panel: z.optional(panelKeySchema),
    build: z
      .enum(['hg19', 'hg38'])
      .register(z.globalRegistry, { description: 'The genome build of the input files (not of the panel)' }),
    phasing: z._default(z.string().check(z.minLength(1), z.maxLength(50)), 'eagle'),
    population: z._default(z.string().check(z.minLength(1), z.maxLength(50)), 'off'),
    mode: z._default(z.string().check(z.minLength(1), z.maxLength(50)), 'imputation'),
    r2Filter: z._default(
      z.pipe(
        z.union([z.number(), z.string()]),
        z.transform((value) => String(value)),
      ),
      '0',
    ),
    uploadIds: z.array(uploadIdSchema).check(
      z.minLength(1),
      z.maxLength(MAX_JOB_INPUTS),
      z.refine((ids) => new Set(ids).size === ids.length, 'uploadIds must not repeat an upload'),
    ),
    aesEncryption: z._default(z.boolean(), false),
    meta: z._default(z.boolean(), false),
    targets: z
      .optional(z.array(jobTargetSchema).check(z.minLength(MIN_JOB_TARGETS), z.maxLength(MAX_JOB_TARGETS)))
      .register(z.globalRegistry, {
        description:
          'Run the same uploads and options at several places: a parent job and one child job per target ' +
          '(2-5). Then `serviceId`, `refPanel` and `panel` are left out at the top level',
      }),
  })
  .check(
    z.superRefine((request, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.issues.push({ code: 'custom', path: [path], message, input: request });
      if (request.targets !== undefined) {
        for (const field of ['serviceId', 'refPanel', 'panel'] as const) {
          if (request[field] !== undefined) issue(field, `with \`targets\`, each target names its ${field}`);
        }
        return;
      }
      if (request.panel !== undefined) {
        if (request.serviceId !== undefined)
          issue('serviceId', 'name either a panel (the gateway picks the service) or a serviceId, not both');
        if (request.refPanel !== undefined)
          issue('refPanel', "with `panel`, the chosen service's own panel id is used: leave refPanel out");
        return;
      }
      if (request.serviceId === undefined)
        issue('serviceId', 'required, unless `panel` names the panel and the gateway picks the service');
      if (request.refPanel === undefined)
        issue('refPanel', "required with serviceId: a panel id of the service's options");
    }),
  );

export type CreateJobRequest = z.infer<typeof createJobBodySchema>;

/**
 * POST /jobs/{jobId}/resubmit: every field optional (no body at all is `{}`). Without `serviceId` or
 * `panel` the new job goes to the old job's service with its panel; with `serviceId` to that service,
 * with its own panel of the same panel key; with `panel` (the old job's panel key) to the service the
 * gateway picks as for POST /jobs by panel.
 */
export const resubmitJobBodySchema = z
  .strictObject({
    serviceId: z.optional(serviceIdSchema).register(z.globalRegistry, {
      description:
        "Resubmit to this service, with its own panel of the job's panel key (default: the job's service)",
    }),
    panel: z.optional(panelKeySchema).register(z.globalRegistry, {
      description:
        "The job's panel key (its `panelKey`): the gateway picks the service, as for POST /jobs by panel",
    }),
    population: z.optional(z.string().check(z.minLength(1), z.maxLength(50))).register(z.globalRegistry, {
      description: "Another population of the panel (e.g. one the other service offers); default: the job's",
    }),
    name: z
      .optional(nameString('name').check(z.trim(), z.minLength(1), z.maxLength(100)))
      .register(z.globalRegistry, { description: "A name for the new job; default: the job's" }),
  })
  .check(
    z.superRefine((request, ctx) => {
      if (request.serviceId !== undefined && request.panel !== undefined) {
        ctx.issues.push({
          code: 'custom',
          path: ['panel'],
          message: 'name either a service or the panel (the gateway picks the service), not both',
          input: request,
        });
      }
    }),
  );

export type ResubmitJobRequest = z.infer<typeof resubmitJobBodySchema>;

/** The options a job chooses, as checked against a service's options (refPanel: that service's id). */
export type JobChoices = Pick<CreateJobRequest, 'build' | 'phasing' | 'population' | 'mode' | 'r2Filter'> & {
  refPanel: string;
};

const stripVersion = (panelId: string) => panelId.replace(/^(apps@[^@]+)@.*$/, '$1');

/**
 * Returns the service's own panel id for the request (panel ids may be given without their version) and
 * the service's labels of the chosen values, which the job records.
 */
export function checkAgainstServiceOptions(
  request: JobChoices,
  options: AppOptions,
): { refPanel: string; labels: JobLabels } {
  const issues: ValidationIssue[] = [];
  const issue = (field: string, value: string, allowed: string[]) =>
    issues.push({
      in: 'body',
      path: field,
      message: `"${value}" is not offered by this service; choose one of: ${allowed.join(', ')}`,
    });

  const panel =
    options.refPanels.find((p) => p.id === request.refPanel) ??
    options.refPanels.find((p) => stripVersion(p.id) === stripVersion(request.refPanel));
  if (!panel)
    issue(
      'refPanel',
      request.refPanel,
      options.refPanels.map((p) => p.id),
    );
  if (panel && panel.populations.length > 0 && !panel.populations.some((p) => p.id === request.population)) {
    issue(
      'population',
      request.population,
      panel.populations.map((p) => p.id),
    );
  }
  const lists: [keyof JobChoices, { id: string }[]][] = [
    ['build', options.builds],
    ['phasing', options.phasing],
    ['mode', options.modes],
    ['r2Filter', options.r2Filters],
  ];
  for (const [field, allowed] of lists) {
    const value = String(request[field]);
    if (allowed.length > 0 && !allowed.some((option) => option.id === value)) {
      issue(
        field,
        value,
        allowed.map((option) => option.id),
      );
    }
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `The job does not match what the service offers: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return { refPanel: panel!.id, labels: optionLabels(request, options, panel!) };
}

export const jobIdSchema = z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'not a job id'));
export const jobIdPath = z.object({ jobId: jobIdSchema });
