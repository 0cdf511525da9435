/**
 * New job checks each picked file before it is uploaded, driven in Chromium against the journey's local
 * stack: each broken input, from pick to the message on its row, with no announcement to the API and no
 * PUT; a build the file's evidence contradicts, said next to the build and cleared by choosing the right
 * one; the same file picked twice; a file the server finds invalid only past what the console reads; the
 * earlier uploads with their outcomes, each file once; a job the API refuses for its files (422). Every
 * expected message is the server's own verdict on the same bytes (shared/vcf/ through validateVcf), as
 * the row shows it: backticks become code.
 */
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { VcfRules } from '#shared/vcf/vcf-problems';
import { validateVcf } from '#shared/vcf/vcf-validator';
import type { LocalProcess } from '#test/e2e/local-process';
import {
  bgzip,
  makeVcfGz,
  storedBgzf,
  truncateBgzf,
  type VcfSpec,
  vcfText,
} from '#test/support/vcf-fixtures';
import { expectAccessible, expectNoHorizontalOverflow, screenshot, signIn } from './browser';
import { storeServiceTokens } from './seeded-jobs';

const GRCH38_CHR20 = 64_444_167;

/** What the server's check says of these bytes (with a job's rules: the build advice), as a row reads it. */
async function serverSays(file: Buffer, rules?: VcfRules, withLine = true): Promise<string> {
  const verdict = await validateVcf(Readable.from([file]), { rules });
  if (verdict.status !== 'invalid') throw new Error(`the server finds the fixture ${verdict.status}`);
  const { line, message } = verdict.problem;
  return (withLine && line !== undefined ? `line ${line}: ${message}` : message).replaceAll('`', '');
}

/** A sparse file on disk of `size` bytes: a real head and tail, nothing read in between. */
function sparseFile(path: string, size: number, head: Buffer, tail: Buffer): void {
  const fd = openSync(path, 'w');
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, tail, 0, tail.length, size - tail.length);
  ftruncateSync(fd, size);
  closeSync(fd);
}

/** The row of the file named `name` (exactly: "cut.…" is not "big-cut.…"). */
const row = (page: Page, name: string) =>
  page.locator('li.upload').filter({ has: page.locator('.file-name').getByText(name, { exact: true }) });

async function pickAndTime(page: Page, file: string | { name: string; buffer: Buffer }, name: string) {
  const started = Date.now();
  await page
    .locator('input[type=file]')
    .setInputFiles(typeof file === 'string' ? file : { ...file, mimeType: 'application/gzip' });
  await row(page, name).locator('[data-file-check=refused], .file-problem').first().waitFor();
  return Date.now() - started;
}

