import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import type { User } from '../../src/store/schema.ts';
import { desktopContext, launchChromium, screenshot, signInWithForm, watchCspViolations } from './browser.ts';

/* Admin → Users → a user: impersonation tokens made, used and revoked in a real browser. */

describe('the admin user page in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let alice: User;
  let violations: string[] = [];

  const whoAmI = async (token: string) => {
    const response = await fetch(`${instance.url}/api/v4/user`, { headers: { 'private-token': token } });
    return response.status === 200
      ? ((await response.json()) as { username: string }).username
      : response.status;
  };

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'web-admin-user' });
    const { db } = instance.context;
    const root = await createUserWithPassword(db, { username: 'root', is_admin: 1 });
    alice = (await createUserWithPassword(db, { username: 'alice', name: 'Alice Liddell' })).user;
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
    await signInWithForm(page, instance.url, 'root', root.password);
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('leads from the user list to the user, makes an impersonation token shown once, and revokes it', async () => {
    await page.goto(`${instance.url}/admin/users`);
    await page.getByRole('link', { name: 'alice' }).click();
    expect(new URL(page.url()).pathname).toBe(`/admin/users/${alice.id}`);
    expect(await page.getByTestId('user-facts').innerText()).toContain('Alice Liddell');

    await page.getByLabel('Token name').fill('support-call');
    await page.getByRole('checkbox', { name: /^read_user\b/ }).check();
    await page.getByRole('button', { name: 'Create impersonation token' }).click();
    const secret = rememberSecret(await page.getByTestId('new-token').inputValue());
    expect(secret).toMatch(/^glpat-/);
    await screenshot(page, 'admin-user-impersonation-token');
    expect(await whoAmI(secret)).toBe('alice');

    await page.reload();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    const row = page.locator('[data-testid="impersonation-tokens"] tr', { hasText: 'support-call' });
    expect(await row.locator('.badge').innerText()).toBe('active');

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke support-call' }).click();
    await page.getByRole('status').first().waitFor();
    expect(await row.locator('.badge').innerText()).toBe('revoked');
    expect(await whoAmI(secret)).toBe(401);
    expect(violations).toEqual([]);
  });

  it('a bad form comes back with the reason and creates nothing', async () => {
    await page.goto(`${instance.url}/admin/users/${alice.id}`);
    await page.getByLabel('Token name').fill('no-scopes');
    await page.getByRole('button', { name: 'Create impersonation token' }).click();
    expect(await page.getByRole('alert').first().innerText()).toBe('Scopes is missing.');
    expect(
      await page.locator('[data-testid="impersonation-tokens"] tr', { hasText: 'no-scopes' }).count(),
    ).toBe(0);
  });
});
