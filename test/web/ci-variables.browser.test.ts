import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { startCiInstance } from '../ci/ci-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import { desktopContext, launchChromium, screenshot, signInWithForm, watchCspViolations } from './browser.ts';

describe('Settings → CI/CD → Variables in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let project: Project;
  let violations: string[] = [];
  const secret = rememberSecret(`web-secret-${Math.random().toString(36).slice(2)}`);
  const settings = () => `${instance.url}/${project.full_path}/-/settings/ci_cd`;

  beforeAll(async () => {
    instance = await startCiInstance('web-ci-variables');
    const db = instance.context.db;
    const { user, password } = await createUserWithPassword(db, { username: 'vera' });
    const group = await createGroup(db, { path: 'varsweb' });
    project = await createProject(db, group, { path: 'app' });
    await addMember(db, project, user, ACCESS_LEVELS.maintainer);
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
    page.on('dialog', (dialog) => void dialog.accept());
    await signInWithForm(page, instance.url, 'vera', password);
  });
  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('adds a masked variable, lists it without its value, refuses a credential name, deletes it', async () => {
    await page.goto(settings());
    await expect(page.getByTestId('variables-empty').count()).resolves.toBe(1);

    await page.fill('#variable_key', 'DEPLOY_SECRET');
    await page.fill('#variable_value', secret);
    await page.selectOption('#variable_visibility', 'masked');
    await page.check('#variable_protected');
    await page.click('form[aria-label="New CI/CD variable"] button[type=submit]');
    await page.waitForURL(/done=variable_added/);
    const row = page.locator('tr[data-variable="DEPLOY_SECRET:*"]');
    await expect(row.count()).resolves.toBe(1);
    expect(await row.innerText()).toMatch(/masked/);
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'ci-variables', page.locator('#variables'));

    await page.fill('#variable_key', 'CI_JOB_TOKEN');
    await page.fill('#variable_value', 'replacement-token');
    await page.click('form[aria-label="New CI/CD variable"] button[type=submit]');
    await expect(page.getByText('is reserved').count()).resolves.toBeGreaterThan(0);

    await page.goto(settings());
    await page.click('button[aria-label="Delete DEPLOY_SECRET"]');
    await page.waitForURL(/done=variable_removed/);
    await expect(page.getByTestId('variables-empty').count()).resolves.toBe(1);
    expect(violations).toEqual([]);
  });
});
