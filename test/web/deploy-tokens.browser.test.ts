import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { git } from '../ci/ci-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import {
  desktopContext,
  launchChromium,
  screenshot,
  signInWithForm,
  textOf,
  watchCspViolations,
} from './browser.ts';

/*
 * Acceptance 2 and 3 of the web UI issue: a maintainer manages deploy tokens in the browser (the
 * secret works with git, a rotation says until when the old one works), and Auto DevOps toggled on
 * the CI/CD page creates and revokes `gitlab-deploy-token`, which the deploy-token page then shows.
 */

describe('deploy tokens and Auto DevOps in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let project: Project;
  let alice: { user: User; password: string };
  let bob: { user: User; password: string };
  let violations: string[] = [];
  let secret = '';
  let username = '';
  const settingsPage = () => `${instance.url}/${project.full_path}/-/settings/repository`;
  const ciCdPage = () => `${instance.url}/${project.full_path}/-/settings/ci_cd`;

  /** `git ls-remote` with a deploy token: 0 when the instance accepts it. */
  const lsRemote = async (user: string, password: string) => {
    const url = new URL(`${instance.url}/${project.full_path}.git`);
    url.username = user;
    url.password = password;
    return (await git(['ls-remote', url.toString()])).code;
  };
  const row = (name: string) => page.locator(`tr[data-token-name="${name}"]`).first();

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'web-deploy-tokens' });
    const db = instance.context.db;
    alice = await createUserWithPassword(db, { username: 'alice', name: 'Alice Liddell' });
    bob = await createUserWithPassword(db, { username: 'bob', name: 'Bob Developer' });
    const group = await createGroup(db, { path: 'acme' });
    project = await createProject(db, group, { path: 'app', visibility: 'private' });
    await addMember(db, project, alice.user, ACCESS_LEVELS.maintainer);
    await addMember(db, project, bob.user, ACCESS_LEVELS.developer);
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
    await signInWithForm(page, instance.url, 'alice', alice.password);
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('the project list leads to the project pages', async () => {
    await page.goto(`${instance.url}/dashboard/projects`);
    await screenshot(page, 'projects');
    await page.getByRole('link', { name: 'Deploy tokens' }).click();
    expect(new URL(page.url()).pathname).toBe(`/${project.full_path}/-/settings/repository`);
    expect(await page.getByRole('navigation', { name: 'Project' }).innerText()).toContain('Settings → CI/CD');
  });

  it('a maintainer creates a deploy token: shown once with its username, and git accepts it', async () => {
    await page.goto(settingsPage());
    await page.getByLabel('Token name').fill('cluster-pull');
    await page.getByLabel(/^Username/).fill('k8s-puller');
    await page.getByRole('checkbox', { name: /^read_repository\b/ }).check();
    await page.getByRole('checkbox', { name: /^read_registry\b/ }).check();
    await page.getByRole('button', { name: 'Create deploy token' }).click();
    secret = rememberSecret(await page.getByTestId('new-token').inputValue());
    username = await textOf(page, 'new-token-username');
    expect(secret).toMatch(/^gldt-/);
    expect(username).toBe('k8s-puller');
    await screenshot(page, 'deploy-token-created');
    expect(await lsRemote(username, secret)).toBe(0);

    await page.reload();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    expect(await row('cluster-pull').locator('td').nth(2).innerText()).toBe('read_repository, read_registry');
    expect(await row('cluster-pull').locator('.badge').first().innerText()).toBe('active');
  });

  it('a bad form comes back with the reason and the values, and creates nothing', async () => {
    await page.getByLabel('Token name').fill('no-scopes');
    await page.getByRole('button', { name: 'Create deploy token' }).click();
    await expect(page.getByRole('alert').first().innerText()).resolves.toBe('Scopes is missing.');
    expect(await page.getByLabel('Token name').inputValue()).toBe('no-scopes');
    expect(await page.locator('tr[data-token-name="no-scopes"]').count()).toBe(0);
  });

  it('rotating states until when the old secret works, and both work until then', async () => {
    await page.goto(settingsPage());
    page.once('dialog', (dialog) => void dialog.accept());
    await row('cluster-pull').getByRole('button', { name: 'Rotate cluster-pull' }).click();
    await page.getByTestId('new-token').waitFor();
    const rotated = rememberSecret(await page.getByTestId('new-token').inputValue());
    expect(rotated).not.toBe(secret);
    const stored = await instance.context.db
      .selectFrom('deploy_tokens')
      .select('previous_valid_until')
      .where('name', '=', 'cluster-pull')
      .executeTakeFirstOrThrow();
    const until = stored.previous_valid_until!;
    // The default grace period: a day from now.
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    const overlap = await textOf(page, 'overlap');
    expect(overlap).toContain('keeps working until');
    expect(await page.getByTestId('overlap').locator('time').getAttribute('datetime')).toBe(until);
    await screenshot(page, 'deploy-token-rotated');
    expect(await lsRemote(username, rotated)).toBe(0);
    expect(await lsRemote(username, secret)).toBe(0);
    secret = rotated;

    await page.reload();
    expect(await row('cluster-pull').innerText()).toContain('old secret works until');
  });

  it('revoking asks first, then the token no longer works', async () => {
    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await Promise.all([
      page.waitForURL(/revoked=/),
      row('cluster-pull').getByRole('button', { name: 'Revoke cluster-pull' }).click(),
    ]);
    expect(question).toContain('Revoke “cluster-pull”?');
    expect(await row('cluster-pull').locator('.badge').first().innerText()).toBe('revoked');
    expect(await lsRemote(username, secret)).not.toBe(0);
  });

  it('Auto DevOps turned on for the project creates gitlab-deploy-token, marked auto-created', async () => {
    await page.goto(ciCdPage());
    expect(await textOf(page, 'auto-devops-source')).toBe('the instance default (off)');
    await page.getByLabel('On for this project').check();
    await page.getByRole('button', { name: 'Save Auto DevOps' }).click();
    await page.waitForURL(/done=auto_devops/);
    expect(await textOf(page, 'auto-devops-source')).toBe("this project's setting (on)");
    await screenshot(page, 'ci-cd-auto-devops');

    await page.getByRole('link', { name: 'Deploy tokens' }).first().click();
    const auto = row('gitlab-deploy-token');
    expect(await auto.locator('.badge.auto').innerText()).toBe('auto-created');
    expect(await auto.locator('.badge.active').innerText()).toBe('active');
    expect(await auto.locator('td').nth(2).innerText()).toBe('read_registry');
    await screenshot(page, 'deploy-tokens', page.locator('#deploy-token-list'));
  });

  it('following the instance default again (off) revokes it', async () => {
    await page.goto(ciCdPage());
    await page.getByLabel(/^Follow the instance default/).check();
    await page.getByRole('button', { name: 'Save Auto DevOps' }).click();
    await page.waitForURL(/done=auto_devops/);
    expect(await textOf(page, 'auto-devops-source')).toBe('the instance default (off)');
    await page.goto(settingsPage());
    expect(await row('gitlab-deploy-token').locator('.badge').last().innerText()).toBe('revoked');
  });

  it('a developer of the project is not shown its settings (404)', async () => {
    const other = await (await desktopContext(browser)).newPage();
    await signInWithForm(other, instance.url, 'bob', bob.password);
    for (const path of ['settings/repository', 'settings/ci_cd']) {
      const response = await other.goto(`${instance.url}/${project.full_path}/-/${path}`);
      expect(response?.status()).toBe(404);
    }
    expect((await other.goto(`${instance.url}/${project.full_path}/-/pipelines`))?.status()).toBe(200);
    await other.context().close();
  });

  it('a cross-site form post is refused and changes nothing; no CSP violation happened', async () => {
    const cookies = await page.context().cookies();
    const response = await fetch(`${settingsPage()}/deploy_tokens`, {
      method: 'POST',
      headers: {
        cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
      },
      body: new URLSearchParams({ name: 'planted', scopes: 'read_repository' }).toString(),
    });
    expect(response.status).toBe(403);
    const planted = await instance.context.db
      .selectFrom('deploy_tokens')
      .select('id')
      .where('name', '=', 'planted')
      .execute();
    expect(planted).toEqual([]);
    expect(violations).toEqual([]);
  });
});
