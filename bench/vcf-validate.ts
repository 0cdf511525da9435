/**
 * Validating a whole bgzipped VCF: generates a ~1 GiB file (1,000 samples, phased GT, array-like allele
 * frequencies, bgzip's level 6) with streaming writes, and a 4× smaller prefix of it (cut after a line),
 * then validates each in a fresh child process from a file stream (64 KiB chunks, as an S3 body
 * arrives) and prints sizes, records, time, throughput and the child's peak RSS, plus an inflate-only
 * pass of the same file for scale. Peak RSS should not grow with the file.
 *
 * Run: npx tsx bench/vcf-validate.ts   (BENCH_VCF_MIB=1024,256 by default; BENCH_VCF_LEVEL=1 generates
 * faster; BENCH_VCF_DIR=<dir> puts the files there, BENCH_VCF_KEEP=1 keeps them). Generating 1 GiB at level
 * 6 takes minutes (deflate is the slow part), validating it well under one Lambda invocation.
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip, deflateRaw } from 'node:zlib';
import { BGZF_EOF, bgzfFrame } from '#test/support/vcf-fixtures';

const MiB = 1024 ** 2;
const SAMPLES = 1000;
/** bgzip's default deflate level. */
const LEVEL = Number(process.env.BENCH_VCF_LEVEL ?? 6);

if (process.argv[2] === '--child') {
  await child(process.argv[3] as 'validate' | 'inflate', process.argv[4]!);
} else {
  await main();
}

async function main() {
  const sizes = (process.env.BENCH_VCF_MIB ?? '1024,256')
    .split(',')
    .map((mib) => Number(mib) * MiB)
    .sort((a, b) => b - a);
  const dir = process.env.BENCH_VCF_DIR ?? join(tmpdir(), `vcf-validate-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const pathOf = (bytes: number) => join(dir, `bench-${bytes / MiB}MiB-${SAMPLES}samples.vcf.gz`);

  // The largest file is generated; each smaller one is a prefix of it, cut after a whole line.
  const started = performance.now();
  const generated = await generate(pathOf(sizes[0]!), sizes);
  console.error(
    `generated ${(generated.bytes / MiB) | 0} MiB (${generated.records} records, deflate level ${LEVEL}) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  for (const cut of generated.cuts) copyPrefixWithEof(pathOf(sizes[0]!), cut.offset, pathOf(cut.size));

  const rows: Record<string, string | number>[] = [];
  for (const size of sizes) {
    for (const mode of ['validate', 'inflate'] as const) {
      const row = { file: `${size / MiB} MiB`, mode, ...(await runChild(mode, pathOf(size))) };
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  }
  if (process.env.BENCH_VCF_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  console.table(rows);
}

/** The first `length` bytes of `from` (whole blocks) and the EOF block: a valid, shorter BGZF file. */
function copyPrefixWithEof(from: string, length: number, to: string): void {
  const input = openSync(from, 'r');
  const output = openSync(to, 'w');
  const buffer = Buffer.alloc(MiB);
  for (let position = 0; position < length; ) {
    const read = readSync(input, buffer, 0, Math.min(buffer.length, length - position), position);
    writeSync(output, buffer, 0, read);
    position += read;
  }
  writeSync(output, BGZF_EOF);
  closeSync(input);
  closeSync(output);
}

/** Runs one measurement in a fresh Node process, so its peak RSS is the validator's alone. */
function runChild(mode: 'validate' | 'inflate', path: string): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)),
    );
  });
}

async function child(mode: 'validate' | 'inflate', path: string) {
  const compressed = statSync(path).size;
  const baselineRss = process.memoryUsage().rss;
  const started = performance.now();
  let decompressed = 0;
  let records: number | string = '-';
  let verdict = '-';
  if (mode === 'validate') {
    const { validateVcf } = await import('#shared/vcf/vcf-validator');
    const result = await validateVcf(createReadStream(path, { highWaterMark: 64 * 1024 }), {
      rules: { build: 'hg19', sampleLimits: { min: 20, max: 50_000 } },
    });
    decompressed = result.stats.decompressedBytes;
    records = result.summary.records;
    verdict = result.status === 'invalid' ? `invalid: ${result.problem.message}` : result.status;
  } else {
    const gunzip = createReadStream(path, { highWaterMark: 64 * 1024 }).pipe(createGunzip());
    for await (const chunk of gunzip) decompressed += (chunk as Buffer).length;
  }
  const seconds = (performance.now() - started) / 1000;
  const result = {
    verdict,
    compressedMiB: +(compressed / MiB).toFixed(1),
    decompressedMiB: +(decompressed / MiB).toFixed(1),
    records,
    seconds: +seconds.toFixed(1),
    compressedMiBps: +(compressed / MiB / seconds).toFixed(1),
    decompressedMiBps: +(decompressed / MiB / seconds).toFixed(1),
    // The kernel's high-water mark of this process (KiB), not a sampled value.
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
    baselineRssMiB: +(baselineRss / MiB).toFixed(0),
  };
  process.stdout.write(JSON.stringify(result));
}

