/**
 * The imputation services this deployment can submit to. The defaults are the three public Cloudgene 3
 * instances; ops override or extend them at deploy time (CDK context `serviceCatalog`), and the local
 * stack points them at the simulator. Lambdas receive the resolved catalog as JSON in SERVICE_CATALOG.
 */
import * as z from 'zod/mini';
import { NotFoundError } from '#shared/errors';
import { perRuntime } from '#shared/runtime';
import { ConfigError, settings } from '#shared/settings';

export const serviceIdSchema = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9-]{1,31}$/, 'a service id is 2-32 lowercase letters, digits or dashes'));

export const serviceDefinitionSchema = z.object({
  id: serviceIdSchema,
  name: z.string().check(z.minLength(1)),
  /** Root of the Cloudgene server, without a trailing slash and without /api/v2. */
  baseUrl: z.pipe(
    z.url({ protocol: /^https?$/ }),
    z.transform((url: string) => url.replace(/\/+$/, '')),
  ),
  appId: z._default(z.string().check(z.minLength(1)), 'imputationserver2'),
  location: z.string().check(z.minLength(1)),
  notes: z._default(z.string(), ''),
  /** The service's per-user limit of simultaneously running jobs (informational; the service enforces it). */
  maxConcurrentJobs: z._default(z.int().check(z.positive()), 2),
  /** Where a user gets an API token for this service; absent: its Cloudgene profile page (tokenHelpUrl). */
  tokenHelpUrl: z.optional(z.url()),
  /**
   * Samples per file the service accepts (its input validation's --minSamples/--maxSamples). Absent:
   * the Cloudgene defaults, 20..50,000 (SAMPLE_LIMITS in shared/vcf/vcf-problems.ts).
   */
  sampleLimits: z.optional(
    z
      .object({ min: z.int().check(z.nonnegative()), max: z.int().check(z.positive()) })
      .check(
        z.refine((limits) => limits.min <= limits.max, 'sampleLimits.min must not exceed sampleLimits.max'),
      ),
  ),
  enabled: z._default(z.boolean(), true),
});

export type ServiceDefinition = z.infer<typeof serviceDefinitionSchema>;
export type ServiceDefinitionInput = z.input<typeof serviceDefinitionSchema>;

export const defaultServiceCatalog: readonly ServiceDefinitionInput[] = [
  {
    id: 'michigan',
    name: 'Michigan Imputation Server',
    baseUrl: 'https://imputationserver.sph.umich.edu',
    appId: 'imputationserver2',
    location: 'University of Michigan, USA',
    notes: 'Many reference panels (1000G Phase 3, HRC, HapMap 2, CAAPA, GenomeAsia); results kept 7 days.',
    maxConcurrentJobs: 2,
    tokenHelpUrl: 'https://imputationserver.sph.umich.edu/#!pages/profile',
  },
  {
    id: 'topmed',
    name: 'TOPMed Imputation Server',
    baseUrl: 'https://imputation.biodatacatalyst.nhlbi.nih.gov',
    appId: 'imputationserver2',
    location: 'NHLBI BioData Catalyst, USA',
    notes: 'TOPMed r3 panel; population only "all" or "off"; at most 3 running jobs per user.',
    maxConcurrentJobs: 3,
    // Its data-preparation page: "a maximum of 25,000 samples per chromosome per job (and a minimum of 20)".
    sampleLimits: { min: 20, max: 25_000 },
    tokenHelpUrl: 'https://imputation.biodatacatalyst.nhlbi.nih.gov/#!pages/profile',
  },
  {
    id: 'h3africa',
    name: 'H3Africa / AfriGen-D Imputation Service',
    baseUrl: 'https://impute.afrigen-d.org',
    appId: 'imputationserver2',
    location: 'AfriGen-D, South Africa',
    notes: 'H3Africa v6 high-coverage panel (hg38); list panels through the options endpoint.',
    maxConcurrentJobs: 2,
    tokenHelpUrl: 'https://impute.afrigen-d.org/#!pages/profile',
  },
];

