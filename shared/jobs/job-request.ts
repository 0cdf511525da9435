/**
 * What a researcher asks for when creating a job, checked in two stages: the shape here (zod), then the
 * values against what the service offers this caller (`checkAgainstServiceOptions`), because a wrong
 * panel id is accepted by Cloudgene with a 200 and only fails once the job starts.
 */
import { z } from 'zod';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import type { AppOptions } from '#shared/cloudgene/client';
import { ValidationError } from '#shared/errors';
import type { ValidationIssue } from '#shared/http/validate';
import { nameString, uploadIdSchema } from '#shared/uploads/uploads';

export const createJobBodySchema = z.strictObject({
  // Checked before trimming: ordinary surrounding spaces are trimmed, a newline anywhere is refused.
  name: nameString('name').trim().min(1).max(100),
  serviceId: serviceIdSchema,
  refPanel: z.string().min(1).max(200),
  build: z.enum(['hg19', 'hg38']),
  phasing: z.string().min(1).max(50).default('eagle'),
  population: z.string().min(1).max(50).default('off'),
  mode: z.string().min(1).max(50).default('imputation'),
  r2Filter: z
    .union([z.number(), z.string()])
    .transform((value) => String(value))
    .default('0'),
  uploadIds: z
    .array(uploadIdSchema)
    .min(1)
    .max(25)
    .refine((ids) => new Set(ids).size === ids.length, 'uploadIds must not repeat an upload'),
  aesEncryption: z.boolean().default(false),
  meta: z.boolean().default(false),
});

export type CreateJobRequest = z.infer<typeof createJobBodySchema>;

const stripVersion = (panelId: string) => panelId.replace(/^(apps@[^@]+)@.*$/, '$1');

/** Returns the service's own panel id for the request (panel ids may be given without their version). */
export function checkAgainstServiceOptions(
  request: CreateJobRequest,
  options: AppOptions,
): { refPanel: string } {
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
  return { refPanel: panel!.id };
}

export const jobIdSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'not a job id');
export const jobIdPath = z.object({ jobId: jobIdSchema });
