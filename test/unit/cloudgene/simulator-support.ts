/**
 * What the simulator's test files share: simulators started with a second-long job clock and all closed
 * after the file, and a submission sent as a browser sends it, through the raw HTTP API.
 */
import { afterAll } from 'vitest';
import {
  type CloudgeneSimulator,
  type SimulatorOptions,
  startCloudgeneSimulator,
} from '#infra/local/simulator/cloudgene-simulator';

export const TIMING = { queueMs: 1000, runMs: 1000, exportMs: 1000 };

/** A starter of simulators (with `defaults`) that the calling test file closes after its tests. */
export function simulatorsOfThisFile(defaults: SimulatorOptions = {}) {
  const started: CloudgeneSimulator[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  return async (options: SimulatorOptions = {}) => {
    const sim = await startCloudgeneSimulator({ timing: TIMING, ...defaults, ...options });
    started.push(sim);
    return sim;
  };
}

/** A submission of `vcf` as `chr20.vcf.gz` to HapMap 2, password `secret`, with `fields` added. */
export function submitRaw(
  sim: CloudgeneSimulator,
  token: string,
  vcf: Buffer,
  fields: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  form.set('refpanel', 'apps@hapmap-2@2.0.0');
  form.set('password', 'secret');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.append('files', new Blob([new Uint8Array(vcf)]), 'chr20.vcf.gz');
  return fetch(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token },
    body: form,
  });
}
