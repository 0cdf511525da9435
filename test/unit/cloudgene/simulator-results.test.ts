/**
 * A simulated job's results are what a researcher gets from the real services, made from what was
 * submitted: the zip opens with the job's password (and no other), its dose VCF holds the submitted
 * samples and sites plus imputed ones, the step messages count what the file holds, and the QC files
 * agree with them. Everything goes through HTTP, as a client sees it; bcftools and unzip cross-check the
 * files when they are installed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { describe, expect, it } from 'vitest';
import type { CloudgeneSimulator, SimulatorOptions } from '#infra/local/simulator/cloudgene-simulator';
import { bgzip, makeVcfGz, recordPosition, type VcfSpec, vcfText } from '#test/support/vcf-fixtures';
import { simulatorsOfThisFile, TIMING } from './simulator-support';

const PASSWORD = 'zip-password-123';
const start = simulatorsOfThisFile();

async function simulator(options: SimulatorOptions = {}) {
  const sim = await start(options);
  return { sim, token: sim.addUser({ username: 'ann' }) };
}

interface JobView {
  state: number;
  steps: { name: string; logMessages: { message: string; type: number }[] }[];
  outputParams: { name: string; files: { name: string; hash: string; size: string }[] }[];
}

/** Submits `file` as a browser would, lets the clock finish the job and answers its body. */
async function runJob(
  sim: CloudgeneSimulator,
  token: string,
  file: Buffer,
  fields: Record<string, string> = {},
): Promise<{ id: string; job: JobView }> {
  const form = new FormData();
  form.set('refpanel', 'apps@hapmap-2@2.0.0');
  form.set('password', PASSWORD);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.append('files', new Blob([file]), 'study.chr20.vcf.gz');
  const submitted = await fetch(`${sim.url}/api/v2/jobs/submit/imputationserver2`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token },
    body: form,
  });
  const { id } = (await submitted.json()) as { id: string };
  sim.advance(TIMING.queueMs + TIMING.runMs + TIMING.exportMs);
  const job = (await (
    await fetch(`${sim.url}/api/v2/jobs/${id}`, { headers: { 'X-Auth-Token': token } })
  ).json()) as JobView;
  return { id, job };
}

const filesOf = (job: JobView) => job.outputParams.flatMap((p) => p.files);
const messages = (job: JobView, step: string) =>
  job.steps.find((s) => s.name === step)?.logMessages.map((m) => m.message) ?? [];

async function download(sim: CloudgeneSimulator, job: JobView, name: string): Promise<Buffer> {
  const file = filesOf(job).find((f) => f.name === name);
  if (!file) throw new Error(`the job lists no ${name}`);
  const response = await fetch(`${sim.url}/share/results/${file.hash}/${file.name}`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** The zip's entries, opened with `password` (zip.js throws for a wrong one). */
async function unzip(zip: Buffer, password: string) {
  const reader = new ZipReader(new Uint8ArrayReader(new Uint8Array(zip)));
  const entries = new Map<string, { content: Buffer; zipCrypto: boolean; encrypted: boolean }>();
  for (const entry of await reader.getEntries()) {
    if (entry.directory) continue;
    const content = Buffer.from(await entry.getData(new Uint8ArrayWriter(), { password }));
    entries.set(entry.filename, { content, zipCrypto: entry.zipCrypto, encrypted: entry.encrypted });
  }
  await reader.close();
  return entries;
}

/** Header sample ids and records (CHROM, POS, INFO, FORMAT, first sample) of a (b)gzipped VCF. */
function readVcf(gz: Buffer) {
  const lines = gunzipSync(gz).toString('utf8').trimEnd().split('\n');
  const header = lines.find((l) => l.startsWith('#CHROM'))!.split('\t');
  const records = lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const [chrom = '', pos = '', , , , , , info = '', format = '', first = ''] = l.split('\t');
      return { chrom, pos: Number(pos), info, format, first, columns: l.split('\t').length };
    });
  return { samples: header.slice(9), records };
}

/** Positions listed in statistics/snps-excluded.txt (`20:60137:A:C\tAllele mismatch\t-`). */
const excludedPositions = (text: string) =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => Number(l.split(':')[1]));