/**
 * Writes a valid chr20 VCF of about `targetBytes` compressed, one BGZF block at a time (a few blocks
 * deflate in parallel on the thread pool, two at a time; they are written in order).
 */
async function generate(
  path: string,
  sizes: number[],
): Promise<{ bytes: number; records: number; cuts: { size: number; offset: number }[] }> {
  const [targetBytes, ...cutSizes] = sizes as [number, ...number[]];
  const cuts: { size: number; offset: number }[] = [];
  const EOF = BGZF_EOF;
  const fd = openSync(path, 'w');
  let written = 0;
  const inFlight: Promise<Buffer>[] = [];
  const flushOne = async () => {
    const block = await inFlight.shift()!;
    writeSync(fd, block);
    written += block.length;
  };
  const submit = async (data: Buffer) => {
    inFlight.push(
      new Promise((resolve, reject) =>
        deflateRaw(data, { level: LEVEL }, (error, deflated) =>
          error ? reject(error) : resolve(bgzfFrame(data, deflated)),
        ),
      ),
    );
    if (inFlight.length >= 2) await flushOne();
  };

  const block = Buffer.alloc(65_280);
  let used = 0;
  const append = async (bytes: Buffer) => {
    let from = 0;
    while (from < bytes.length) {
      const take = Math.min(bytes.length - from, block.length - used);
      bytes.copy(block, used, from, from + take);
      used += take;
      from += take;
      if (used === block.length) {
        await submit(Buffer.from(block));
        used = 0;
      }
    }
  };

  const header = [
    '##fileformat=VCFv4.2',
    '##contig=<ID=20,length=64444167>',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
      .concat(Array.from({ length: SAMPLES }, (_, i) => `SAMPLE${i + 1}`))
      .join('\t'),
  ].join('\n');
  await append(Buffer.from(`${header}\n`));

  // Genotyping-array data, the usual imputation input: common variants, allele frequencies 1..50 %.
  const thresholds = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5].map((p) => Math.round(p * 256));
  const random = Buffer.alloc(2 * SAMPLES + 2);
  const line = Buffer.alloc(64 + SAMPLES * 4);
  const bases = ['A', 'C', 'G', 'T'];
  let records = 0;
  let position = 60_000;
  while (written + inFlight.length * 16_000 < targetBytes) {
    randomFillSync(random);
    position += 1 + (random[2 * SAMPLES]! % 200);
    const ref = bases[records % 4]!;
    const prefix = `20\t${position}\trs${records + 1}\t${ref}\t${bases[(records + 1) % 4]}\t.\tPASS\t.\tGT`;
    let at = line.write(prefix, 0, 'latin1');
    const threshold = thresholds[random[2 * SAMPLES + 1]! % thresholds.length]!;
    for (let s = 0; s < SAMPLES; s++) {
      line[at] = 0x09;
      line[at + 1] = random[2 * s]! < threshold ? 0x31 : 0x30;
      line[at + 2] = 0x7c;
      line[at + 3] = random[2 * s + 1]! < threshold ? 0x31 : 0x30;
      at += 4;
    }
    line[at++] = 0x0a;
    await append(line.subarray(0, at));
    records += 1;
    const cut = cutSizes.at(-1);
    if (cut !== undefined && written + inFlight.length * 16_000 >= cut) {
      // End a block at this line, so that the file up to here is a whole VCF.
      if (used > 0) await submit(Buffer.from(block.subarray(0, used)));
      used = 0;
      while (inFlight.length > 0) await flushOne();
      cuts.push({ size: cutSizes.pop()!, offset: written });
    }
  }
  if (used > 0) await submit(Buffer.from(block.subarray(0, used)));
  while (inFlight.length > 0) await flushOne();
  writeSync(fd, EOF);
  written += EOF.length;
  closeSync(fd);
  return { bytes: written, records, cuts };
}