export async function checkPickedFiles(
  browser: Browser,
  stack: LocalProcess,
  consoleUrl: string,
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'file-checks-'));
  await storeServiceTokens(stack, 'dave', ['michigan']);
  const { context, page, problems } = await signIn(browser, consoleUrl, 'dave');
  const sent: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() === 'PUT' || (request.method() === 'POST' && url.pathname.endsWith('/uploads'))) {
      sent.push(`${request.method()} ${url.pathname}`);
    }
  });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).click();
  await page.getByLabel('Build of your input data').waitFor({ timeout: 20_000 });
  const timings: string[] = [];

  // Each broken input: its message on its row, word for word the server's, and nothing sent. The
  // plain-text VCF (~5 MB) is picked from disk, as in the timing of the flow before these checks.
  const plainText = join(dir, 'plain.chr20.vcf.gz');
  writeFileSync(plainText, vcfText({ samples: 50, records: 21_000 }));
  const broken: { name: string; bytes: Buffer; path?: string }[] = [
    { name: 'plain.chr20.vcf.gz', bytes: readFileSync(plainText), path: plainText },
    { name: 'gzip.chr20.vcf.gz', bytes: makeVcfGz({ samples: 30, records: 100, gzipOnly: true }) },
    { name: 'cut.chr20.vcf.gz', bytes: truncateBgzf(makeVcfGz({ samples: 30, records: 4000 }), 'no-eof') },
    {
      name: 'archive.chr20.vcf.gz',
      bytes: Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(200)]),
    },
    { name: 'table.chr20.vcf.gz', bytes: bgzip('sample,rs1,rs2\nS1,AA,AG\n') },
  ];
  for (const input of broken) {
    const expected = await serverSays(input.bytes);
    const ms = await pickAndTime(page, input.path ?? { name: input.name, buffer: input.bytes }, input.name);
    const shown = row(page, input.name);
    expect(await shown.getAttribute('data-file-check')).toBe('refused');
    expect((await shown.locator('.file-problem').innerText()).trim()).toBe(expected);
    expect(await shown.locator('progress').count(), 'no progress bar: nothing is uploaded').toBe(0);
    timings.push(`${input.name} (${input.bytes.length} bytes): ${ms} ms from pick to its message`);
  }
  expect(await row(page, 'plain.chr20.vcf.gz').locator('.file-problem code').first().innerText()).toBe(
    'mv file.vcf.gz file.vcf && bgzip file.vcf',
  );
  // A 1 GiB file cut short: said from its tail, in the time a small one takes.
  const big = join(dir, 'big-cut.chr20.vcf.gz');
  const whole = storedBgzf(vcfText({ samples: 30, records: 12_000 }));
  // More head and tail than the console reads (1 MiB, 256 KiB); zeros between, never read.
  const cut = truncateBgzf(whole, 'no-eof');
  sparseFile(big, 1024 ** 3, whole.subarray(0, 2 * 1024 ** 2), cut.subarray(-300_000));
  const bigMs = await pickAndTime(page, big, 'big-cut.chr20.vcf.gz');
  expect((await row(page, 'big-cut.chr20.vcf.gz').locator('.file-problem').innerText()).trim()).toBe(
    `the file ends at byte ${1024 ** 3} without the BGZF end-of-file block that bgzip writes last: the file itself is cut short at a block boundary, as it is on disk, or its writer did not finish. bgzip -t file.vcf.gz shows it; re-create the file from its source (bcftools view -Oz or bgzip), then upload the new file.`,
  );
  timings.push(`big-cut.chr20.vcf.gz (1 GiB): ${bigMs} ms from pick to its message`);
  expect(sent, 'no broken file is announced or uploaded').toEqual([]);
  expect(await page.getByRole('button', { name: 'Start imputation' }).isDisabled()).toBe(true);
  await expectAccessible(page, 'New job with files that cannot be used');
  await screenshot(page, 'new-job-file-checks', { fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoHorizontalOverflow(page, 'New job with files that cannot be used, 390 px');
  await expectAccessible(page, 'New job with files that cannot be used, 390 px');
  await screenshot(page, 'new-job-file-checks-narrow', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const input of [...broken, { name: 'big-cut.chr20.vcf.gz' }]) {
    await row(page, input.name)
      .getByRole('button', { name: /Remove/ })
      .click();
  }

  await checkBuilds(page);
  await checkLaterFindings(page);
  await checkRefusedJob(page);
  expect(problems).toEqual([]);
  await context.close();
  return timings;
}

const buildSelect = (page: Page) => page.getByLabel('Build of your input data');
const adviceText = (advice: Locator) => advice.locator('p').allInnerTexts();

/** A build the file's evidence contradicts: said next to the build and on the row; the right one clears it. */
async function checkBuilds(page: Page): Promise<void> {
  const base: VcfSpec = { samples: 30, records: 200 };
  const grch38 = makeVcfGz({ ...base, chromosome: 'chr20', contigLength: GRCH38_CHR20 });
  const unconfirmed = makeVcfGz({ ...base, chromosome: 'chr20', startPosition: 70_000 });
  const hg19: VcfRules = { build: 'hg19', sampleLimits: { min: 20, max: 50_000 } };
  await buildSelect(page).selectOption('hg19');
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'grch38.chr20.vcf.gz', mimeType: 'application/gzip', buffer: grch38 });
  const first = row(page, 'grch38.chr20.vcf.gz');
  await expect.poll(() => first.getAttribute('data-upload-phase'), { timeout: 30_000 }).toBe('done');
  expect(await first.locator('.file-facts').first().innerText()).toBe(
    "30 samples · chromosome chr20 · looks like GRCh38/hg38 (its ##contig line gives chr20 64,444,167 bp, GRCh38's length (63,025,520 in GRCh37))",
  );
  const mismatch = await serverSays(grch38, hg19, false);
  const advice = page.locator('.build-advice');
  expect(await adviceText(advice)).toEqual([
    'The build of your input data does not fit your files.',
    `grch38.chr20.vcf.gz: ${mismatch}`,
  ]);
  expect((await first.locator('.file-problem').innerText()).trim()).toBe(mismatch);
  expect(await page.getByRole('button', { name: 'Start imputation' }).isDisabled()).toBe(true);
  await screenshot(page, 'new-job-build-advice', { fullPage: true });
  await buildSelect(page).selectOption('hg38');
  await expect.poll(() => advice.count()).toBe(0);
  expect(await first.locator('.file-problem').count()).toBe(0);

  // No evidence of the build, "chr" names, a GRCh37 job: the advice asks to find out first.
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'nobuild.chr20.vcf.gz', mimeType: 'application/gzip', buffer: unconfirmed });
  await expect
    .poll(() => row(page, 'nobuild.chr20.vcf.gz').getAttribute('data-upload-phase'), { timeout: 30_000 })
    .toBe('done');
  await buildSelect(page).selectOption('hg19');
  const unconfirmedAdvice = await serverSays(unconfirmed, hg19, false);
  expect(unconfirmedAdvice).toMatch(
    /^The file names its chromosome chr20, as the services expect of GRCh38\/hg38 data/,
  );
  expect(await adviceText(advice)).toEqual([
    'The build of your input data does not fit your files.',
    `grch38.chr20.vcf.gz: ${mismatch}`,
    `nobuild.chr20.vcf.gz: ${unconfirmedAdvice}`,
  ]);

  // The same file again, under another name: refused at pick time, naming the row it duplicates.
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'copy.chr20.vcf.gz', mimeType: 'application/gzip', buffer: grch38 });
  await expect
    .poll(() => page.locator('.notice.danger').filter({ hasText: 'copy.chr20.vcf.gz' }).innerText())
    .toBe(
      'copy.chr20.vcf.gz: this is the same file as grch38.chr20.vcf.gz, already in the list above; a job takes each file once.',
    );
  expect(await row(page, 'copy.chr20.vcf.gz').count()).toBe(0);
  await buildSelect(page).selectOption('hg38');
}

