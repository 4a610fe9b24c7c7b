import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

/**
 * Where the run's screenshots of each page go (the tour of the UI); `TESSERA_SCREENSHOT_DIR` moves
 * them, e.g. into the docs when refreshing the README's pictures.
 */
export function screenshotDir(): string {
  const dir = process.env.TESSERA_SCREENSHOT_DIR ?? join(process.cwd(), '.tessera', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });
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
