/**
 * Cross-checks the validator with htslib, the reference reader: what bcftools reads, indexes or writes
 * we accept; what it refuses to parse, index or read whole we refuse too. Skipped where bcftools is not
 * installed (`apt-get install -y bcftools tabix`); the code-made fixtures of the other tests do not need it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeVcfGz, recordPosition, truncateBgzf, type VcfSpec } from '#test/support/vcf-fixtures';
import { problemOf, validate } from './support';

const hasBcftools = spawnSync('bcftools', ['--version'], { stdio: 'ignore' }).status === 0;
const dir = hasBcftools ? mkdtempSync(join(tmpdir(), 'vcf-bcftools-')) : '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bcftools = (...args: string[]) => {
  const run = spawnSync('bcftools', args, { encoding: 'utf8' });
  return { ok: run.status === 0, stderr: run.stderr };
};
const write = (name: string, data: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

const spec: VcfSpec = { samples: 30, records: 3000 };

describe.skipIf(!hasBcftools)('cross-check with bcftools (htslib)', () => {
  it('accepts a file bcftools reads and indexes, and the BGZF bcftools itself writes', async () => {
    const path = write('valid.vcf.gz', makeVcfGz(spec));
    expect(bcftools('index', '-f', path).ok).toBe(true);
    expect(bcftools('view', '-Oz', '-o', `${path}.bcftools.vcf.gz`, path).ok).toBe(true);
    expect((await validate(readFileSync(path))).status).toBe('valid');
    expect((await validate(readFileSync(`${path}.bcftools.vcf.gz`))).status).toBe('valid');
  });

  it('refuses the file bcftools cannot index as unsorted, at the same positions, and accepts `bcftools sort` of it', async () => {
    const unsorted: VcfSpec = { ...spec, fault: { kind: 'unsorted', at: 1700 } };
    const path = write('unsorted.vcf.gz', makeVcfGz(unsorted));
    const index = bcftools('index', '-f', path);
    expect(index.ok).toBe(false);
    const [before, after] = [recordPosition(unsorted, 1700), recordPosition(unsorted, 1699)];
    expect(index.stderr).toContain(`Unsorted positions on sequence #1: ${before} followed by ${after}`);
    expect(problemOf(await validate(readFileSync(path))).message).toMatch(
      `position ${after} after ${before}`,
    );

    expect(bcftools('sort', '-Oz', '-o', `${path}.sorted.vcf.gz`, path).ok).toBe(true);
    expect((await validate(readFileSync(`${path}.sorted.vcf.gz`))).status).toBe('valid');
  });

  it.each<[string, Buffer, string]>([
    [
      'a record with fewer samples',
      makeVcfGz({ ...spec, fault: { kind: 'fewerSamples', at: 900 } }),
      'SAMPLE_COUNT_MISMATCH',
    ],
    [
      'an unparseable genotype',
      makeVcfGz({ ...spec, fault: { kind: 'badGenotype', at: 900 } }),
      'BAD_GENOTYPE',
    ],
    ['a file without the EOF block', truncateBgzf(makeVcfGz(spec), 'no-eof'), 'TRUNCATED'],
    ['a file cut inside a block', truncateBgzf(makeVcfGz(spec), 'mid-block'), 'TRUNCATED'],
  ])('refuses %s, which bcftools cannot read either', async (name, data, code) => {
    const path = write(`${name.replaceAll(' ', '-')}.vcf.gz`, data);
    expect(bcftools('view', '-Ou', '-o', '/dev/null', path).ok).toBe(false);
    expect(problemOf(await validate(data)).code).toBe(code);
  });

  it('refuses a mixed-chromosome file bcftools accepts (a rule of the services), and accepts `bcftools view -r` of it', async () => {
    const path = write('mixed.vcf.gz', makeVcfGz({ ...spec, fault: { kind: 'secondChromosome', at: 2000 } }));
    expect(bcftools('index', '-f', path).ok).toBe(true);
    expect(problemOf(await validate(readFileSync(path))).code).toBe('MIXED_CHROMOSOMES');
    for (const chromosome of ['20', '21']) {
      const split = `${path}.${chromosome}.vcf.gz`;
      expect(bcftools('view', '-r', chromosome, '-Oz', '-o', split, path).ok).toBe(true);
      expect((await validate(readFileSync(split))).summary.chromosomes).toEqual([chromosome]);
      expect((await validate(readFileSync(split))).status).toBe('valid');
    }
  });
});
