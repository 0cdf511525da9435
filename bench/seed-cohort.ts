/**
 * The job items the watcher benchmarks (watcher-load.ts, sweep-cost.ts) seed: a 22-file cohort (chr1–22,
 * 90 MB each) on Michigan's 1000 Genomes panel, as the table holds it (status index keys, entity, watch
 * index keys), written with BatchWriteItem a few batches at a time.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { tableKeys } from '#shared/aws/table-definition';
import type { JobRecord } from '#shared/jobs/job-record';
import { jobKey, statusIndexKey } from '#shared/jobs/job-update-expressions';
import { type JobWatch, watchFields } from '#shared/jobs/job-watch';
import { forEachLimited } from './report-format';

export const CHROMOSOMES = Array.from({ length: 22 }, (_, i) => String(i + 1));
export const PANEL = 'apps@1000g-phase-3-v5';

/** What every seeded job shares: its name, panel and labels, and its 22 inputs. */
export function cohortJobFields(owner: string, index: number, uploadId: () => string) {
  return {
    name: `cohort batch ${index}`,
    refPanel: `${PANEL}@2.0.0`,
    labels: {
      refPanel: '1000 Genomes Phase 3 (Version 5)',
      population: 'EUR',
      build: 'GRCh37/hg19',
      phasing: 'Eagle v2.4 (phased output)',
      mode: 'Quality Control & Imputation',
      r2Filter: 'off',
    },
    aesEncryption: false,
    meta: false,
    inputs: CHROMOSOMES.map((c) => {
      const id = uploadId();
      return {
        uploadId: id,
        key: `inputs/${owner}/${id}/cohort.chr${c}.vcf.gz`,
        fileName: `cohort.chr${c}.vcf.gz`,
        size: 90_000_000 + c.length,
      };
    }),
  };
}

/** The job as its table item: keys, the status index's keys, and the watch index's. */
export function jobItem(record: JobRecord, serviceId: string, watch: JobWatch): Record<string, unknown> {
  return {
    ...jobKey(record.owner, record.jobId),
    [tableKeys.gsi1.partitionKey]: statusIndexKey(record.owner, record.status),
    [tableKeys.gsi1.sortKey]: `JOB#${record.jobId}`,
    entity: 'Job',
    ...record,
    ...watchFields(serviceId, record.jobId, watch),
  };
}

/** Writes the items in batches of 25, 8 batches at a time, until none is left unprocessed. */
export async function batchWrite(table: string, items: Record<string, unknown>[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, b) =>
    items.slice(b * 25, b * 25 + 25),
  );
  await forEachLimited(batches, 8, async (batch) => {
    let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {
      [table]: batch.map((Item) => ({ PutRequest: { Item } })),
    };
    while (Object.keys(request).length > 0) {
      const out = await dynamoDocumentClient().send(new BatchWriteCommand({ RequestItems: request }));
      request = (out.UnprocessedItems ?? {}) as typeof request;
    }
  });
}
