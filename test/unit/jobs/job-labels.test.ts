/**
 * A job reads with names, not ids: the service's labels of the chosen values are recorded when the job
 * is created (so later changes at the service do not rename it), the service's name comes from the
 * catalog, and jobs recorded before labels existed show their ids (the r² filter 0 as "off").
 */
import { describe, expect, it } from 'vitest';
import type { AppOptions } from '#shared/cloudgene/client';
import { checkAgainstServiceOptions } from '#shared/jobs/job-request';
import { toJobSummary, toJobView } from '#shared/jobs/job-view';
import { createJobRequest, jobRecord } from '#test/support/job-fixtures';

/** Michigan's options as the service lists them (labels as the simulator's, from the real server). */
const options: AppOptions = {
  appId: 'imputationserver2',
  name: 'Genotype Imputation',
  version: null,
  refPanels: [
    {
      id: 'apps@1000g-phase-3-v5@2.0.0',
      label: '1000G Phase 3 (GRCh37/hg19)',
      populations: [
        { id: 'afr', label: 'AFR' },
        { id: 'eur', label: 'EUR' },
      ],
    },
  ],
  builds: [{ id: 'hg19', label: 'GRCh37/hg19' }],
  phasing: [{ id: 'eagle', label: 'Eagle v2.4 (phased output)' }],
  modes: [{ id: 'imputation', label: 'Quality Control & Imputation' }],
  r2Filters: [
    { id: '0', label: 'off' },
    { id: '0.3', label: '0.3' },
  ],
  defaults: { build: 'hg19', phasing: 'eagle', mode: 'imputation', r2Filter: '0' },
};

describe('job labels', () => {
  it('records the labels the service gives the chosen values', () => {
    const request = createJobRequest({ uploadIds: ['u1'], population: 'afr', r2Filter: '0.3' });
    expect(checkAgainstServiceOptions(request, options).labels).toEqual({
      refPanel: '1000G Phase 3 (GRCh37/hg19)',
      population: 'AFR',
      build: 'GRCh37/hg19',
      phasing: 'Eagle v2.4 (phased output)',
      mode: 'Quality Control & Imputation',
      r2Filter: '0.3',
    });
    // A service that lists no r² filters: 0 still reads "off", as the form says it.
    const noFilters = { ...options, r2Filters: [] };
    expect(checkAgainstServiceOptions({ ...request, r2Filter: '0' }, noFilters).labels.r2Filter).toBe('off');
  });

  it('shows the recorded labels and the catalog name in the job and in listings', () => {
    const labels = checkAgainstServiceOptions(createJobRequest({ uploadIds: ['u1'] }), options).labels;
    const job = jobRecord({ labels });
    expect(toJobView(job)).toMatchObject({ serviceName: 'Michigan Imputation Server', labels });
    expect(toJobSummary(job)).toMatchObject({ serviceName: 'Michigan Imputation Server', labels });
  });

  it('falls back to the ids for jobs recorded without labels, the r² filter 0 reading "off"', () => {
    const view = toJobView(jobRecord({ serviceId: 'retired-service' }));
    expect(view.serviceName).toBe('retired-service');
    expect(view.labels).toEqual({
      refPanel: 'apps@1000g-phase-3-v5@2.0.0',
      population: 'eur',
      build: 'hg19',
      phasing: 'eagle',
      mode: 'imputation',
      r2Filter: 'off',
    });
  });
});
