/**
 * `npx tsx bench/console-precheck.ts`: how long the console's check of a picked file takes in Debian's
 * Chromium (web/src/lib/vcf-precheck.ts, bundled alone with esbuild onto a blank page, the file picked
 * through a real file input): files of 5 MB to 1 GiB, broken and whole, the worst case being a head that
 * compresses well (the first MiB inflates to the 16 MiB the check reads at most, each 64 KiB block its own
 * DecompressionStream). The 1 GiB files are sparse: a real head and tail, nothing read in between, as the
 * check reads nothing there. Budget: well under a second for any size.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { hasChromium, launchChromium, root } from '#test/browser/browser';
import { makeVcfGz, truncateBgzf, vcfText } from '#test/support/vcf-fixtures';

const RUNS = 7;
const GiB = 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), 'precheck-bench-'));

/** A sparse file: `head` at its start, `tail` at its end, `size` bytes in all. */
function sparse(name: string, size: number, head: Buffer, tail: Buffer): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, tail, 0, tail.length, size - tail.length);
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

if (!hasChromium) {
  console.log('skipped: /usr/bin/chromium is not installed');
  process.exit(0);
}

// Highly compressible synthetic genotypes: 2 MiB of BGZF holds far more than the 16 MiB the check inflates.
const cohort = makeVcfGz({ samples: 200, records: 120_000, contigLength: 63_025_520 });
const wide = makeVcfGz({ samples: 5_000, records: 2_000 });
const cases = [
  {
    what: 'plain-text VCF named .vcf.gz, 5 MB',
    path: file('plain.vcf.gz', vcfText({ samples: 50, records: 21_000 })),
  },
  { what: `valid, 200 samples, ${(cohort.length / 1e6).toFixed(1)} MB`, path: file('cohort.vcf.gz', cohort) },
  {
    what: 'valid head and tail, 1 GiB (200 samples)',
    path: sparse('cohort-1g.vcf.gz', GiB, cohort.subarray(0, 2 * 1024 ** 2), cohort.subarray(-300_000)),
  },
  {
    what: 'cut short, 1 GiB (no EOF block)',
    path: sparse(
      'cut-1g.vcf.gz',
      GiB,
      cohort.subarray(0, 2 * 1024 ** 2),
      truncateBgzf(cohort, 'no-eof').subarray(-300_000),
    ),
  },
  { what: `valid, 5,000 samples, ${(wide.length / 1e6).toFixed(1)} MB`, path: file('wide.vcf.gz', wide) },
];

const bundle = await build({
  entryPoints: [join(root, 'web/src/lib/vcf-precheck.ts')],
  bundle: true,
  write: false,
  format: 'iife',
  globalName: 'precheck',
  target: 'es2022',
});
const browser = await launchChromium();
const page = await browser.newPage();
await page.setContent('<input type="file">');
await page.addScriptTag({ content: bundle.outputFiles[0]!.text });

console.log(`Console precheck in Chromium: median of ${RUNS} runs (first run apart), per file`);
for (const { what, path } of cases) {
  await page.locator('input').setInputFiles(path);
  // Timed in the page: from the File to the verdict, as New job runs it on a pick.
  const runs = (await page.evaluate(`(async () => {
    const file = document.querySelector('input').files[0];
    const times = [];
    let result;
    for (let i = 0; i < ${RUNS + 1}; i++) {
      const started = performance.now();
      result = await precheck.precheckVcf(file);
      times.push(performance.now() - started);
    }
    return { times, result: result.ok ? 'ok: ' + result.samples + ' samples, ' + result.recordsRead + ' records read, build ' + result.judgement.build : result.code };
  })()`)) as { times: number[]; result: string };
  const [first, ...rest] = runs.times;
  const median = rest.sort((a, b) => a - b)[Math.floor(rest.length / 2)]!;
  console.log(
    `  ${what.padEnd(46)} ${median.toFixed(0).padStart(5)} ms (first ${first!.toFixed(0)} ms)  ${runs.result}`,
  );
}
await browser.close();
