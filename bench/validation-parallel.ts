/**
 * The time to validate a 22-file job, before and after its files were checked side by side (one Map
 * branch per file, bc838bf) instead of one after the other in one task (e4172cc, the commit before).
 *
 * Generates 22 bgzipped VCFs, one per chromosome 1–22 (BENCH_VALIDATION_MIB each, 24 by default; 1,000
 * samples of array-like phased genotypes, deflate level 1 to generate quickly — the validator's cost is
 * inflating and scanning, which the level barely changes), kept in BENCH_VALIDATION_DIR between runs.
 * Then, each in a fresh Node 22 process (bench/validation-parallel-run.ts), one job of those 22 files
 * whose uploads are recorded UNCHECKED, so its own validation reads every file: once in this checkout,
 * once in a temporary git worktree of e4172cc (node_modules linked, the runner copied in unchanged,
 * removed afterwards). Prints, for each, the wall time from the job's creation to SUBMITTING and each
 * file's own validation time.
 *
 * This machine's cores are shared: all branches of the Map run in this one Node process, so the "after"
 * wall time here is bounded by the process's CPUs (os.availableParallelism() is printed). Deployed, each
 * branch is its own Lambda invocation with its own vCPU (1,769 MB), so the deployed figure is about the
 * slowest single file plus the judgement: read it from the per-file column.
 *
 * Run: npm run bench:validation   (BENCH_VALIDATION_BEFORE=<commit> to compare another commit;
 * BENCH_VALIDATION_BEFORE=none to measure this checkout only)
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { BGZF_EOF, bgzfFrame } from '#test/support/vcf-fixtures';
import { markedResult, runNode } from './child-process';
import { node22 } from './node22';

const MiB = 1024 ** 2;
const FILES = 22;
const SAMPLES = 1000;
const fileMiB = Number(process.env.BENCH_VALIDATION_MIB ?? 24);
const before = process.env.BENCH_VALIDATION_BEFORE ?? 'e4172cc';
const root = resolve(import.meta.dirname, '..');
const dir =
  process.env.BENCH_VALIDATION_DIR ?? join(tmpdir(), `validation-parallel-bench-${FILES}x${fileMiB}MiB`);
const node = node22();

interface Measured {
  files: string[];
  bytes: number;
  wallMs: number;
  invocations: { what: number | 'job' | 'all'; startMs: number; ms: number; outcome: string }[];
}

/** Writes a valid VCF of chromosome `chromosome` of about `targetBytes` compressed, block by block. */
function generate(path: string, chromosome: number, targetBytes: number): void {
  const fd = openSync(path, 'w');
  let written = 0;
  const block = Buffer.alloc(65_280);
  let used = 0;
  const flush = () => {
    const data = block.subarray(0, used);
    const frame = bgzfFrame(Buffer.from(data), deflateRawSync(data, { level: 1 }));
    writeSync(fd, frame);
    written += frame.length;
    used = 0;
  };
  const append = (bytes: Buffer) => {
    for (let from = 0; from < bytes.length; ) {
      const take = Math.min(bytes.length - from, block.length - used);
      bytes.copy(block, used, from, from + take);
      used += take;
      from += take;
      if (used === block.length) flush();
    }
  };
  append(
    Buffer.from(
      `${[
        '##fileformat=VCFv4.2',
        `##contig=<ID=${chromosome}>`,
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT']
          .concat(Array.from({ length: SAMPLES }, (_, i) => `SAMPLE${i + 1}`))
          .join('\t'),
      ].join('\n')}\n`,
    ),
  );
  // Genotyping-array data: common variants, allele frequencies 1..50 %.
  const thresholds = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5].map((p) => Math.round(p * 256));
  const random = Buffer.alloc(2 * SAMPLES + 1);
  const bases = ['A', 'C', 'G', 'T'];
  for (let record = 0; written < targetBytes; record++) {
    randomFillSync(random);
    const threshold = thresholds[random[2 * SAMPLES]! % thresholds.length]!;
    const ref = bases[record % 4]!;
    const alt = bases[(record + 1) % 4]!;
    let line = `${chromosome}\t${100_000 + record * 97}\trs${1_000_000 + record}\t${ref}\t${alt}\t.\tPASS\t.\tGT`;
    for (let s = 0; s < SAMPLES; s++) {
      line += `\t${random[2 * s]! < threshold ? 1 : 0}|${random[2 * s + 1]! < threshold ? 1 : 0}`;
    }
    append(Buffer.from(`${line}\n`));
  }
  if (used > 0) flush();
  writeSync(fd, BGZF_EOF);
  closeSync(fd);
}

function ensureFiles(): void {
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  let made = 0;
  for (let chromosome = 1; chromosome <= FILES; chromosome++) {
    const path = join(dir, `cohort.chr${chromosome}.vcf.gz`);
    if (existsSync(path)) continue;
    generate(`${path}.part`, chromosome, fileMiB * MiB);
    execFileSync('mv', [`${path}.part`, path]);
    made++;
  }
  if (made > 0) {
    console.error(
      `generated ${made} file(s) in ${((performance.now() - started) / 1000).toFixed(0)} s (${dir})`,
    );
  }
}

async function measure(checkout: string, oneAtATime = false): Promise<Measured> {
  const output = await runNode(
    node.path,
    ['--import', 'tsx', join(checkout, 'bench/validation-parallel-run.ts')],
    {
      cwd: checkout,
      env: {
        ...process.env,
        BENCH_VALIDATION_DIR: dir,
        BENCH_VALIDATION_ONE_AT_A_TIME: oneAtATime ? '1' : '0',
        NODE_OPTIONS: '',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    },
  );
  return markedResult<Measured>(output, 'BENCH_VALIDATION', `the run in ${checkout}`);
}

/** A worktree of `commit` with this checkout's node_modules and the runner; removed by the caller. */
function worktreeOf(commit: string): string {
  const path = join(tmpdir(), `validation-before-${process.pid}`);
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', path, commit], { cwd: root });
  symlinkSync(resolve(root, 'node_modules'), join(path, 'node_modules'));
  mkdirSync(join(path, 'bench'), { recursive: true });
  copyFileSync(
    join(root, 'bench/validation-parallel-run.ts'),
    join(path, 'bench/validation-parallel-run.ts'),
  );
  return path;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function report(label: string, m: Measured, alone = false): void {
  const files = m.invocations.filter((i) => typeof i.what === 'number');
  const judge = m.invocations.filter((i) => i.what === 'job');
  const whole = m.invocations.filter((i) => i.what === 'all');
  const perFile = new Map<number, number>();
  for (const i of files) perFile.set(i.what as number, (perFile.get(i.what as number) ?? 0) + i.ms);
  const times = [...perFile.values()].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} ${seconds(m.wallMs).padStart(9)} ${String(m.invocations.length).padStart(11)} ${
      times.length
        ? `${seconds(times[0]!)} / ${seconds(times[Math.floor(times.length / 2)]!)} / ${seconds(times.at(-1)!)}`
        : whole.length
          ? `(one task: ${whole.map((i) => seconds(i.ms)).join(' + ')})`
          : '–'
    }${judge.length ? `; judgement ${judge.map((i) => `${i.ms} ms`).join(', ')}` : ''}`,
  );
  if (times.length) {
    const sum = times.reduce((a, b) => a + b, 0);
    const perFileText = [...perFile.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, ms]) => `${index + 1}:${ms}`)
      .join(' ');
    console.log(`${''.padEnd(44)} per file (ms, by chromosome): ${perFileText}; sum ${seconds(sum)}`);
    if (alone) {
      const judged = judge.reduce((total, i) => total + i.ms, 0);
      console.log(
        `${''.padEnd(44)} deployed (a Lambda per branch) ≈ slowest file alone + judgement = ${seconds(times.at(-1)! + judged)}`,
      );
    }
  }
}

