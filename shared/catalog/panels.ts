/**
 * Reference panels across the services of this deployment, as the caller can use them: the services show
 * their panels only to a token holder (and may show different users different panels), so every answer is
 * per user, read with the caller's own tokens through the options cache (service-options.ts). Equivalent
 * panels of different services are grouped under one `panelKey` (see `panelKeyOf`), each service's own
 * panel id kept beside it, so a job can name either. A service whose panels cannot be read now — no
 * usable token, the service down or refusing — is reported with why, never silently left out.
 */
import type { Caller } from '#shared/auth/caller';
import type { AppOptions, Choice } from '#shared/cloudgene/client';
import { activeCredential, type CredentialDeps } from '#shared/credentials/service-credentials';
import { AppError } from '#shared/errors';
import { healthStore } from '#shared/health/health-store';
import type { HealthRecord, HealthStatus } from '#shared/health/service-health';
import { panelKeyOf } from './panel-key';
import { type ServiceDefinition, serviceCatalog } from './service-catalog';
import { cachedServiceOptions, getServiceOptions } from './service-options';

export { panelKeyOf };

/** Why a service's panels cannot be used by the caller right now (a code of the error vocabulary, or `SERVICE_DOWN`). */
export interface ServiceUnavailable {
  serviceId: string;
  serviceName: string;
  reason: string;
  message: string;
}

/** One service as the caller can use it now: its health and, when they could be read, its options. */
export interface ServiceSurvey {
  service: ServiceDefinition;
  health: HealthRecord | undefined;
  options?: AppOptions;
  unavailable?: ServiceUnavailable;
}

/**
 * Every service of the catalog with its health, and its options read with the caller's token (through
 * the cache) where the caller holds an active one. A service the watcher finds DOWN is not called (that
 * would only wait for a timeout): its cached options are used, if any. `skip` leaves a service's options
 * unread (routing skips services it would exclude anyway); it is surveyed with health and token only.
 */
export async function surveyServices(
  caller: Caller,
  options: { skip?: (service: ServiceDefinition, health: HealthRecord | undefined) => boolean } = {},
  deps?: CredentialDeps,
): Promise<ServiceSurvey[]> {
  const catalog = serviceCatalog();
  const health = await healthStore().getMany(catalog.map((service) => service.id));
  return Promise.all(
    catalog.map(async (service): Promise<ServiceSurvey> => {
      const record = health.get(service.id);
      const unavailable = (reason: string, message: string): ServiceSurvey => ({
        service,
        health: record,
        unavailable: { serviceId: service.id, serviceName: service.name, reason, message },
      });
      try {
        // No token, an expired one or one the service refused: its refusal says what to do.
        await activeCredential(caller, service, deps);
        if (options.skip?.(service, record)) return { service, health: record };
        if (record?.status === 'DOWN') {
          const cached = await cachedServiceOptions(caller, service, deps);
          if (cached) return { service, health: record, options: cached.options };
          return unavailable(
            'SERVICE_DOWN',
            `${service.name} is down (since ${record.since}); its panels are listed again once it answers.`,
          );
        }
        const { options: read } = await getServiceOptions(caller, service, deps);
        return { service, health: record, options: read };
      } catch (error) {
        // Our own refusals and the service's (retold by callService) say what to do; AWS faults go on.
        if (error instanceof AppError) return unavailable(error.code, error.message);
        throw error;
      }
    }),
  );
}

/** One service's offer of a panel: its own id of it (a job's `refPanel` there) and label. */
export interface PanelOffer {
  serviceId: string;
  serviceName: string;
  refPanel: string;
  label: string;
  populations: Choice[];
  /** The genome builds of input data the service accepts (a job's `build`). */
  builds: string[];
  /** The service's health status; null before the watcher's first probe. */
  health: HealthStatus | null;
}

/** A panel with every service that offers it to the caller. */
export interface PanelGroup {
  panelKey: string;
  /** The first offering service's label (catalog order); each offer keeps its own. */
  label: string;
  /** Input builds accepted by at least one offering service. */
  builds: string[];
  /** Populations offered by at least one offering service (each offer lists its own). */
  populations: Choice[];
  services: PanelOffer[];
}

/** Groups the offered panels by `panelKeyOf`, ordered by label; a service's offers in catalog order. */
export function groupPanels(surveys: readonly ServiceSurvey[]): PanelGroup[] {
  const groups = new Map<string, PanelGroup>();
  for (const { service, health, options } of surveys) {
    if (!options) continue;
    const builds = options.builds.map((build) => build.id);
    for (const panel of options.refPanels) {
      const panelKey = panelKeyOf(panel.id);
      const group = groups.get(panelKey) ?? {
        panelKey,
        label: panel.label,
        builds: [],
        populations: [],
        services: [],
      };
      groups.set(panelKey, group);
      // A service listing one panel twice (two packaging versions): its first listing is its offer.
      if (group.services.some((offer) => offer.serviceId === service.id)) continue;
      group.services.push({
        serviceId: service.id,
        serviceName: service.name,
        refPanel: panel.id,
        label: panel.label,
        populations: panel.populations,
        builds,
        health: health?.status ?? null,
      });
      for (const build of builds) if (!group.builds.includes(build)) group.builds.push(build);
      for (const population of panel.populations) {
        if (!group.populations.some((known) => known.id === population.id))
          group.populations.push(population);
      }
    }
  }
  return [...groups.values()].sort(
    (a, b) => a.label.localeCompare(b.label, 'en') || a.panelKey.localeCompare(b.panelKey, 'en'),
  );
}

export interface PanelList {
  panels: PanelGroup[];
  /** Services whose panels are not listed, and why (no token, token unusable, service down or refusing). */
  unavailable: ServiceUnavailable[];
}

/** GET /panels: the caller's panels across the services, and the services that could not say. */
export async function listPanels(caller: Caller, deps?: CredentialDeps): Promise<PanelList> {
  const surveys = await surveyServices(caller, {}, deps);
  return {
    panels: groupPanels(surveys),
    unavailable: surveys.flatMap((survey) => (survey.unavailable ? [survey.unavailable] : [])),
  };
}
