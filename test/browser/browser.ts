/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (skipped, saying why, only
 * when /usr/bin/chromium is absent), web/dist built when missing or older than its sources, axe-core run
 * on a page with 0 serious or critical violations asserted, and screenshots into docs/console/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type LocalProcess, startLocalProcess } from '#test/e2e/local-process';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const root = join(import.meta.dirname, '../..');
export const distDir = join(root, 'web/dist');
const shotsDir = join(root, 'docs/console');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/**
 * The console built, the local stack started with its console and identity provider on free ports
 * (`env` added), and a Chromium: what each browser test starts from. Stop both in afterAll.
 */
export async function startConsoleStack(
  env: Record<string, string> = {},
): Promise<{ stack: LocalProcess; browser: Browser; consoleUrl: string }> {
  ensureConsoleBuilt();
  const stack = await startLocalProcess({ env: { CONSOLE_PORT: '0', IDP_PORT: '0', ...env } });
  const browser = await launchChromium();
  return { stack, browser, consoleUrl: stack.endpoints().console };
}

/** Builds web/dist unless it is newer than every source of the console (scripts/build-console.mjs). */
export function ensureConsoleBuilt(): void {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build-console.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the console failed:\n${build.stdout}\n${build.stderr}`);
}

/** Runs axe-core on the page and fails on any serious or critical violation, naming them. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = bad.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(described, `accessibility of ${what}`).toEqual([]);
}

/**
 * Fails when the page is wider than its window: the document scrolls sideways, or an element sticks out
 * past the window's right edge. What a scroll container holds (the download script, a wide table) scrolls
 * inside it and does not count.
 */
export async function expectNoHorizontalOverflow(page: Page, what: string): Promise<void> {
  const overflow = (await page.evaluate(overflowProbe)) as {
    documentWidth: number;
    width: number;
    wide: string[];
  };
  expect(overflow.documentWidth, `the document width of ${what}`).toBeLessThanOrEqual(overflow.width);
  expect(overflow.wide, `elements wider than the window on ${what}`).toEqual([]);
}

/** Runs in the page (as text: the tests are type-checked without the DOM's types). */
const overflowProbe = `(() => {
  const width = document.documentElement.clientWidth;
  const scrollsInside = (element) => {
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 0.5 || box.width > width + 0.5) && !scrollsInside(element);
  });
  return {
    documentWidth: document.documentElement.scrollWidth,
    width,
    wide: wide.slice(0, 5).map((element) => element.tagName.toLowerCase() + '.' + element.className),
  };
})()`;

/** The visible viewport, or with `fullPage` the whole page (a long job page: messages, results, password). */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: options.fullPage ?? false });
}

/** Collects CSP violations and uncaught errors of a page, to assert there were none. */
export function watchPageErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`CSP: ${message.text()}`);
    }
  });
  return problems;
}

/**
 * A new browser context signed in at the local IdP as `username`: open the console's jobs page, "Sign
 * in", pick the user on the IdP's page (or type any other name), back on the jobs page with its heading
 * shown.
 */
export async function signIn(
  browser: Browser,
  consoleUrl: string,
  username: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watchPageErrors(page);
  await page.goto(`${consoleUrl}/jobs`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const preset = page.getByRole('button', { name: username, exact: true });
  if (await preset.count()) await preset.click();
  else {
    await page.getByLabel('Username').fill(username);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.waitForURL(`${consoleUrl}/jobs`);
  await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
  return { context, page, problems };
}
