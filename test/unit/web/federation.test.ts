/**
 * Where the console offers to resubmit a finished job: its own service first, each other service with an
 * equivalent panel (disabled, saying why, when it lacks the job's population or is down), and "any
 * service" once more than one offers the panel; what each choice sends. And New job's "any service
 * offering this panel": the chosen panel found among its equivalents.
 */
import { describe, expect, it } from 'vitest';
import type { PanelList } from '../../../web/src/api/client';
import { anyServiceHint, panelGroupOf } from '../../../web/src/lib/panels';
import {
  canResubmit,
  offersResubmit,
  resubmitTargets,
  unavailableWords,
  verdictWords,
} from '../../../web/src/lib/resubmit';

const job = {
  serviceId: 'michigan',
  serviceName: 'Michigan Imputation Server',
  panelKey: '1000g-phase-3-v5',
  population: 'eur',
  labels: {
    refPanel: '1000G Phase 3 (GRCh37/hg19)',
    population: 'EUR',
    build: 'GRCh37/hg19',
    phasing: 'Eagle',
    mode: 'QC & imputation',
    r2Filter: 'off',
  },
};

const offer = (serviceId: string, populations: string[], health: 'UP' | 'DOWN' | null = 'UP') => ({
  serviceId,
  serviceName: `${serviceId} service`,
  refPanel: `apps@1000g-phase-3-v5@${serviceId}`,
  label: `1000 Genomes (${serviceId})`,
  populations: populations.map((id) => ({ id, label: id.toUpperCase() })),
  builds: ['hg19'],
  health,
});

const panels = (services: ReturnType<typeof offer>[]): PanelList => ({
  panels: [
    { panelKey: '1000g-phase-3-v5', label: 'x', builds: ['hg19'], populations: [], services },
    { panelKey: 'hapmap-2', label: 'y', builds: ['hg19'], populations: [], services: [offer('other', [])] },
  ],
  unavailable: [],
});

describe('resubmitting a job', () => {
  it('is offered for a job that ended without results', () => {
    expect(['FAILED', 'CANCELED', 'EXPIRED'].every(canResubmit)).toBe(true);
    expect(['SUCCEEDED', 'RUNNING', 'QUEUED', 'CANCEL_REQUESTED'].some(canResubmit)).toBe(false);
    // The same files would be refused again: "Start again with these settings" replaces them.
    const failed = (code: string) => ({ status: 'FAILED' as const, error: { code, message: '' } });
    expect(offersResubmit(failed('INPUT_INVALID'))).toBe(false);
    expect(offersResubmit(failed('SERVICE_JOB_FAILED'))).toBe(true);
  });

  it('goes to the same service by default, also before the panels are known', () => {
    expect(resubmitTargets(job, undefined)).toEqual([
      expect.objectContaining({ value: 'same', disabled: false, body: {} }),
    ]);
  });

  it('offers each other service with an equivalent panel, and any of them', () => {
    const targets = resubmitTargets(
      job,
      panels([offer('michigan', ['eur']), offer('second', ['afr', 'eur'])]),
    );
    expect(targets.map((t) => [t.value, t.disabled, t.body])).toEqual([
      ['same', false, {}],
      ['service:second', false, { serviceId: 'second' }],
      ['any', false, { panel: '1000g-phase-3-v5' }],
    ]);
    expect(targets[1]!.hint).toBe('Its equivalent panel: 1000 Genomes (second), up.');
  });

  it('says why a service cannot take it instead of changing the population', () => {
    const targets = resubmitTargets(
      job,
      panels([offer('michigan', ['eur']), offer('second', ['afr']), offer('third', ['eur'], 'DOWN')]),
    );
    expect(targets.slice(1, 3).map((t) => [t.value, t.disabled, t.hint])).toEqual([
      [
        'service:second',
        true,
        'Not possible: it does not offer the population EUR with 1000 Genomes (second).',
      ],
      ['service:third', true, 'Not possible now: it is down.'],
    ]);
  });

  it('puts why a service is not listed, and how each was judged, into words', () => {
    expect(unavailableWords('SERVICE_TOKEN_MISSING')).toBe('you have no API token stored there');
    expect(unavailableWords('SERVICE_PROTOCOL_ERROR')).toBe('its panels could not be read just now');
    expect(verdictWords('OPTIONS_NOT_OFFERED')).toBe('options not offered');
    expect(verdictWords('SERVICE_TOKEN_EXPIRED')).toBe('your API token there has expired');
  });
});

describe('New job by panel', () => {
  it("finds the chosen panel's equivalents by the service's own id, and says how the gateway picks", () => {
    const list = panels([offer('michigan', ['eur']), offer('second', ['eur'], null)]);
    const group = panelGroupOf(list, 'second', 'apps@1000g-phase-3-v5@second');
    expect(group?.panelKey).toBe('1000g-phase-3-v5');
    expect(panelGroupOf(list, 'second', 'apps@1000g-phase-3-v5@michigan')).toBeUndefined();
    expect(panelGroupOf(undefined, 'michigan', 'x')).toBeUndefined();
    expect(anyServiceHint(group!)).toMatch(
      /^Offered by michigan service \(up\), second service\. The gateway picks/,
    );
  });
});