const spec: VcfSpec = { samples: 25, records: 120 };
const submittedPositions = Array.from({ length: 120 }, (_, i) => recordPosition(spec, i));

describe("a finished job's results", () => {
  it('are an AES-256 zip that opens with the job password only, holding the submitted samples and sites', async () => {
    const { sim, token } = await simulator();
    const { id, job } = await runJob(sim, token, makeVcfGz(spec), { aesEncryption: 'yes' });
    expect(job.state).toBe(4);
    expect(filesOf(job).map((f) => f.name)).toEqual(
      expect.arrayContaining(['chr_20.zip', 'qc_report.txt', 'quality-control.html']),
    );
    const zip = await download(sim, job, 'chr_20.zip');
    expect(createHash('sha256').update(zip).digest('hex')).toBe(sim.expectedResult(id, 'chr_20.zip').sha256);
    await expect(unzip(zip, 'not the password')).rejects.toThrow(/password/i);
    const entries = await unzip(zip, PASSWORD);
    expect([...entries.keys()]).toEqual(['chr20.dose.vcf.gz', 'chr20.info.gz']);
    expect([...entries.values()].every((e) => e.encrypted && !e.zipCrypto)).toBe(true);

    const dose = readVcf(entries.get('chr20.dose.vcf.gz')!.content);
    expect(dose.samples).toEqual(Array.from({ length: 25 }, (_, i) => `S${i + 1}`));
    const positions = new Set(dose.records.map((r) => r.pos));
    const excluded = new Set(
      excludedPositions((await download(sim, job, 'statistics/snps-excluded.txt')).toString()),
    );
    const kept = submittedPositions.filter((p) => !excluded.has(p));
    expect(kept.every((p) => positions.has(p))).toBe(true);
    expect([...excluded].some((p) => positions.has(p))).toBe(false);
    const imputed = dose.records.filter((r) => r.info.endsWith(';IMPUTED'));
    expect(imputed.length).toBeGreaterThan(50);
    expect(imputed.every((r) => !submittedPositions.includes(r.pos))).toBe(true);
    for (const record of dose.records) {
      expect(record).toMatchObject({ chrom: '20', format: 'GT:DS:GP:HDS', columns: 9 + 25 });
      expect(record.info).toMatch(/^AF=[\d.]+;MAF=[\d.]+;AVG_CS=[\d.]+;(R2=[\d.]+;)?/);
      expect(record.first).toMatch(
        /^[01]\|[01]:\d\.\d{3}:\d\.\d{3},\d\.\d{3},\d\.\d{3}:\d\.\d{3},\d\.\d{3}$/,
      );
    }
    const info = readVcf(entries.get('chr20.info.gz')!.content);
    expect(info.records.map((r) => r.pos)).toEqual(dose.records.map((r) => r.pos));
  });

  it('say in their messages what the file holds, and the QC report and statistics agree', async () => {
    const { sim, token } = await simulator();
    const { job } = await runJob(sim, token, makeVcfGz(spec));
    expect(messages(job, 'Input Validation')[0]).toMatch(
      /^1 valid VCF file\(s\) found\.\nSamples: 25\nChromosomes: 20\nSNPs: 120\nChunks: 1\nDatatype: phased\nBuild: hg19\nReference Panel: hapmap-2 \(hg19\)/,
    );
    const summary = messages(job, 'Quality Control').at(-1)!;
    const count = (label: string) => Number(new RegExp(`${label}: ([\\d,]+)`).exec(summary)?.[1] ?? 0);
    const [excluded, remaining, typedOnly] = [
      count('Excluded sites in total'),
      count('Remaining sites in total'),
      count('Typed only sites'),
    ];
    expect(excluded + remaining + typedOnly).toBe(120);
    expect(excluded).toBeGreaterThan(0);
    const excludedFile = (await download(sim, job, 'statistics/snps-excluded.txt')).toString();
    expect(excludedPositions(excludedFile)).toHaveLength(excluded);
    const report = (await download(sim, job, 'qc_report.txt')).toString();
    expect(report).toContain(`Remaining sites in total: ${remaining}`);
    expect(report).not.toContain('<b>');
    expect(summary).not.toContain('chunks-excluded.txt');
    expect(filesOf(job).some((f) => f.name === 'statistics/chunks-excluded.txt')).toBe(false);
  });

  it('exclude a chunk with fewer SNPs than the panel needs: the QC warning names chunks-excluded.txt, which lists it', async () => {
    const { sim, token } = await simulator();
    // 60 sites at the start of chromosome 20 (chunk 1-20 Mb), and 2 alone at 45 Mb (chunk 40-60 Mb).
    const text = vcfText({ samples: 20, records: 60 });
    const far = [45_000_000, 45_000_100].map(
      (pos, i) => `20\t${pos}\trs9${i}\tA\tG\t.\tPASS\t.\tGT\t${Array(20).fill('0|1').join('\t')}`,
    );
    const { job } = await runJob(sim, token, bgzip(`${text}${far.join('\n')}\n`));
    expect(job.state).toBe(4);
    expect(messages(job, 'Input Validation')[0]).toMatch(/SNPs: 62\nChunks: 2\n/);
    expect(messages(job, 'Quality Control').at(-1)).toMatch(
      /<b>Warning:<\/b> 1 Chunk\(s\) excluded: < 3 SNPs \(see chunks-excluded.txt for details\)\.\nRemaining chunk\(s\): 1/,
    );
    const listed = (await download(sim, job, 'statistics/chunks-excluded.txt')).toString();
    expect(listed.split('\n')[1]).toBe('chunk_20_0040000001_0060000000\t2\t100.00\t0');
    const dose = readVcf(
      (await unzip(await download(sim, job, 'chr_20.zip'), PASSWORD)).get('chr20.dose.vcf.gz')!.content,
    );
    expect(dose.records.every((r) => r.pos < 40_000_000)).toBe(true);
  });

  it('follow the panel build: chr20 on TOPMed, lifted over from hg19 with statistics/lift-over.txt', async () => {
    const { sim, token } = await simulator({ preset: 'topmed' });
    const fields = { refpanel: 'apps@topmed-r3@1.0.0', population: 'all' };
    const native = await runJob(sim, token, makeVcfGz({ samples: 20, chromosome: 'chr20' }), {
      ...fields,
      build: 'hg38',
    });
    const lifted = await runJob(sim, token, makeVcfGz({ samples: 20 }), fields);
    for (const { job } of [native, lifted]) {
      const dose = readVcf(
        (await unzip(await download(sim, job, 'chr_20.zip'), PASSWORD)).get('chr20.dose.vcf.gz')!.content,
      );
      expect(new Set(dose.records.map((r) => r.chrom))).toEqual(new Set(['chr20']));
    }
    expect(messages(native.job, 'Quality Control')[0]).toMatch(/^<b>Statistics:<\/b>/);
    expect(messages(lifted.job, 'Quality Control')[0]).toBe('Uploaded data is hg19 and reference is hg38.');
    expect(filesOf(lifted.job).some((f) => f.name === 'statistics/lift-over.txt')).toBe(true);
    expect(filesOf(native.job).some((f) => f.name === 'statistics/lift-over.txt')).toBe(false);
  });

  it('are ZipCrypto without aesEncryption, which unzip opens with the password too', async () => {
    const { sim, token } = await simulator();
    const { job } = await runJob(sim, token, makeVcfGz({ samples: 20, records: 40 }));
    const zip = await download(sim, job, 'chr_20.zip');
    const entries = await unzip(zip, PASSWORD);
    expect([...entries.values()].every((e) => e.encrypted && e.zipCrypto)).toBe(true);
    if (!existsSync('/usr/bin/unzip')) return;
    const path = join(mkdtempSync(join(tmpdir(), 'sim-zip-')), 'chr_20.zip');
    writeFileSync(path, zip);
    const dose = execFileSync('/usr/bin/unzip', ['-p', '-P', PASSWORD, path, 'chr20.dose.vcf.gz']);
    expect(dose.equals(entries.get('chr20.dose.vcf.gz')!.content)).toBe(true);
  });

  it.skipIf(!existsSync('/usr/bin/bcftools'))('hold a dose VCF that bcftools reads', async () => {
    const { sim, token } = await simulator();
    const { job } = await runJob(sim, token, makeVcfGz({ samples: 20, records: 40 }));
    const dose = (await unzip(await download(sim, job, 'chr_20.zip'), PASSWORD)).get(
      'chr20.dose.vcf.gz',
    )!.content;
    const path = join(mkdtempSync(join(tmpdir(), 'sim-vcf-')), 'chr20.dose.vcf.gz');
    writeFileSync(path, dose);
    const bcftools = (...args: string[]) => execFileSync('/usr/bin/bcftools', args, { encoding: 'utf8' });
    expect(bcftools('query', '-l', path).trim().split('\n')).toEqual(readVcf(dose).samples);
    expect(bcftools('view', '-H', path).trim().split('\n')).toHaveLength(readVcf(dose).records.length);
    expect(bcftools('query', '-f', '%INFO/R2\\n', '-i', 'INFO/IMPUTED=1', path).trim()).toMatch(/^0\.\d+/);
  });

  it('are the same bytes after a restart of a simulator with a state file', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'simulator.json');
    const first = await simulator({ stateFile });
    const { id, job } = await runJob(first.sim, first.token, makeVcfGz({ samples: 20, records: 40 }));
    const before = await download(first.sim, job, 'chr_20.zip');
    await first.sim.close();
    const second = await start({ stateFile });
    const after = await download(second, job, 'chr_20.zip');
    expect(after.equals(before)).toBe(true);
    expect(second.expectedResult(id, 'chr_20.zip').size).toBe(before.length);
  });
});

