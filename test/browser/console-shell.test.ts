/**
 * The built console under its real CSP: it starts without inline code or eval, shows the sign-in page
 * (accessible, no CSP violation) when nobody is signed in, and a page of its own when config.json fails.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureConsoleBuilt,
  expectAccessible,
  hasChromium,
  launchChromium,
  screenshot,
  watchPageErrors,
} from './browser';
import { serveConsole } from './static-console';

if (!hasChromium)
  console.warn('Browser tests skipped: /usr/bin/chromium is not installed (apt-get install chromium).');

describe.skipIf(!hasChromium)('the console shell', () => {
  let browser: Browser;
  beforeAll(async () => {
    ensureConsoleBuilt();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the sign-in page under the CSP, accessibly', async () => {
    const server = await serveConsole({
      apiUrl: 'http://127.0.0.1:9',
      oidc: { authority: 'http://127.0.0.1:9/idp', clientId: 'console', scope: 'openid profile' },
      environment: 'test',
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = watchPageErrors(page);
    await page.goto(`${server.url}/jobs?status=RUNNING`);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    await expectAccessible(page, 'the sign-in page');
    await screenshot(page, 'sign-in');
    expect(problems).toEqual([]);
    await context.close();
    await server.close();
  });

  it('says so on a page of its own when config.json cannot be read', async () => {
    const server = await serveConsole('broken');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('heading', { name: 'The console cannot start' }).count()).toBe(1);
    expect(await page.textContent('main')).toContain('HTTP 503');
    await expectAccessible(page, 'the config error page');
    await context.close();
    await server.close();
  });
});
