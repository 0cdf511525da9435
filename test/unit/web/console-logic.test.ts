import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '#shared/api/error-codes';
import { ApiError, apiErrorFrom, validationMessages } from '../../../web/src/api/api-error';
import { jobFailureWording, wordingFor } from '../../../web/src/api/error-wording';
import { parseConsoleConfig } from '../../../web/src/config';
import { downloadScript, localFileName } from '../../../web/src/lib/download-script';
import {
  choiceLabels,
  droppedChoices,
  needsPopulation,
  populationsOf,
  populationToSend,
  reconcileChoices,
} from '../../../web/src/lib/job-options';
import { canCancel, messageKind, messageText } from '../../../web/src/lib/job-status';
import { MAX_REFRESH_MS, MIN_REFRESH_MS, refreshInterval } from '../../../web/src/lib/refresh-interval';
import { tokenState } from '../../../web/src/lib/token-state';

describe('token state labels', () => {
  it('names each state and says whether jobs can use the token', () => {
    expect(tokenState({ status: 'missing', daysToExpiry: null })).toMatchObject({
      kind: 'missing',
      usable: false,
    });
    expect(tokenState({ status: 'active', daysToExpiry: 200 })).toMatchObject({
      kind: 'active',
      label: 'Active',
      usable: true,
    });
    expect(tokenState({ status: 'active', daysToExpiry: null }).kind).toBe('active');
    expect(tokenState({ status: 'active', daysToExpiry: 14 })).toMatchObject({
      kind: 'expiring',
      label: 'Expires in 14 days',
    });
    expect(tokenState({ status: 'active', daysToExpiry: 1 }).label).toBe('Expires in 1 day');
    expect(tokenState({ status: 'active', daysToExpiry: 0 }).label).toBe('Expires today');
    expect(tokenState({ status: 'active', daysToExpiry: 15 }).kind).toBe('active');
    expect(tokenState({ status: 'active', daysToExpiry: -2 })).toMatchObject({
      kind: 'expired',
      usable: false,
    });
    expect(tokenState({ status: 'expired', daysToExpiry: -2 }).kind).toBe('expired');
    expect(tokenState({ status: 'rejected', daysToExpiry: 30 })).toMatchObject({
      kind: 'rejected',
      usable: false,
    });
  });
});

const options = {
  refPanels: [
    {
      id: 'apps@1000g@2',
      label: '1000G',
      populations: [
        { id: 'eur', label: 'EUR' },
        { id: 'afr', label: 'AFR' },
      ],
    },
    {
      id: 'apps@hrc@1',
      label: 'HRC',
      populations: [
        { id: 'mixed', label: 'Mixed' },
        { id: 'eur', label: 'EUR' },
      ],
    },
    { id: 'apps@topmed@3', label: 'TOPMed', populations: [] },
  ],
  builds: [
    { id: 'hg19', label: 'GRCh37' },
    { id: 'hg38', label: 'GRCh38' },
  ],
  phasing: [
    { id: 'eagle', label: 'Eagle' },
    { id: 'no_phasing', label: 'None' },
  ],
  modes: [
    { id: 'imputation', label: 'Imputation' },
    { id: 'qc_only', label: 'QC only' },
  ],
  r2Filters: [
    { id: '0', label: 'off' },
    { id: '0.3', label: '0.3' },
  ],
  defaults: { build: 'hg38', phasing: 'eagle', mode: 'imputation', r2Filter: '0' },
};

