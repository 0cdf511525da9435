import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalProcess } from '#test/e2e/local-process';
import { createJobBody } from '#test/support/job-fixtures';
import { makeVcfGz } from '#test/support/vcf-fixtures';
import {
  expectAccessible,
  expectNoHorizontalOverflow,
  hasChromium,
  screenshot,
  signIn,
  startConsoleStack,
} from './browser';
import { apiAs, storeServiceTokens } from './seeded-jobs';

const SERVICE = 'Michigan Imputation Server';

describe.skipIf(!hasChromium)('an outage of a service, ridden out', () => {
  let stack: LocalProcess;
  let browser: Browser;
  let consoleUrl: string;
  let michigan: string;
  const started = Date.now();

  beforeAll(async () => {
    ({ stack, browser, consoleUrl } = await startConsoleStack({ WORKFLOW_TIME_SCALE: '60' }));
    michigan = stack.endpoints().simulators.michigan;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    console.log(`outage journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${michigan}/__admin${path}`, { method, body: JSON.stringify(body ?? {}) });
    expect(response.status, `${method} /__admin${path}`).toBe(200);
    return response.json();
  };
  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  const chip = (page: Page) => page.locator('.status-line .chip').textContent();

  it('says Michigan is down, keeps the running job, holds the new one, and sends it once Michigan is back', async () => {
    const call = apiAs(stack, 'alice');
    await storeServiceTokens(stack, 'alice', ['michigan']);
    const file = 'outage.chr20.vcf.gz';
    const bytes = makeVcfGz({ samples: 40, records: 500 });
    const announced = await call('POST', '/uploads', { fileName: file, size: bytes.length });
    await fetch(announced.uploadUrl, { method: 'PUT', body: bytes, headers: announced.headers });
    const uploadId = announced.upload.uploadId as string;
    await expect
      .poll(async () => (await call('GET', `/uploads/${uploadId}`)).check?.status, { timeout: 30_000 })
      .toBe('VALID');
    const jobOf = (jobId: string) => call('GET', `/jobs/${jobId}`);

    // The first job is held at the service (manual scenario), then set running there.
    await admin('PATCH', '/settings', { scenario: 'manual' });
    const running = (
      await call('POST', '/jobs', createJobBody({ name: 'running through an outage', uploadIds: [uploadId] }))
    ).jobId as string;
    await expect.poll(async () => (await jobOf(running)).status, { timeout: 60_000 }).toBe('QUEUED_REMOTE');
    await admin('POST', `/jobs/${(await jobOf(running)).externalJobId}/state`, { state: 2 });
    await expect.poll(async () => (await jobOf(running)).status, { timeout: 60_000 }).toBe('RUNNING');

    const { context, page, problems } = await signIn(browser, consoleUrl, 'alice');
    // New job once while Michigan is up: its options are then cached for the form during the outage.
    await nav(page, 'New job');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);

    // Michigan goes down behind its proxy: two probes in a row make it DOWN.
    await admin('PATCH', '/settings', { down: { mode: 'html-502' } });
    await expect
      .poll(async () => (await call('GET', '/services/michigan')).health?.status, { timeout: 30_000 })
      .toBe('DOWN');

    await nav(page, 'Services & tokens');
    const card = page.locator('article.card').filter({ hasText: SERVICE });
    await expect
      .poll(() => card.locator('.service-health .chip').textContent(), { timeout: 20_000 })
      .toBe('Down');
    const health = await card.locator('.service-health').innerText();
    expect(health).toMatch(/Since .+ \(server info: an HTML page with status 502; last error at .+\)/);
    expect(health).toContain('New jobs for it wait and are sent by themselves when it is back');
    expect(health).not.toContain('Answered in');
    await expectAccessible(page, 'Services & tokens with a service down');
    await screenshot(page, 'services-down');

    // A new job for Michigan in the middle of the outage: checked, then it waits for the service.
    await nav(page, 'New job');
    await page.getByText(/Use files you uploaded before/).click();
    await page.getByRole('checkbox', { name: new RegExp(file.replaceAll('.', '\\.')) }).check();
    await page.getByLabel('Job name').fill('created during the outage');
    await expect.poll(() => page.getByLabel('Reference panel').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Population').selectOption('eur');
    await page.getByRole('button', { name: 'Start imputation' }).click();
    await page.waitForURL(/\/jobs\/[0-9A-Z]{26}$/);
    const waitingUrl = page.url();
    const waiting = waitingUrl.split('/').pop() as string;
    await expect.poll(() => chip(page), { timeout: 60_000 }).toBe('Waiting for the service');
    const statusLine = await page.locator('.status-line').innerText();
    expect(statusLine).toMatch(
      new RegExp(
        `^Waiting for the service\\s+${SERVICE} is down \\(server info: an HTML page with status 502\\)\\. It is sent by itself as soon as ${SERVICE} is back \\(waiting since .+\\)\\.`,
        's',
      ),
    );
    const waitingNotice = page.locator('.service-outage');
    await expect.poll(() => waitingNotice.count(), { timeout: 20_000 }).toBe(1);
    expect(await waitingNotice.innerText()).toMatch(
      new RegExp(`^${SERVICE} is not answering\\s+Down since .+: server info: an HTML page with status 502`),
    );
    expect(await waitingNotice.innerText()).toContain(
      `Your job is kept and sent by itself as soon as ${SERVICE} is back`,
    );
    expect((await jobOf(waiting)).waiting).toMatchObject({ for: 'SERVICE' });
    await expectAccessible(page, 'a job waiting for its service');
    await screenshot(page, 'job-waiting-for-service');

    // The running job keeps its state; its page says the service is not answering, not that it failed.
    await page.goto(`${consoleUrl}/jobs/${running}`);
    const runningNotice = page.locator('.service-outage');
    await expect.poll(() => runningNotice.count(), { timeout: 20_000 }).toBe(1);
    expect(await chip(page)).toBe('Running');
    expect(await runningNotice.innerText()).toContain(
      `Your job is kept as it is, not failed: the gateway asks ${SERVICE} about it again as soon as it answers`,
    );
    expect(await page.locator('main').innerText()).not.toMatch(/job failed|has failed/i);
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectAccessible(page, 'a running job whose service is down');
    await screenshot(page, 'job-running-service-down');

    // The same pages in a 390 px window.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, what, ready] of [
      ['/services', 'Services & tokens with a service down', '.service-health .chip.health-down'],
      [`/jobs/${waiting}`, 'a job waiting for its service', '.service-outage'],
      [`/jobs/${running}`, 'a running job whose service is down', '.service-outage'],
    ] as const) {
      await page.goto(`${consoleUrl}${path}`);
      await page.locator(ready).first().waitFor({ timeout: 20_000 });
      await expectNoHorizontalOverflow(page, what);
      await expectAccessible(page, `${what}, 390 px`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // The outage lasts: nothing moved. The running job finishes at the service meanwhile (the outage
    // does not stop the service's own clock), and new submissions run through.
    expect((await jobOf(running)).status).toBe('RUNNING');
    expect((await jobOf(waiting)).status).toBe('WAITING_FOR_SERVICE');
    await admin('POST', `/jobs/${(await jobOf(running)).externalJobId}/state`, { state: 4 });
    await admin('PATCH', '/settings', { scenario: 'success' });

    // Michigan is back.
    await admin('PATCH', '/settings', { down: null });
    await nav(page, 'Services & tokens');
    await expect
      .poll(
        async () => {
          await page.reload();
          return card.locator('.service-health .chip').textContent();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe('Up');
    expect(await card.locator('.service-health').innerText()).toMatch(/Answered in \d+ ms/);

    // The waiting job goes by itself, and its page follows it to the end without a reload.
    await page.goto(waitingUrl);
    await expect.poll(() => chip(page), { timeout: 120_000 }).toBe('Succeeded');
    expect(await page.locator('.service-outage').count()).toBe(0);
    const timeline: string[] = (await jobOf(waiting)).events.map((event: { to: string }) => event.to);
    // Checked, then held; once Michigan was back, sent by the watcher and run to the end.
    const afterWait = timeline.slice(timeline.indexOf('WAITING_FOR_SERVICE') + 1);
    expect(timeline.slice(0, timeline.indexOf('WAITING_FOR_SERVICE'))).toContain('VALIDATING');
    expect(afterWait).toEqual(expect.arrayContaining(['RUNNING', 'COPYING_RESULTS', 'SUCCEEDED']));
    await page.goto(`${consoleUrl}/jobs/${running}`);
    await expect.poll(() => chip(page), { timeout: 120_000 }).toBe('Succeeded');
    const ran = await jobOf(running);
    expect(ran.events.map((event: { to: string }) => event.to)).not.toContain('FAILED');
    expect(ran.results.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
