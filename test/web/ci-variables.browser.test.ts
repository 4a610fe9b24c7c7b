import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
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
  let group: Namespace;
  let violations: string[] = [];
  const secret = rememberSecret(`web-secret-${Math.random().toString(36).slice(2)}`);
  const settings = () => `${instance.url}/${project.full_path}/-/settings/ci_cd`;

  beforeAll(async () => {
    instance = await startCiInstance('web-ci-variables');
    const db = instance.context.db;
    const { user, password } = await createUserWithPassword(db, { username: 'vera' });
    group = await createGroup(db, { path: 'varsweb' });
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

  it("edits a group's variables on its own settings page, for its owners only", async () => {
    const db = instance.context.db;
    const { user, password } = await createUserWithPassword(db, { username: 'gwen' });
    await addMember(db, group, user, ACCESS_LEVELS.owner);
    const owner = await (await desktopContext(browser)).newPage();
    const ownerViolations = watchCspViolations(owner);
    await signInWithForm(owner, instance.url, 'gwen', password);
    const groupSettings = `${instance.url}/groups/${group.full_path}/-/settings/ci_cd`;
    await owner.goto(groupSettings);
    await expect(owner.getByTestId('variables-empty').innerText()).resolves.toBe(
      'This group has no variables.',
    );
    await owner.fill('#variable_key', 'GROUP_REGION');
    await owner.fill('#variable_value', 'eu-west-1');
    await owner.selectOption('#variable_visibility', 'visible');
    await owner.click('form[aria-label="New CI/CD variable"] button[type=submit]');
    await owner.waitForURL(/done=variable_added/);
    await expect(owner.locator('tr[data-variable="GROUP_REGION:*"]').count()).resolves.toBe(1);
    expect(ownerViolations).toEqual([]);

    // vera maintains a project of the group but does not own it: the page is not hers.
    const refused = await page.goto(groupSettings);
    expect(refused?.status()).toBe(404);
  });

  it("edits the instance's variables on the admin page, without environment scopes", async () => {
    const db = instance.context.db;
    const { password } = await createUserWithPassword(db, { username: 'ada', is_admin: 1 });
    const admin = await (await desktopContext(browser)).newPage();
    await signInWithForm(admin, instance.url, 'ada', password);
    await admin.goto(`${instance.url}/admin/ci/variables`);
    await expect(admin.getByTestId('variables-empty').innerText()).resolves.toBe(
      'The instance has no variables.',
    );
    await expect(admin.locator('#variable_scope').count()).resolves.toBe(0);
    await admin.fill('#variable_key', 'COMPANY_PROXY');
    await admin.fill('#variable_value', 'http://proxy.internal:3128');
    await admin.selectOption('#variable_visibility', 'visible');
    await admin.click('form[aria-label="New CI/CD variable"] button[type=submit]');
    await admin.waitForURL(/done=variable_added/);
    await expect(admin.locator('tr[data-variable="COMPANY_PROXY:*"]').count()).resolves.toBe(1);
    // A bad key is shown on the page, and nothing is stored.
    await admin.fill('#variable_key', 'CI_JOB_TOKEN');
    await admin.fill('#variable_value', 'x'.repeat(12));
    await admin.click('form[aria-label="New CI/CD variable"] button[type=submit]');
    await expect(admin.getByText('is reserved').count()).resolves.toBeGreaterThan(0);
    expect((await page.goto(`${instance.url}/admin/ci/variables`))?.status()).toBe(404);
  });
});