/**
 * A file whose head and tail are fine but which is unsorted in between: it uploads, then the server's
 * check of the whole file says why it cannot be used, on its row and in the earlier uploads; a file
 * uploaded twice is listed there once.
 */
async function checkLaterFindings(page: Page): Promise<void> {
  const unsorted = storedBgzf(
    vcfText({ samples: 30, records: 12_000, chromosome: 'chr20', fault: { kind: 'unsorted', at: 11_000 } }),
  );
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'late.chr20.vcf.gz', mimeType: 'application/gzip', buffer: unsorted });
  const late = row(page, 'late.chr20.vcf.gz');
  await expect.poll(() => late.getAttribute('data-file-check'), { timeout: 30_000 }).toBe('invalid');
  const expected = await serverSays(unsorted);
  expect(expected).toMatch(/^line 11005: position \d+ after \d+: the file is not sorted/);
  expect((await late.locator('.file-problem').innerText()).trim()).toBe(expected);
  expect(await late.locator('.upload-phase').innerText()).toBe('Cannot be used');
  await expect
    .poll(() => page.locator('.new-job ul.muted').innerText())
    .toContain('Remove the files that cannot be used: late.chr20.vcf.gz.');
  await expect
    .poll(() => row(page, 'grch38.chr20.vcf.gz').locator('.tone-ok').count(), { timeout: 30_000 })
    .toBe(1);
  expect(await row(page, 'grch38.chr20.vcf.gz').locator('.tone-ok').innerText()).toBe(
    'Whole file checked: 30 samples · chromosome chr20 · 200 variants · GRCh38/hg38',
  );

  // The same file uploaded again on a later visit: the earlier uploads list it once, with its outcome.
  await page.reload();
  await buildSelect(page).waitFor({ timeout: 20_000 });
  await page.locator('input[type=file]').setInputFiles({
    name: 'grch38.chr20.vcf.gz',
    mimeType: 'application/gzip',
    buffer: makeVcfGz({ samples: 30, records: 200, chromosome: 'chr20', contigLength: GRCH38_CHR20 }),
  });
  await expect
    .poll(() => row(page, 'grch38.chr20.vcf.gz').getAttribute('data-file-check'), { timeout: 30_000 })
    .toBe('valid');
  // Picked here, it is not offered again among the earlier uploads.
  await page.getByText(/Use files you uploaded before/).click();
  expect(await page.locator('.checklist li').filter({ hasText: 'late.chr20.vcf.gz' }).count()).toBe(1);
  expect(await page.locator('.checklist li').filter({ hasText: 'grch38.chr20.vcf.gz' }).count()).toBe(0);
  await page.reload();
  await page.getByText(/Use files you uploaded before/).click();
  const earlier = page.locator('.checklist li');
  await expect.poll(() => earlier.filter({ hasText: 'grch38.chr20.vcf.gz' }).count()).toBe(1);
  const lateEarlier = earlier.filter({ hasText: 'late.chr20.vcf.gz' });
  expect(await lateEarlier.locator('.file-problem').innerText()).toBe(`Cannot be used: ${expected}`);
  expect(await lateEarlier.getByRole('checkbox').isDisabled()).toBe(true);
  expect(await earlier.filter({ hasText: 'grch38.chr20.vcf.gz' }).locator('.file-facts').innerText()).toBe(
    'Whole file checked: 30 samples · chromosome chr20 · 200 variants · GRCh38/hg38',
  );
  await expectAccessible(page, 'New job with the earlier uploads and their checks');
}

