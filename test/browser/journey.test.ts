/**
 * A researcher's whole journey through the console of the running local stack (`npm start`'s program on
 * free ports): alice signs in at the local IdP, stores a service token, uploads a large file whose upload
 * is interrupted and, after a reload, resumed by picking the file again (only the missing part is sent),
 * uploads a real VCF, creates a job and watches it succeed without reloading, downloads a result and
 * checks its sha256 against the page's, reveals the password, cancels a second job and signs out; then
 * bob sees none of it, and alice's job URL reads "not found". Then carol's jobs in every state (made over
 * the API, seeded-jobs.ts): a failed one explains itself and starts again prefilled, waiting and queued
 * ones say why in their header, a canceled one is resubmitted and both link to each other, and every page
 * fits a 390 px window and passes axe. New job checks each
 * picked file before uploading it (file-checks.ts). axe-core on every page; screenshots into
 * docs/console/. (Over 300 lines: the tests share one local stack, whose start is most of a browser
 * test's time.)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalProcess } from '#test/e2e/local-process';
import { makeVcfGz, storedBgzf, vcfText } from '#test/support/vcf-fixtures';
import {
  expectAccessible,
  expectNoHorizontalOverflow,
  hasChromium,
  root,
  screenshot,
  signIn,
  startConsoleStack,
} from './browser';
import { checkPickedFiles } from './file-checks';
import { apiAs, type SeededJobs, seedJobs } from './seeded-jobs';

const MiB = 1024 * 1024;
// The local stack serves the console and the IdP once infra/local/console-server.ts is there (wt-idp).
const stackServesConsole = existsSync(join(root, 'infra/local/console-server.ts'));
if (hasChromium && !stackServesConsole) {
  console.warn('Console journey skipped: this checkout has no infra/local/console-server.ts yet.');
}

describe.skipIf(!hasChromium || !stackServesConsole)('the console journey', () => {
  let stack: LocalProcess;
  let browser: Browser;
  let consoleUrl: string;
  let simulator: string;
  const started = Date.now();

  beforeAll(async () => {
    ({ stack, browser, consoleUrl } = await startConsoleStack({
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * MiB),
      UPLOAD_PART_SIZE_BYTES: String(5 * MiB),
      WORKFLOW_TIME_SCALE: '60',
    }));
    simulator = stack.endpoints().simulator;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    console.log(`console journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const signInAs = (username: string) => signIn(browser, consoleUrl, username);

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

  let aliceJobUrl = '';

  it('alice stores a token, uploads with a resume, runs a job to success, downloads and cancels', async () => {
    const { context, page, problems } = await signInAs('alice');
    await expect.poll(() => page.getByText('You have no jobs yet.').count()).toBe(1);
    await expectAccessible(page, 'the empty jobs list');
    await screenshot(page, 'jobs-empty');

    // A service token, as `npm run service-token` gets one.
    const created = await fetch(`${simulator}/__admin/users`, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice' }),
    });
    const serviceToken = ((await created.json()) as { token: string }).token;
    await nav(page, 'Services & tokens');
    const card = page
      .locator('article.card')
      .filter({ hasText: /michigan/i })
      .first();
    await card.getByLabel('API token').fill(serviceToken);
    await card.getByRole('button', { name: 'Store token' }).click();
    await expect.poll(() => card.getByText(/Token stored for/).count(), { timeout: 20_000 }).toBe(1);
    expect(await card.getByLabel(/API token/).inputValue()).toBe('');
    await expectAccessible(page, 'Services & tokens');
    await screenshot(page, 'services');

    // A file of several parts whose part 2 keeps failing until the upload is interrupted; then resumed.
    await nav(page, 'New job');
    let blocking = true;
    const puts: string[] = [];
    await context.route('**/*', async (route) => {
      const request = route.request();
      if (request.method() !== 'PUT') return route.fallback();
      const url = new URL(request.url());
      const part = url.searchParams.get('partNumber');
      const big = part !== null || (request.postDataBuffer()?.length ?? 0) > MiB;
      if (big) puts.push(part ?? 'single');
      if (blocking && big && (part === '2' || part === null)) return route.abort('connectionreset');
      return route.fallback();
    });
    // A file on disk, as a researcher picks one: picked again after the reload, it has the same name,
    // size and modification time (the fingerprint the console resumes by).
    const bigFile = join(mkdtempSync(join(tmpdir(), 'journey-')), 'big.chr21.vcf.gz');
    // A real VCF (the console checks a picked file before uploading it), stored uncompressed in BGZF.
    writeFileSync(bigFile, storedBgzf(vcfText({ samples: 100, records: 30_000, chromosome: '21' })));
    expect(statSync(bigFile).size).toBeGreaterThan(10 * MiB);
    await page.locator('input[type=file]').setInputFiles(bigFile);
    const bigRow = page.locator('li.upload').filter({ hasText: 'big.chr21.vcf.gz' });
    await expect
      .poll(() => bigRow.getAttribute('data-upload-phase'), { timeout: 60_000 })
      .toBe('interrupted');
    await screenshot(page, 'new-job-interrupted-upload');
    blocking = false;
    const before = puts.length;
    // The tab is reloaded: the upload is listed as unfinished, and picking the file again resumes it.
    await page.reload();
    const unfinished = page.getByRole('list', { name: 'Unfinished uploads' }).locator('li');
    await expect.poll(() => unfinished.filter({ hasText: 'big.chr21.vcf.gz' }).count()).toBe(1);
    await expectAccessible(page, 'New job with an unfinished upload');
    await screenshot(page, 'new-job-unfinished-upload');
    await page.locator('input[type=file]').setInputFiles(bigFile);
    await expect.poll(() => bigRow.getAttribute('data-upload-phase'), { timeout: 60_000 }).toBe('done');
    expect(puts.slice(before), 'only the missing part is sent again').toEqual(['2']);
    expect(await bigRow.getByText(/resumed at/).count()).toBe(1);
    await expect.poll(() => page.getByText('Unfinished uploads').count()).toBe(0);
    await bigRow.getByRole('button', { name: /Remove/ }).click();

    await page.locator('input[type=file]').setInputFiles({
      name: 'journey.chr20.vcf.gz',
      mimeType: 'application/gzip',
      buffer: makeVcfGz({ samples: 40, records: 500 }),
    });
    const row = page.locator('li.upload').filter({ hasText: 'journey.chr20.vcf.gz' });
    await expect.poll(() => row.getAttribute('data-upload-phase'), { timeout: 30_000 }).toBe('done');
    await page.getByLabel('Job name').fill('journey job');
    await page.getByLabel('Service').selectOption('michigan');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);
    // The population is asked for, never preselected.
    expect(await page.getByLabel('Population').inputValue()).toBe('');
    await page.getByLabel('Population').selectOption('afr');
    await expectAccessible(page, 'New job');
    await screenshot(page, 'new-job');
    await page.getByRole('button', { name: 'Start imputation' }).dblclick();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    aliceJobUrl = page.url();

    // Succeeds without a reload: the page refreshes itself from nextCheckAt.
    await expect
      .poll(() => page.locator('.status-line .chip').textContent(), { timeout: 120_000 })
      .toBe('Succeeded');
    await expect
      .poll(() => page.getByRole('heading', { name: 'Results' }).count(), { timeout: 20_000 })
      .toBe(1);
    await expectAccessible(page, 'the finished job');
    const firstRow = page.locator('.results-table tbody tr').first();
    const pageSha = (await firstRow.locator('code.hash').textContent())?.trim();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      firstRow.getByRole('link', { name: /Download/ }).click(),
    ]);
    const bytes = readFileSync((await download.path())!);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pageSha);
    await page.getByRole('button', { name: 'Reveal password' }).click();
    await expect
      .poll(async () => ((await page.locator('code.secret').textContent()) ?? '').length, { timeout: 10_000 })
      .toBeGreaterThan(5);
    await screenshot(page, 'job-succeeded', { fullPage: true });

    // One job: the double click above created exactly one.
    await nav(page, 'Jobs');
    await expect.poll(() => page.locator('.jobs-table tbody tr').count()).toBe(1);
    await expectAccessible(page, 'the jobs list');
    await screenshot(page, 'jobs');

    // A second job, from the earlier upload, held at the service and canceled.
    await fetch(`${simulator}/__admin/settings`, {
      method: 'PATCH',
      body: JSON.stringify({ scenario: 'manual' }),
    });
    await nav(page, 'New job');
    await page.getByText(/Use files you uploaded before/).click();
    await page.getByRole('checkbox', { name: /journey\.chr20\.vcf\.gz/ }).check();
    await page.getByLabel('Job name').fill('job to cancel');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Population').selectOption('eur');
    await page.getByRole('button', { name: 'Start imputation' }).click();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await expectAccessible(page, 'the cancel dialog');
    await screenshot(page, 'cancel-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel job' }).click();
    await expect
      .poll(() => page.locator('.status-line .chip').textContent(), { timeout: 60_000 })
      .toMatch(/Canceled|Cancelling/);

    await page.setViewportSize({ width: 390, height: 844 });
    await nav(page, 'Jobs');
    await expect.poll(() => page.locator('.jobs-table tbody tr').count()).toBe(2);
    await expectAccessible(page, 'the jobs list, narrow');
    await screenshot(page, 'jobs-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Sign out' }).click();
    const confirm = page.getByRole('button', { name: /sign out|yes/i });
    if (await confirm.count().catch(() => 0)) await confirm.first().click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Sign in' }).count(), { timeout: 20_000 })
      .toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('checks each picked file before uploading it: broken ones say why and are never sent, a contradicted build and a file picked twice are said, the server’s check follows', async () => {
    const timings = await checkPickedFiles(browser, stack, consoleUrl);
    console.log(`New job, pick → what is wrong:\n  ${timings.join('\n  ')}`);
  });

  it('bob sees none of alice’s jobs, uploads or tokens, and her job is "not found"', async () => {
    const { context, page, problems } = await signInAs('bob');
    await expect.poll(() => page.getByText('You have no jobs yet.').count()).toBe(1);
    await nav(page, 'Services & tokens');
    await expect.poll(() => page.locator('article.card').count()).toBeGreaterThan(0);
    expect(await page.locator('.chip.token-missing').count()).toBe(
      await page.locator('article.card').count(),
    );
    await nav(page, 'New job');
    await expect.poll(() => page.getByLabel('Job name').count()).toBe(1);
    expect(await page.getByText(/Use files you uploaded before/).count()).toBe(0);
    await page.goto(aliceJobUrl);
    await expect
      .poll(() => page.getByRole('heading', { name: 'Job not found' }).count(), { timeout: 20_000 })
      .toBe(1);
    await expectAccessible(page, 'a job of someone else');
    await screenshot(page, 'job-not-found');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says in words when the API fails, keeps the page, and recovers on "Try again"', async () => {
    const { context, page, problems } = await signInAs('carol');
    let answered = 0;
    await page.route(`${stack.api}/jobs*`, (route) => {
      answered++;
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        headers: { 'Access-Control-Allow-Origin': consoleUrl, 'Retry-After': '5' },
        body: JSON.stringify({
          error: { code: 'TEMPORARILY_UNAVAILABLE', message: 'The service is busy; retry shortly' },
        }),
      });
    });
    await page.reload();
    await expect.poll(() => page.getByText('The gateway is busy.').count(), { timeout: 30_000 }).toBe(1);
    const text = await page.locator('main').innerText();
    expect(text).not.toContain('{');
    expect(text).not.toContain('TEMPORARILY_UNAVAILABLE');
    // A bounded number of automatic retries, then the page waits for the user.
    const settled = answered;
    expect(settled).toBeLessThanOrEqual(3);
    await page.waitForTimeout(3000);
    expect(answered).toBe(settled);
    await expectAccessible(page, 'the jobs list when the API fails');
    await screenshot(page, 'jobs-api-unavailable');
    await page.unroute(`${stack.api}/jobs*`);
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => page.getByText('You have no jobs yet.').count(), { timeout: 20_000 }).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });
  let carols: SeededJobs;

  it('a failed job explains, then lists our findings, and starts again prefilled; waiting and queued jobs say why', async () => {
    carols = await seedJobs(stack, 'carol');
    const { context, page, problems } = await signInAs('carol');

    await page.goto(`${consoleUrl}/jobs/${carols.failed}`);
    const explanation = page
      .getByRole('alert')
      .filter({ hasText: 'This job failed our checks of its input files.' });
    await explanation.waitFor();
    expect(await explanation.innerText()).toMatch(/Each file's problem and its fix are listed below/);
    const findings = page.locator('ul.findings li');
    expect(await findings.allInnerTexts()).toEqual([
      expect.stringMatching(/^unsorted\.chr21\.vcf\.gz: line \d+/),
    ]);
    expect(await page.locator('main').innerText()).not.toContain('No messages yet');
    // The explanation comes before the findings it refers to.
    const [explained, listed] = await Promise.all([
      explanation.boundingBox(),
      findings.first().boundingBox(),
    ]);
    expect(explained!.y).toBeLessThan(listed!.y);
    await screenshot(page, 'job-failed', { fullPage: true });

    await explanation.getByRole('link', { name: 'Start again with these settings' }).click();
    await page.waitForURL(`${consoleUrl}/jobs/new?from=${carols.failed}`);
    await expect.poll(() => page.getByLabel('Population').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByLabel('Job name').inputValue()).toBe('chr20 and an unsorted chr21');
    expect(await page.getByLabel('Service').inputValue()).toBe('michigan');
    expect(await page.getByLabel('Population').inputValue()).toBe('afr');
    expect(await page.getByLabel('r² filter').inputValue()).toBe('0.3');
    const filled = await page.locator('.notice.info').innerText();
    expect(filled).toContain(`Files used again: ${carols.validFile}.`);
    expect(filled).toContain(`found a problem in it: ${carols.invalidFile}`);
    await expectAccessible(page, 'New job started again from a failed job');
    await screenshot(page, 'new-job-start-again');
    await page.getByRole('button', { name: 'Start imputation' }).click();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    const settings = await page.locator('.job-facts').innerText();
    expect(settings).toMatch(/Population\s+AFR/);
    expect(settings).toMatch(/r² filter\s+0\.3/);
    expect(settings).toContain(`Inputs\n${carols.validFile}`);

    await page.goto(`${consoleUrl}/jobs/${carols.waiting}`);
    await expect
      .poll(() => page.locator('.status-line').innerText())
      .toMatch(/^Waiting for a slot\s+\d of your jobs are running at Michigan .*\(at most 2 at a time\)/s);
    await screenshot(page, 'job-waiting');
    await page.goto(`${consoleUrl}/jobs/${carols.queued}`);
    await expect
      .poll(() => page.locator('.status-line').innerText())
      .toMatch(/Position \d+ in the queue at Michigan Imputation Server \(as of /);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('every page fits a 390 px window and passes axe, dialogs and the download script included', async () => {
    const { context, page, problems } = await signIn(browser, consoleUrl, 'carol', {
      width: 390,
      height: 844,
    });
    const visit = async (path: string, what: string, ready: () => Promise<unknown>) => {
      await page.goto(`${consoleUrl}${path}`);
      await ready();
      await expectNoHorizontalOverflow(page, what);
      await expectAccessible(page, `${what}, 390 px`);
    };
    const heading = (name: string | RegExp) => () =>
      page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 20_000 });
    await visit('/jobs', 'the jobs list', () => page.locator('.jobs-table tbody tr').first().waitFor());
    await visit('/jobs/new', 'New job', () =>
      page.getByLabel('Reference panel').waitFor({ timeout: 20_000 }),
    );
    await screenshot(page, 'new-job-narrow', { fullPage: true });
    await visit(`/jobs/new?from=${carols.succeeded}`, 'New job started again', () =>
      page.locator('.notice.info').waitFor({ timeout: 20_000 }),
    );
    await visit(`/jobs/${carols.succeeded}`, 'a finished job', () =>
      page.getByText('Download everything').waitFor(),
    );
    await page.getByText('Download everything with a script').click();
    await expectNoHorizontalOverflow(page, 'a finished job with its download script');
    await expectAccessible(page, 'a finished job with its download script');
    // The script's long lines scroll with the keyboard.
    const script = page.getByRole('region', { name: 'Download script' });
    await script.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => script.evaluate((box) => box.scrollLeft)).toBeGreaterThan(0);
    const jobPages = [
      [carols.failed, 'a job that failed our checks'],
      [carols.waiting, 'a waiting job'],
      [carols.queued, 'a queued job'],
    ] as const;
    for (const [id, what] of jobPages) {
      await visit(`/jobs/${id}`, what, () => page.locator('.status-line').waitFor());
    }
    await visit('/services', 'Services & tokens', () =>
      page.getByRole('button', { name: 'Delete token' }).first().waitFor(),
    );
    // One dialog per service, each named by its own title.
    const dialogs = page.locator('dialog');
    const titles = await dialogs.evaluateAll((all) =>
      all.map((dialog) => dialog.getAttribute('aria-labelledby')),
    );
    expect(new Set(titles).size).toBe(titles.length);
    await page.getByRole('button', { name: 'Delete token' }).nth(1).click();
    await expect
      .poll(() => page.getByRole('dialog', { name: 'Delete your TOPMed Imputation Server token?' }).count())
      .toBe(1);
    await expectAccessible(page, 'Services & tokens with a delete dialog open');
    await page.keyboard.press('Escape');
    // A mistyped address: the API refuses the id; the page says "Job not found", not the API's words.
    await visit('/jobs/NOT-A-JOB-ID', 'a mistyped job address', heading('Job not found'));
    expect(await page.locator('main').innerText()).not.toMatch(/jobId|not a job id/);
    await visit('/no-such-page', 'an unknown page', heading('Page not found'));

    // A canceled job is resubmitted from its page: the dialog names where it can run (here only its own
    // service: no other service of carol's offers an equivalent panel, and the one without a token is
    // named), then the new job's page links back, and the old one says it was resubmitted.
    await apiAs(stack, 'carol')('POST', `/jobs/${carols.waiting}/cancel`);
    await visit(`/jobs/${carols.waiting}`, 'a canceled job', () =>
      page.getByRole('button', { name: 'Resubmit' }).waitFor({ timeout: 20_000 }),
    );
    await page.getByRole('button', { name: 'Resubmit' }).click();
    const resubmit = page.getByRole('dialog', { name: 'Resubmit this job?' });
    await resubmit.getByText('Not listed:').waitFor({ timeout: 20_000 });
    expect(await resubmit.getByRole('radio', { name: /The same service: Michigan/ }).isChecked()).toBe(true);
    expect(await resubmit.innerText()).toContain(
      'H3Africa / AfriGen-D Imputation Service (you have no API token stored there)',
    );
    await expectNoHorizontalOverflow(page, 'the resubmit dialog');
    await expectAccessible(page, 'a canceled job with its resubmit dialog open, 390 px');
    await screenshot(page, 'job-resubmit-narrow');
    await resubmit.getByRole('button', { name: 'Resubmit' }).click();
    await page.waitForURL(
      (url) => /\/jobs\/[0-9A-Z]{26}$/.test(url.pathname) && !url.pathname.endsWith(carols.waiting),
    );
    await expect
      .poll(() => page.locator('.job-facts').innerText(), { timeout: 20_000 })
      .toMatch(/Resubmits\s+chr20 waiting for a slot \(canceled, at Michigan Imputation Server\)/);
    await page
      .locator('.job-facts')
      .getByRole('link', { name: /chr20 waiting for a slot/ })
      .click();
    await expect
      .poll(() => page.getByRole('note').innerText(), { timeout: 20_000 })
      .toMatch(/This job was resubmitted:\s+chr20 waiting for a slot \(/);
    await expectNoHorizontalOverflow(page, 'a resubmitted job');
    await expectAccessible(page, 'a resubmitted job, 390 px');

    // New job by panel: when another service of the researcher's offers the chosen panel (GET /panels,
    // stubbed here with a second offer: the local services share no panel), the job can go to any of
    // them; the gateway picks (only Michigan really offers it) and the job says why.
    const panels = await apiAs(stack, 'carol')('GET', '/panels');
    const thousandGenomes = panels.panels.find(
      (p: { panelKey: string }) => p.panelKey === '1000g-phase-3-v5',
    );
    const second = { ...thousandGenomes.services[0], serviceId: 'second', serviceName: 'A second service' };
    await page.route(`${stack.api}/panels`, (route) =>
      route.fulfill({
        json: {
          ...panels,
          panels: [{ ...thousandGenomes, services: [...thousandGenomes.services, second] }],
        },
      }),
    );
    await visit('/jobs/new', 'New job with a panel other services offer', () =>
      page.getByLabel('Run it at any service offering this panel').waitFor({ timeout: 20_000 }),
    );
    await page.getByLabel('Job name').fill('by panel');
    await page.getByText(/Use files you uploaded before/).click();
    await page.getByLabel(new RegExp(carols.validFile)).first().check();
    await page.getByLabel('Population').selectOption('eur');
    await page.getByLabel('Run it at any service offering this panel').check();
    expect(await page.locator('.new-job dl.facts').innerText()).toMatch(
      /Service\s+Any of Michigan Imputation Server, A second service: the gateway picks/,
    );
    await expectAccessible(page, 'New job by panel, 390 px');
    await page.getByLabel('Run it at any service offering this panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'new-job-by-panel-narrow');
    await page.getByRole('button', { name: 'Start imputation' }).click();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    await expect
      .poll(() => page.locator('.job-facts').innerText(), { timeout: 20_000 })
      .toMatch(/Service chosen by the gateway\s+Michigan Imputation Server offers "1000G Phase 3/);
    await page.unroute(`${stack.api}/panels`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
