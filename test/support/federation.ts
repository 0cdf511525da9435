/**
 * What tests of several services share (GET /panels, jobs by panel, resubmission elsewhere): a second
 * server's listing of the 1000 Genomes panel, catalog entries for simulators, and health records as the
 * watcher would have written them.
 */
import { handler as createUpload } from '#functions/api/uploads/create-upload';
import { handler as getUpload } from '#functions/api/uploads/get-upload';
import type { PanelDefinition } from '#infra/local/simulator/fixtures';
import type { Caller } from '#shared/auth/caller';
import { healthStore } from '#shared/health/health-store';
import { type HealthObservation, observe } from '#shared/health/service-health';
import { invoke } from '#test/support/api-event';
import { makeVcfGz } from '#test/support/vcf-fixtures';

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

export { catalogEntry } from './simulated-service';

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

/**
 * A file uploaded through the API as a user would (create, PUT to the presigned URL, confirm), once its
 * check on completion has run; its upload id.
 */
export async function uploadThroughApi(
  h: { sfn: { waitForJob(name: string): Promise<unknown> } },
  caller: Caller,
): Promise<string> {
  const file = makeVcfGz({ samples: 30 });
  const created = await invoke(createUpload, {
    method: 'POST',
    caller,
    body: { fileName: 'cohort.vcf.gz', size: file.length },
  });
  await fetch(created.body.uploadUrl, { method: 'PUT', body: file, headers: created.body.headers });
  await invoke(getUpload, { caller, pathParameters: { uploadId: created.body.upload.uploadId } });
  await h.sfn.waitForJob(`upload-${created.body.upload.uploadId}`);
  return created.body.upload.uploadId;
}