describe('option compatibility', () => {
  it('preselects the service defaults and the first panel, and asks for the population', () => {
    const choices = reconcileChoices(options);
    expect(choices).toEqual({
      refPanel: 'apps@1000g@2',
      population: '',
      build: 'hg38',
      phasing: 'eagle',
      mode: 'imputation',
      r2Filter: '0',
    });
    expect(needsPopulation(options, choices)).toBe(true);
  });
  it('offers only the populations of the chosen panel, and keeps a choice the new panel offers', () => {
    const first = reconcileChoices(options, { population: 'afr' });
    expect(first.population).toBe('afr');
    expect(populationsOf(options, 'apps@hrc@1').map((p) => p.id)).toEqual(['mixed', 'eur']);
    expect(reconcileChoices(options, { refPanel: 'apps@hrc@1', population: 'eur' }).population).toBe('eur');
  });
  it('says so when the new panel cannot keep the population, instead of picking another', () => {
    const afr = reconcileChoices(options, { population: 'afr' });
    const wanted = { ...afr, refPanel: 'apps@hrc@1' };
    const hrc = reconcileChoices(options, wanted);
    expect(hrc.population).toBe('');
    expect(droppedChoices(options, wanted, hrc, choiceLabels(options, afr), 'Michigan')).toEqual([
      'The panel HRC does not offer the population AFR: choose one of its populations.',
    ]);
  });
  it('asks for no population on a panel that offers none, and sends "off"', () => {
    const topmed = reconcileChoices(options, { refPanel: 'apps@topmed@3', population: 'afr' });
    expect(topmed.population).toBe('');
    expect(needsPopulation(options, topmed)).toBe(false);
    expect(populationToSend(topmed)).toBe('off');
    expect(droppedChoices(options, { population: 'afr' }, topmed, {}, 'Michigan')).toEqual([]);
  });
  it('keeps earlier choices the options still offer, and names those it had to replace', () => {
    const previous = { build: 'hg19', r2Filter: '0.3', mode: 'gone' };
    const kept = reconcileChoices(options, previous);
    expect(kept).toMatchObject({ build: 'hg19', r2Filter: '0.3', mode: 'imputation' });
    expect(droppedChoices(options, previous, kept, { mode: 'Meta only' }, 'TOPMed')).toEqual([
      'TOPMed does not offer the mode Meta only: Imputation is chosen instead.',
    ]);
  });
});

describe('refresh interval', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const at = (ms: number) => new Date(now + ms).toISOString();
  it('stops once every job is finished', () => {
    expect(refreshInterval([], now)).toBe(false);
    expect(
      refreshInterval(
        [
          { status: 'SUCCEEDED', nextCheckAt: null },
          { status: 'FAILED', nextCheckAt: null },
        ],
        now,
      ),
    ).toBe(false);
  });
  it('follows the soonest nextCheckAt of the active jobs, clamped to 2–30 s', () => {
    expect(refreshInterval([{ status: 'RUNNING', nextCheckAt: at(7_000) }], now)).toBe(7_000);
    expect(
      refreshInterval(
        [
          { status: 'RUNNING', nextCheckAt: at(9_000) },
          { status: 'QUEUED', nextCheckAt: at(4_000) },
        ],
        now,
      ),
    ).toBe(4_000);
    expect(refreshInterval([{ status: 'RUNNING', nextCheckAt: at(-5_000) }], now)).toBe(MIN_REFRESH_MS);
    expect(refreshInterval([{ status: 'RUNNING', nextCheckAt: at(600_000) }], now)).toBe(MAX_REFRESH_MS);
    expect(
      refreshInterval(
        [
          { status: 'SUCCEEDED', nextCheckAt: null },
          { status: 'RUNNING', nextCheckAt: null },
        ],
        now,
      ),
    ).toBe(5_000);
  });
});