describe('input the service refuses', () => {
  it.each([
    [
      'a file that is no gzip and no VCF',
      Buffer.from('just some bytes'),
      {},
      /We never saw the required CHROM header line/,
    ],
    [
      'a gzip that is not bgzip',
      makeVcfGz({ gzipOnly: true }),
      {},
      /Error during index creation: the file is not compressed with bgzip/,
    ],
    ['5 samples', makeVcfGz({ samples: 5 }), {}, /^At least 20 samples must be uploaded\.$/],
    [
      'hg38 named like hg19',
      makeVcfGz({ samples: 20 }),
      { build: 'hg38' },
      /contains chromosome '20'\. This is not a valid hg38 encoding/,
    ],
    [
      'two chromosomes in one file',
      makeVcfGz({ fault: { kind: 'secondChromosome', at: 10 } }),
      {},
      /more than one chromosome/,
    ],
  ])(
    'fails the job (5) after the queue, naming the problem in Input Validation: %s',
    async (_, file, fields, problem) => {
      const { sim, token } = await simulator();
      const { job } = await runJob(sim, token, file, fields);
      expect(job.state).toBe(5);
      expect(job.steps.map((s) => s.name)).toEqual(['Input Validation']);
      const [message] = job.steps[0]!.logMessages;
      expect(message).toMatchObject({ type: 1, message: expect.stringMatching(problem) });
      expect(filesOf(job)).toEqual([]);
    },
  );

  it('fails the job in Quality Control when no chunk has enough SNPs', async () => {
    const { sim, token } = await simulator();
    const { job } = await runJob(sim, token, makeVcfGz({ samples: 20, records: 2 }));
    expect(job.state).toBe(5);
    expect(job.steps.at(-1)).toMatchObject({ name: 'Quality Control' });
    expect(job.steps.at(-1)!.logMessages.at(-1)).toMatchObject({
      type: 1,
      message: expect.stringMatching(
        /<b>Error:<\/b> No chunks passed the QC step\. Imputation cannot be started!$/,
      ),
    });
    // What QC wrote before the failure stays listed and downloadable, as at the real services; no zip.
    expect(filesOf(job).map((f) => f.name)).toEqual(
      expect.arrayContaining(['qc_report.txt', 'statistics/chunks-excluded.txt']),
    );
    expect(filesOf(job).some((f) => f.name.endsWith('.zip'))).toBe(false);
    expect((await download(sim, job, 'statistics/chunks-excluded.txt')).toString()).toMatch(/^#Chunk\t/);
  });
});