/** What only a job's rules refuse (fewer samples than the service takes): the 422 read as its problems. */
async function checkRefusedJob(page: Page): Promise<void> {
  const few = makeVcfGz({ samples: 10, records: 200 });
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'few.chr20.vcf.gz', mimeType: 'application/gzip', buffer: few });
  await expect
    .poll(() => row(page, 'few.chr20.vcf.gz').getAttribute('data-file-check'), { timeout: 30_000 })
    .toBe('valid');
  await page.getByLabel('Job name').fill('too few samples');
  await page.getByLabel('Population').selectOption('eur');
  await page.getByRole('button', { name: 'Start imputation' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'Some files cannot be used for this job.' });
  await refusal.waitFor({ timeout: 20_000 });
  const hg19: VcfRules = { build: 'hg19', sampleLimits: { min: 20, max: 50_000 } };
  expect(await refusal.locator('ul.findings li').allInnerTexts()).toEqual([
    `few.chr20.vcf.gz: ${await serverSays(few, hg19)}`,
  ]);
  expect(await page.locator('main').innerText()).not.toMatch(/[{}]|INPUT_INVALID/);
  await expectAccessible(page, 'New job refused for its files');
  await refusal.scrollIntoViewIfNeeded();
  await screenshot(page, 'new-job-refused');
}
