/**
 * One run of the watcher: every enabled service of the catalog probed at once, its health record moved
 * on by the observation (hysteresis in service-health.ts). A run is a minute's work at most: each probe is
 * bounded by its calls' timeouts, and services are few. Jobs' polling and waits join this run in the
 * federation work that follows; this is its first duty.
 */
import { serviceCatalog } from '#shared/catalog/service-catalog';
import { logger } from '#shared/logger';
import { healthStore } from './health-store';
import { type HealthRecord, observe, probeService } from './service-health';

export interface WatchRun {
  services: { serviceId: string; status: HealthRecord['status']; changed: boolean; latencyMs: number }[];
}

export async function watchServices(fetchImpl: typeof fetch = fetch): Promise<WatchRun> {
  const store = healthStore();
  const services = serviceCatalog().filter((service) => service.enabled);
  const results = await Promise.all(
    services.map(async (service) => {
      const previous = await store.get(service.id);
      const observation = await probeService(service.baseUrl, fetchImpl);
      const next = observe(previous, service.id, observation);
      const changed = next.status !== previous?.status;
      if (!(await store.put(next, previous))) {
        logger.warn('health record written by another run meanwhile', { serviceId: service.id });
      }
      if (changed) {
        logger.info('service health changed', {
          serviceId: service.id,
          from: previous?.status ?? null,
          to: next.status,
          detail: observation.detail,
        });
      }
      return { serviceId: service.id, status: next.status, changed, latencyMs: observation.latencyMs };
    }),
  );
  return { services: results };
}