/**
 * Overrides are keyed by service id: a partial object changes fields of a known service, a full object
 * adds a service, `null` or `{ "enabled": false }` removes one.
 */
export const catalogOverridesSchema = z.record(
  serviceIdSchema,
  z.nullable(z.partial(z.omit(serviceDefinitionSchema, { id: true }))),
);

/**
 * Why a service may not be at `baseUrl`, or undefined when it may: every call carries a user's API token,
 * so only `https`. Plain http only with `allowLoopback` (the local stack and tests: OUTBOUND_ALLOW_LOOPBACK)
 * and only to this machine (localhost, 127.0.0.0/8, ::1), never in a deployment.
 */
export function baseUrlRefusal(baseUrl: string, allowLoopback: boolean): string | undefined {
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopback = host === 'localhost' || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1';
  if (allowLoopback && loopback) return undefined;
  return `baseUrl must be an https:// URL, not ${baseUrl} (plain http only for a loopback host in the local stack, with OUTBOUND_ALLOW_LOOPBACK)`;
}

/**
 * The catalog from the defaults and `overrides`; `allowLoopback` lets a service be at plain http on this
 * machine (the local stack), which a deployment never does (infra/settings.ts leaves it off).
 */
export function resolveServiceCatalog(
  overrides: unknown = {},
  options: { allowLoopback?: boolean } = {},
): ServiceDefinition[] {
  const parsedOverrides = catalogOverridesSchema.parse(overrides ?? {});
  const merged = new Map<string, Record<string, unknown>>(
    defaultServiceCatalog.map((service) => [service.id, { ...service }]),
  );
  for (const [id, override] of Object.entries(parsedOverrides)) {
    if (override === null) {
      merged.delete(id);
      continue;
    }
    merged.set(id, { ...merged.get(id), ...override, id });
  }
  return [...merged.values()]
    .map((service) => {
      const parsed = serviceDefinitionSchema.safeParse(service);
      if (!parsed.success) {
        throw new Error(`Service catalog entry "${String(service.id)}" is invalid: ${parsed.error.message}`);
      }
      const refused = baseUrlRefusal(parsed.data.baseUrl, options.allowLoopback ?? false);
      if (refused) throw new Error(`Service catalog entry "${parsed.data.id}" is invalid: ${refused}`);
      return parsed.data;
    })
    .filter((service) => service.enabled);
}

function catalogEnv() {
  return perRuntime(catalogEnv, () => {
    const listed = settings.catalog().SERVICE_CATALOG;
    const catalog = listed && z.array(serviceDefinitionSchema).parse(listed);
    const { OUTBOUND_ALLOW_LOOPBACK } = settings.outbound();
    for (const service of catalog ?? []) {
      const refused = baseUrlRefusal(service.baseUrl, OUTBOUND_ALLOW_LOOPBACK);
      if (refused) throw new ConfigError(`Invalid configuration: SERVICE_CATALOG: ${service.id}: ${refused}`);
    }
    return { SERVICE_CATALOG: catalog };
  });
}

/** The catalog of this deployment (SERVICE_CATALOG, or the defaults when unset). */
export function serviceCatalog(): ServiceDefinition[] {
  return catalogEnv().SERVICE_CATALOG ?? resolveServiceCatalog();
}

export function findService(serviceId: string): ServiceDefinition | undefined {
  return serviceCatalog().find((service) => service.id === serviceId);
}

/** Where a user creates an API token: the catalog's page, else the profile page every Cloudgene server has. */
export function tokenHelpUrl(service: ServiceDefinition): string {
  return service.tokenHelpUrl ?? `${service.baseUrl}/#!pages/profile`;
}

export function getService(serviceId: string): ServiceDefinition {
  const service = findService(serviceId);
  if (!service) throw new NotFoundError(`Unknown imputation service "${serviceId}"`, 'SERVICE_NOT_FOUND');
  return service;
}
