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

export const createJobBodySchema = z.strictObject({
  // Checked before trimming: ordinary surrounding spaces are trimmed, a newline anywhere is refused.
  name: nameString('name').check(z.trim(), z.minLength(1), z.maxLength(100)),
  serviceId: serviceIdSchema,
  refPanel: z.string().check(z.minLength(1), z.maxLength(200)),
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
});

export type CreateJobRequest = z.infer<typeof createJobBodySchema>;

const stripVersion = (panelId: string) => panelId.replace(/^(apps@[^@]+)@.*$/, '$1');

/**
 * Returns the service's own panel id for the request (panel ids may be given without their version) and
 * the service's labels of the chosen values, which the job records.
 */
export function checkAgainstServiceOptions(
  request: CreateJobRequest,
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
  const lists: [keyof CreateJobRequest, { id: string }[]][] = [
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
