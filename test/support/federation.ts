/**
 * What tests of several services share (GET /panels, jobs by panel, resubmission elsewhere): a second
 * server's listing of the 1000 Genomes panel, catalog entries for simulators, and health records as the
 * watcher would have written them.
 */
import type { CloudgeneSimulator } from '#infra/local/simulator/cloudgene-simulator';
import type { PanelDefinition } from '#infra/local/simulator/fixtures';
import type { ServiceDefinitionInput } from '#shared/catalog/service-catalog';
import { healthStore } from '#shared/health/health-store';
import { type HealthObservation, observe } from '#shared/health/service-health';

/** Michigan's 1000 Genomes panel as another server lists it: another packaging version, another label. */
export const SECOND_1000G: PanelDefinition = {
  id: 'apps@1000g-phase-3-v5@1.0.0',
  label: '1000 Genomes Phase 3 (Version 5)',
  populations: [
    { id: 'afr', label: 'African' },
    { id: 'eur', label: 'European' },
    { id: 'off', label: 'Off' },
  ],
};

/** A catalog entry for a simulator. */
export const catalogEntry = (id: string, name: string, sim: CloudgeneSimulator): ServiceDefinitionInput => ({
  id,
  name,
  baseUrl: sim.url,
  appId: 'imputationserver2',
  location: 'local',
  notes: '',
  maxConcurrentJobs: 2,
  enabled: true,
});

/** The service's health record as the watcher leaves it after seeing `outcome` twice in a row. */
export async function setHealth(
  serviceId: string,
  outcome: HealthObservation['outcome'],
  queueSize?: number,
): Promise<void> {
  const previous = await healthStore().get(serviceId);
  const seen = { at: new Date().toISOString(), outcome, latencyMs: 20, queueSize };
  const once = observe(previous, serviceId, seen);
  await healthStore().put(observe(once, serviceId, seen), previous);
}
