import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalProcess } from '#test/e2e/local-process';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import {
  expectAccessible,
  expectNoHorizontalOverflow,
  hasChromium,
  screenshot,
  signIn,
  startConsoleStack,
} from './browser';
import { storeServiceTokens } from './seeded-jobs';

describe.skipIf(!hasChromium)('a per-user limit reached', () => {
  let stack: LocalProcess;
  let browser: Browser;
  let consoleUrl: string;

  beforeAll(async () => {
    ({ stack, browser, consoleUrl } = await startConsoleStack({
      MAX_ACTIVE_JOBS_PER_USER: '1',
      SIMULATOR_QUEUE_MS: '3600000',
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const newJob = async (page: Page, name: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).click();
    await page.getByRole('heading', { name: 'New job' }).waitFor();
    await page.locator('input[type=file]').setInputFiles({
      name: `${name}.chr20.vcf.gz`,
      mimeType: 'application/gzip',
      buffer: makeVcfGz({ samples: 40, records: 500 }),
    });
    const row = page.locator('li.upload').filter({ hasText: `${name}.chr20.vcf.gz` });
    // Settled either way; then done, or the failure names what the row and the page said.
    let phase: string | null = null;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      phase = await row.getAttribute('data-upload-phase', { timeout: 1_000 }).catch(() => null);
      if (phase === 'done' || phase === 'failed' || phase === 'canceled') break;
      await page.waitForTimeout(100);
    }
    if (phase !== 'done') {
      const said = await page
        .locator('main')
        .innerText({ timeout: 1_000 })
        .catch(() => 'no main');
      expect.fail(`the upload of ${name} ended ${phase ?? 'without a row'}; the page said:\n${said}`);
    }
    await page.getByLabel('Job name').fill(name);
    await page.getByLabel('Service').selectOption('michigan');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Population', { exact: true }).selectOption('afr');
    await page.getByRole('button', { name: 'Start imputation' }).click();
  };

  it('says which limit refused the job, what frees it and when to try again', async () => {
    await storeServiceTokens(stack, 'alice', ['michigan']);
    const { context, page, problems } = await signIn(browser, consoleUrl, 'alice');
    await newJob(page, 'first');
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);

    await newJob(page, 'second');
    const alert = page.getByRole('alert').filter({ hasText: 'the limit of 1 per user' });
    await alert.waitFor({ timeout: 20_000 });
    const text = await alert.innerText();
    expect(text).toContain('You have 1 active job');
    expect(text).toMatch(/one frees when one of your jobs ends/);
    expect(text).toMatch(/Try again (in a minute|after .+)\./);
    // Nothing was created: still one job.
    expect(page.url()).not.toMatch(/\/jobs\/[0-9A-Z]{26}$/);
    await expectAccessible(page, 'New job refused at a limit');
    await alert.scrollIntoViewIfNeeded();
    await screenshot(page, 'limit-reached');

    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalOverflow(page, 'New job refused at a limit');
    await expectAccessible(page, 'New job refused at a limit, 390 px');
    expect(problems).toEqual([]);
    await context.close();
  });
});
