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

describe.skipIf(!hasChromium)('one request run at several places', () => {
  let stack: LocalProcess;
  let browser: Browser;
  let consoleUrl: string;
  const started = Date.now();

  beforeAll(async () => {
    ({ stack, browser, consoleUrl } = await startConsoleStack({ WORKFLOW_TIME_SCALE: '60' }));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    console.log(`parent jobs: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

  it('creates a parent from New job, follows both jobs to the end and links parent and children', async () => {
    await storeServiceTokens(stack, 'alice', ['michigan', 'h3africa']);
    const { context, page, problems } = await signIn(browser, consoleUrl, 'alice');

    await nav(page, 'New job');
    await page.locator('input[type=file]').setInputFiles({
      name: 'places.chr20.vcf.gz',
      mimeType: 'application/gzip',
      buffer: makeVcfGz({ samples: 40, records: 500 }),
    });
    const row = page.locator('li.upload').filter({ hasText: 'places.chr20.vcf.gz' });
    await expect.poll(() => row.getAttribute('data-upload-phase'), { timeout: 30_000 }).toBe('done');
    await page.getByLabel('Job name').fill('two places');
    await page.getByLabel('Service').selectOption('michigan');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Population', { exact: true }).selectOption('afr');
    await page.getByRole('button', { name: 'Also run at another place' }).click({ timeout: 20_000 });
    await page.getByLabel('Service and panel (place 2)').selectOption('h3africa|apps@h3africa-v6hc-s@1.0.0');
    await page.getByLabel('Population (place 2)').selectOption('afr');
    await page.getByRole('button', { name: 'Start imputation' }).click();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    const parentUrl = page.url();

    // The parent's page: both jobs, each with its chip and link; it follows them to the end by itself.
    const children = page.getByRole('list', { name: 'Jobs of this request' }).getByRole('listitem');
    await expect.poll(() => children.count(), { timeout: 20_000 }).toBe(2);
    expect(await children.locator('.chip').count()).toBe(2);
    expect(await children.nth(0).innerText()).toMatch(/two places \(1\/2\).*Michigan/s);
    expect(await children.nth(1).innerText()).toMatch(/two places \(2\/2\).*H3Africa/s);
    await expect
      .poll(() => page.locator('.status-line .chip').textContent(), { timeout: 120_000 })
      .toBe('All succeeded');
    expect(await children.locator('.chip').allTextContents()).toEqual(['Succeeded', 'Succeeded']);
    expect(await page.locator('.status-line').innerText()).toContain('2 jobs: 2 succeeded');
    await expectAccessible(page, "a parent job's page");
    await screenshot(page, 'job-parent');

    // 390 px wide.
    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalOverflow(page, "a parent job's page");
    await expectAccessible(page, "a parent job's page, 390 px");
    await page.setViewportSize({ width: 1280, height: 800 });

    // A job's page links back to its parent.
    await children.nth(1).getByRole('link').click();
    await page.getByRole('note').getByRole('link', { name: 'see all of them' }).click({ timeout: 20_000 });
    await page.waitForURL(parentUrl);
    await page.getByRole('list', { name: 'Jobs of this request' }).waitFor();

    // The jobs list: the parent with its summary and its two jobs (not listed on their own).
    await nav(page, 'Jobs');
    const parentRow = page.locator('.jobs-table tbody tr.parent-row').filter({ hasText: 'two places' });
    await parentRow.waitFor({ timeout: 20_000 });
    expect(await page.locator('.jobs-table tbody > tr').count()).toBe(1);
    expect(await parentRow.innerText()).toContain('2 jobs: 2 succeeded');
    expect(await parentRow.locator('td[data-label="Status"] .chip').textContent()).toBe('All succeeded');
    const childLinks = parentRow.getByRole('list', { name: 'Jobs of two places' }).getByRole('link');
    expect(await childLinks.count()).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  });
});
