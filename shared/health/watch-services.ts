/**
 * One run of the watcher: every enabled service of the catalog probed at once, its health record moved
 * on by the observation (hysteresis in service-health.ts); then, with what the probes found, every job
 * that waits on a service is looked after (watch-jobs.ts). A run is a minute's work at most: each probe
 * is bounded by its calls' timeouts, and the jobs' work by its budget.
 */
import { serviceCatalog } from '#shared/catalog/service-catalog';
import { publishPendingEvents } from '#shared/events/publish-events';
import { logger } from '#shared/logger';
import { settings } from '#shared/settings';
import { healthStore } from './health-store';
import { type HealthRecord, observe, probeService } from './service-health';
import { verifyTokens } from './verify-tokens';
import { type JobsRun, watchJobs } from './watch-jobs';

export interface WatchRun {
  services: {
    serviceId: string;
    status: HealthRecord['status'];
    since: string;
    changed: boolean;
    latencyMs: number;
  }[];
  jobs: JobsRun;
}

export async function watchServices(fetchImpl: typeof fetch = fetch, now?: Date): Promise<WatchRun> {
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
      return {
        serviceId: service.id,
        status: next.status,
        since: next.since,
        changed,
        latencyMs: observation.latencyMs,
      };
    }),
  );
  const jobs = await watchJobs(results, now);
  if (jobs.polled + jobs.submitsStarted + jobs.collectsStarted + jobs.expired + jobs.errors > 0) {
    logger.info('watcher run', { ...jobs });
  }
  // Daily token verification, with what is left of the run's budget, at the services that answer.
  const deadline = Date.now() + settings.watcher().WATCH_BUDGET_MS / 3;
  const tokens = await Promise.all(
    results
      .filter((service) => service.status === 'UP' || service.status === 'DEGRADED')
      .map((service) => verifyTokens(service.serviceId, now ?? new Date(), deadline)),
  );
  const rejected = tokens.reduce((sum, counts) => sum + counts.rejected, 0);
  if (rejected > 0) logger.info('stored tokens no longer accepted', { rejected });
  await publishPendingEvents();
  return { services: results, jobs };
}
