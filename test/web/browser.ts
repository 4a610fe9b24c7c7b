import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { rememberSecret } from '../support/secrets.ts';

/** Debian's chromium, headless, with nothing that talks to the network on its own. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Signs in through the sign-in page's form, as a person would (a refusal leaves it on the sign-in page). */
export async function signInWithForm(page: Page, baseUrl: string, login: string, password: string) {
  await page.goto(`${baseUrl}/users/sign_in`);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('domcontentloaded');
  // The session cookie is a secret like any other: the leak check looks for it in the logs.
  for (const cookie of await page.context().cookies()) {
    if (cookie.name === '_tessera_session') rememberSecret(cookie.value);
  }
}

/** The size of the tour's desktop pictures; one picture is taken 375 px wide as well. */
export const DESKTOP = { width: 1280, height: 800 } as const;

/** A browser context (cookies of its own) with the tour's desktop viewport. */
export async function desktopContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: DESKTOP });
}

/**
 * Where the run's screenshots of each page go. A test run writes them beside its logs, so it leaves
 * the tree clean; `npm run tour` sets `TESSERA_SCREENSHOT_DIR=docs/tour` to refresh the README's tour.
 */
export function screenshotDir(): string {
  const dir =
    process.env.TESSERA_SCREENSHOT_DIR ??
    join(process.env.TESSERA_TEST_LOG_DIR ?? join(tmpdir(), 'tessera-test'), 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A picture of what the viewport shows (1280×800 on desktop: small enough to commit), scrolled so
 * that `focus`, when given, is in view: on a long page, the part the picture is about.
 */
export async function screenshot(page: Page, name: string, focus?: Locator): Promise<void> {
  if (focus) await focus.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), animations: 'disabled' });
}

/** Collects Content-Security-Policy violations a page reports on its console. */
export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/** The text of the element with this `data-testid`, trimmed and with whitespace collapsed. */
export async function textOf(page: Page, testId: string): Promise<string> {
  const text = await page.getByTestId(testId).first().innerText();
  return text.replace(/\s+/g, ' ').trim();
}

/** Fails unless the page is the HTML document it should be. */
export function expectHtml(response: Response): void {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
}
