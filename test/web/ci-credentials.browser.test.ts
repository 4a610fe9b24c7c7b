import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { personWithPat, registerRunner, startCiInstance } from '../ci/ci-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import { call } from '../tokens/token-fixtures.ts';
import { desktopContext, launchChromium, screenshot, signInWithForm, watchCspViolations } from './browser.ts';

/*
 * Issue #15's web pages for triggers and runners: a maintainer adds and deletes a pipeline trigger
 * token, and resets and deletes a runner of the project, on Settings → CI/CD. Each token is shown
 * once, and the API agrees with what the page did.
 */

describe('Settings → CI/CD → trigger tokens and runners in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let project: Project;
  let other: Project;
  let adminPat = '';
  let violations: string[] = [];
  const settings = (of: Project = project) => `${instance.url}/${of.full_path}/-/settings/ci_cd`;
  const verify = async (token: string) =>
    (await call(instance, 'POST', '/api/v4/runners/verify', { body: { token } })).status;

  beforeAll(async () => {
    instance = await startCiInstance('web-ci-credentials');
    const db = instance.context.db;
    adminPat = (await personWithPat(instance, { is_admin: 1 })).pat;
    const { user, password } = await createUserWithPassword(db, { username: 'mara' });
    const group = await createGroup(db, { path: 'credweb' });
    project = await createProject(db, group, { path: 'app' });
    other = await createProject(db, group, { path: 'other' });
    await addMember(db, project, user, ACCESS_LEVELS.maintainer);
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
    page.on('dialog', (dialog) => void dialog.accept());
    await signInWithForm(page, instance.url, 'mara', password);
  });
  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('adds a trigger token, shows it once, and deletes it', async () => {
    await page.goto(settings());
    await expect(page.getByTestId('triggers-empty').count()).resolves.toBe(1);
    await page.fill('#trigger_description', 'nightly build');
    await page.click('form[aria-label="New pipeline trigger token"] button[type=submit]');
    await page.waitForURL(/#triggers$/);
    const token = rememberSecret(await page.getByTestId('new-token').inputValue());
    expect(token).toMatch(/^glptt-/);
    const row = page.locator('tr[data-trigger]');
    await expect(row.count()).resolves.toBe(1);
    expect(await row.innerText()).toContain('nightly build');
    expect(await row.innerText()).toContain('mara');
    expect(await row.innerText()).not.toContain(token);
    await screenshot(page, 'ci-triggers', page.locator('#triggers'));

    // The API sees the same trigger; a reload no longer shows its token.
    const listed = await call(instance, 'GET', `/api/v4/projects/${project.id}/triggers`, {
      token: adminPat,
    });
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0].description).toBe('nightly build');
    await page.reload();
    await expect(page.getByTestId('new-token').count()).resolves.toBe(0);
    expect(await page.content()).not.toContain(token);

    await page.click('button[aria-label="Delete trigger nightly build"]');
    await page.waitForURL(/done=trigger_deleted/);
    await expect(page.getByTestId('triggers-empty').count()).resolves.toBe(1);
    const after = await call(instance, 'GET', `/api/v4/projects/${project.id}/triggers`, { token: adminPat });
    expect(after.body).toEqual([]);
    // The deleted token starts nothing.
    const refused = await call(instance, 'POST', `/api/v4/projects/${project.id}/trigger/pipeline`, {
      body: { token, ref: 'main' },
    });
    expect(refused.status).toBe(404);
    expect(violations).toEqual([]);
  });

  it("resets a runner's token (the old one dies, the new one is shown once) and deletes the runner", async () => {
    const runner = await registerRunner(instance, adminPat, {
      runner_type: 'project_type',
      project_id: project.id,
      description: 'build box',
    });
    // A runner of another project is neither listed here nor reachable through this page's forms.
    const foreign = await registerRunner(instance, adminPat, {
      runner_type: 'project_type',
      project_id: other.id,
      description: 'foreign box',
    });
    await page.goto(settings());
    const row = page.locator(`tr[data-runner="${runner.id}"]`);
    await expect(row.count()).resolves.toBe(1);
    expect(await row.innerText()).toContain('build box');
    await expect(page.locator(`tr[data-runner="${foreign.id}"]`).count()).resolves.toBe(0);
    expect(await verify(runner.token)).toBe(200);

    await page.click(`button[aria-label="Reset the token of runner ${runner.id}"]`);
    await page.waitForURL(/#runners$/);
    const fresh = rememberSecret(await page.getByTestId('new-token').inputValue());
    expect(fresh).toMatch(/^glrt-/);
    expect(fresh).not.toBe(runner.token);
    expect(await page.locator('section[aria-labelledby="new-ci-token-heading"]').innerText()).toContain(
      'no longer works',
    );
    expect(await verify(runner.token)).toBe(403);
    expect(await verify(fresh)).toBe(200);
    await page.reload();
    await expect(page.getByTestId('new-token').count()).resolves.toBe(0);

    // Posting the foreign runner's id to this project's forms changes nothing.
    const csrf = await page.locator('#runners input[name=authenticity_token]').first().inputValue();
    const forged = await page.request.post(`${settings()}/runners/${foreign.id}/delete`, {
      form: { authenticity_token: csrf },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(404);
    expect(await verify(foreign.token)).toBe(200);

    await page.click(`button[aria-label="Delete runner ${runner.id}"]`);
    await page.waitForURL(/done=runner_deleted/);
    await expect(page.getByTestId('runners-empty').count()).resolves.toBe(1);
    expect(await verify(fresh)).toBe(403);
    expect(violations).toEqual([]);
  });
});