ensureFiles();
const names = readdirSync(dir).filter((name) => name.endsWith('.vcf.gz'));
console.log(
  `One job of ${names.length} files (${fileMiB} MiB bgzipped each, ${SAMPLES} samples, chromosomes 1–${FILES}), uploads UNCHECKED so the job's own validation reads them; real ASL in aws-local-stepfunctions with the real handlers, Node ${node.version}, ${availableParallelism()} CPU(s) shared by every branch (one process)`,
);
console.log(
  `${'validation'.padEnd(44)} ${'to SUBMIT.'.padStart(9)} ${'invocations'.padStart(11)} per file min / median / max`,
);
const after = await measure(root);
const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
report(`after: a Map branch per file (${head})`, after);
report('after, branches one at a time (each file alone)', await measure(root, true), true);
if (before !== 'none') {
  const path = worktreeOf(before);
  try {
    report(`before: one task, file after file (${before})`, await measure(path));
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', path], { cwd: root });
  }
}
console.log(
  "to SUBMIT.: from the job's createdAt to its SUBMITTING event, as recorded on the job; per file: the validation task's time for that file (its Map branch's invocations). In the first run every branch shares this machine's CPUs in one process, so a file's time there is stretched by the others; the second runs the same branches' invocations one at a time, so a file's time is its own — deployed, each branch is its own Lambda, and the job waits about as long as its slowest file plus the judgement.",
);
