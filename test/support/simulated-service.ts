/**
 * The catalog entry of a service played by the Cloudgene simulator (plain http on 127.0.0.1: allowed only
 * with OUTBOUND_ALLOW_LOOPBACK), for the workflow harness, the tests and the benchmarks.
 */
import type { ServiceDefinitionInput } from '#shared/catalog/service-catalog';

export const catalogEntry = (
  id: string,
  name: string,
  sim: { url: string },
  maxConcurrentJobs = 2,
): ServiceDefinitionInput => ({
  id,
  name,
  baseUrl: sim.url,
  appId: 'imputationserver2',
  location: 'local',
  notes: '',
  maxConcurrentJobs,
  enabled: true,
});