describe('error wording', () => {
  it('has a sentence for every code the API catalogue lists', () => {
    for (const code of Object.keys(errorCodes)) {
      expect(wordingFor(code).title, code).not.toBe('The request failed.');
    }
  });
  it('turns an error answer into an ApiError with wording, detail and field messages', () => {
    const error = apiErrorFrom(422, {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'bad',
        details: [{ in: 'body', path: 'name', message: 'too long' }],
      },
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.wording.title).toBe('Some values are not valid.');
    expect(error.detail).toBe('bad');
    expect(validationMessages(error)).toEqual(['name: too long']);
  });
  it('names answers without an error body by their status, never as raw text', () => {
    expect(apiErrorFrom(401, 'nope').code).toBe('UNAUTHORIZED');
    expect(apiErrorFrom(404, undefined).notFound).toBe(true);
    expect(apiErrorFrom(502, '<html>').code).toBe('GATEWAY_ERROR');
    expect(apiErrorFrom(418, undefined).code).toBe('UNEXPECTED_ANSWER');
  });
  it('tells what to do about a failed job, pointing down to what it refers to', () => {
    const input = jobFailureWording({ code: 'INPUT_INVALID', message: 'a.vcf.gz: line 3: …' }, 'Michigan', 0);
    expect(input.title).toBe('This job failed our checks of its input files.');
    // Each file's own fix is in the findings: the advice adds no generic one.
    expect(input.advice).not.toMatch(/bcftools|bgzip|sort/);
    expect(input.advice).toMatch(/Each file's problem and its fix are listed below/);
    expect(input.advice).toMatch(/start again with these settings/);
    const service = jobFailureWording({ code: 'SERVICE_JOB_FAILED', message: 'QC failed' }, 'Michigan', 2);
    expect(service.title).toBe('Michigan stopped this job with an error.');
    expect(service.advice).toMatch(/messages below/);
    const unknown = jobFailureWording({ code: 'SOMETHING_NEW', message: 'it broke' }, 'Michigan', 0);
    expect(unknown.title).toBe('This job failed: it broke');
    expect(unknown.advice).not.toMatch(/above|below/);
  });
});

describe('job status helpers', () => {
  it('reads Cloudgene message types as the service wrote them', () => {
    expect([0, 1, 2, 3, 9].map(messageKind)).toEqual(['ok', 'error', 'warning', 'running', 'info']);
    expect(messageText('a<br>b &amp; <b>c</b>')).toBe('a\nb & c');
  });
  it('offers cancel only while a cancel can still do something', () => {
    expect(canCancel('RUNNING')).toBe(true);
    expect(canCancel('CANCEL_REQUESTED')).toBe(false);
    expect(canCancel('SUCCEEDED')).toBe(false);
  });
});

describe('config.json', () => {
  it('accepts the ConsoleConfig shape and refuses one without an authority', () => {
    const config = parseConsoleConfig({
      apiUrl: 'http://127.0.0.1:3000/',
      oidc: { authority: 'http://127.0.0.1:3002', clientId: 'c', scope: 'openid' },
      environment: 'local',
    });
    expect(config.apiUrl).toBe('http://127.0.0.1:3000');
    expect(() =>
      parseConsoleConfig({ apiUrl: 'http://x', oidc: { clientId: 'c', scope: 'openid' } }),
    ).toThrow(/authority/);
  });
});

describe('download script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-script-'));
  const file = (name: string, text: string) => {
    const path = join(dir, `src-${localFileName(name)}`);
    writeFileSync(path, text);
    return { name, url: pathToFileURL(path).href, sha256: createHash('sha256').update(text).digest('hex') };
  };
  const run = (script: string) => {
    const out = mkdtempSync(join(tmpdir(), 'console-script-out-'));
    return spawnSync('bash', ['-c', script], { cwd: out, encoding: 'utf8' });
  };
  it('fetches every file and checks its sha256 (a quote in a name stays quoted)', () => {
    const files = [file('chr_20.zip', 'zip bytes'), file("qc/report's.txt", 'report')];
    const result = run(downloadScript('my job', files, '2026-01-01T00:15:00Z'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('chr_20.zip: OK');
    expect(result.stdout).toContain('qc_report_s.txt: OK');
  });
  it('fails when a file does not match its sha256', () => {
    const bad = { ...file('chr_21.zip', 'zip bytes'), sha256: '0'.repeat(64) };
    expect(run(downloadScript('job', [bad])).status).not.toBe(0);
  });
});
