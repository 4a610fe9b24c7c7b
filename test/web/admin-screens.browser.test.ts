import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { User } from '../../src/store/schema.ts';
import { findUserByUsernameIgnoringCase } from '../../src/store/users.repository.ts';
import { personWithPat, registerRunner, startCiInstance } from '../ci/ci-world.ts';
import { auditEvents, createUserWithPassword, newPassword } from '../identity/identity-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';
import { addDays, todayUtc } from '../../src/tokens/access/access-token-expiry.ts';
import { desktopContext, launchChromium, screenshot, signInWithForm, watchCspViolations } from './browser.ts';

/*
 * Issue #17 item 2: the admin screens a GitLab user looks for first — users made, blocked and given a
 * new password; one's own password; groups and projects; every runner with its token — driven in a
 * real browser, each form answering with a 303 on success and the reason (4xx, nothing changed) when
 * refused.
 */

describe('the admin screens in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let admin: Page;
  let root: User;
  let adminPat = '';
  let violations: string[] = [];

  /** Signs in on a browser of its own; true when it got past the sign-in page. */
  const signsIn = async (login: string, password: string): Promise<boolean> => {
    const context = await desktopContext(browser);
    try {
      const page = await context.newPage();
      await signInWithForm(page, instance.url, login, password);
      return new URL(page.url()).pathname === '/';
    } finally {
      await context.close();
    }
  };
  /** The status of a page's form post, and the page it left. */
  const submit = async (page: Page, button: string) => {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]);
    await page.waitForLoadState('domcontentloaded');
    return response.status();
  };

  beforeAll(async () => {
    instance = await startCiInstance('web-admin-screens');
    const { db } = instance.context;
    const made = await createUserWithPassword(db, { username: 'root', is_admin: 1 });
    root = made.user;
    adminPat = (await personWithPat(instance, { username: 'ops', is_admin: 1 })).pat;
    browser = await launchChromium();
    admin = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(admin);
    admin.on('dialog', (dialog) => void dialog.accept());
    await signInWithForm(admin, instance.url, 'root', made.password);
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('creates a user with a generated password shown once, and one with a password set', async () => {
    await admin.goto(`${instance.url}/admin/users`);
    await admin.locator('#new_user_username').fill('bob');
    await admin.locator('#new_user_email').fill('bob@example.com');
    await admin.locator('#new_user_name').fill('Bob Builder');
    expect(await submit(admin, 'Create user')).toBe(303);
    const bob = (await findUserByUsernameIgnoringCase(instance.context.db, 'bob'))!;
    expect(new URL(admin.url()).pathname).toBe(`/admin/users/${bob.id}`);
    const generated = rememberSecret(await admin.getByTestId('new-token').inputValue());
    expect(generated.length).toBeGreaterThanOrEqual(20);
    await screenshot(admin, 'admin-user-created');
    await admin.reload();
    expect(await admin.getByTestId('new-token').count()).toBe(0);
    expect(await signsIn('bob', generated)).toBe(true);

    const chosen = newPassword();
    await admin.goto(`${instance.url}/admin/users`);
    await admin.locator('#new_user_username').fill('carol');
    await admin.locator('#new_user_email').fill('carol@example.com');
    await admin.locator('#new_user_password').fill(chosen);
    expect(await submit(admin, 'Create user')).toBe(303);
    expect(await admin.getByTestId('new-token').count()).toBe(0);
    expect(await signsIn('carol', chosen)).toBe(true);

    const created = await auditEvents(instance.context.db, 'user.created');
    expect(created.filter((event) => event.author_name === 'root').map((e) => e.target_details)).toEqual([
      'bob',
      'carol',
    ]);
  });

  it('refuses a taken username and a short password with the reason, and creates nothing', async () => {
    const before = (await auditEvents(instance.context.db, 'user.created')).length;
    await admin.goto(`${instance.url}/admin/users`);
    await admin.locator('#new_user_username').fill('bob');
    await admin.locator('#new_user_email').fill('bob2@example.com');
    expect(await submit(admin, 'Create user')).toBe(409);
    expect(await admin.getByRole('alert').first().innerText()).toBe('Username has already been taken');
    expect(await admin.locator('#new_user_email').inputValue()).toBe('bob2@example.com');

    await admin.locator('#new_user_username').fill('dave');
    await admin.locator('#new_user_password').fill('short');
    expect(await submit(admin, 'Create user')).toBe(400);
    expect(await admin.getByRole('alert').first().innerText()).toBe(
      'Password is too short (minimum is 8 characters).',
    );
    expect(await findUserByUsernameIgnoringCase(instance.context.db, 'dave')).toBeUndefined();
    expect((await auditEvents(instance.context.db, 'user.created')).length).toBe(before);
  });

  it('blocks a user (their session ends, sign-in is refused) and unblocks them', async () => {
    const { user: erin, password } = await createUserWithPassword(instance.context.db, { username: 'erin' });
    const erinContext = await desktopContext(browser);
    const erinPage = await erinContext.newPage();
    await signInWithForm(erinPage, instance.url, 'erin', password);
    expect(new URL(erinPage.url()).pathname).toBe('/');

    await admin.goto(`${instance.url}/admin/users/${erin.id}`);
    expect(await submit(admin, 'Block user')).toBe(303);
    expect(await admin.getByRole('status').first().innerText()).toContain('The user is blocked');
    expect(await admin.getByTestId('user-facts').innerText()).toContain('blocked');
    await erinPage.reload();
    expect(new URL(erinPage.url()).pathname).toBe('/users/sign_in');
    expect(await signsIn('erin', password)).toBe(false);
    await erinContext.close();

    expect(await submit(admin, 'Unblock user')).toBe(303);
    expect(await signsIn('erin', password)).toBe(true);
    expect((await auditEvents(instance.context.db, 'user.blocked')).map((e) => e.target_details)).toEqual([
      'erin',
    ]);

    // No block button on one's own page, and a forged post is refused with the reason.
    await admin.goto(`${instance.url}/admin/users/${root.id}`);
    expect(await admin.getByRole('button', { name: 'Block user' }).count()).toBe(0);
    const csrf = await admin.locator('input[name=authenticity_token]').first().inputValue();
    const forged = await admin.request.post(`${instance.url}/admin/users/${root.id}/block`, {
      form: { authenticity_token: csrf },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect((await findUserByUsernameIgnoringCase(instance.context.db, 'root'))!.state).toBe('active');
  });

  it("resets a user's password: a generated one shown once, or one the admin types", async () => {
    const { user: fay, password } = await createUserWithPassword(instance.context.db, { username: 'fay' });
    await admin.goto(`${instance.url}/admin/users/${fay.id}`);
    expect(await submit(admin, 'Reset password')).toBe(303);
    const generated = rememberSecret(await admin.getByTestId('new-token').inputValue());
    expect(await signsIn('fay', password)).toBe(false);
    expect(await signsIn('fay', generated)).toBe(true);

    await admin.getByLabel('New password', { exact: false }).fill('short');
    expect(await submit(admin, 'Reset password')).toBe(400);
    expect(await admin.getByRole('alert').first().innerText()).toContain('Password is too short');
    expect(await signsIn('fay', generated)).toBe(true);

    const typed = newPassword();
    await admin.getByLabel('New password', { exact: false }).fill(typed);
    expect(await submit(admin, 'Reset password')).toBe(303);
    expect(await admin.getByTestId('new-token').count()).toBe(0);
    expect(await signsIn('fay', typed)).toBe(true);
    expect(await auditEvents(instance.context.db, 'user.password_changed')).toHaveLength(2);
  });

  it('changes one’s own password: the current one is required, then every session ends', async () => {
    const { password } = await createUserWithPassword(instance.context.db, { username: 'gus' });
    const context = await desktopContext(browser);
    const page = await context.newPage();
    const csp = watchCspViolations(page);
    await signInWithForm(page, instance.url, 'gus', password);
    await page.getByRole('navigation').getByRole('link', { name: 'Password' }).click();
    expect(new URL(page.url()).pathname).toBe('/-/user_settings/password/edit');
    const fresh = newPassword();

    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password', { exact: false }).fill(fresh);
    await page.getByLabel('Password confirmation').fill(fresh);
    expect(await submit(page, 'Save password')).toBe(400);
    expect(await page.getByRole('alert').first().innerText()).toBe('Current password is invalid.');

    await page.getByLabel('Current password').fill(password);
    await page.getByLabel('New password', { exact: false }).fill(fresh);
    await page.getByLabel('Password confirmation').fill(`${fresh}x`);
    expect(await submit(page, 'Save password')).toBe(400);
    expect(await page.getByRole('alert').first().innerText()).toContain("doesn't match");
    expect(await signsIn('gus', password)).toBe(true);

    await page.getByLabel('Current password').fill(password);
    await page.getByLabel('New password', { exact: false }).fill(fresh);
    await page.getByLabel('Password confirmation').fill(fresh);
    expect(await submit(page, 'Save password')).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/users/sign_in');
    expect(await page.getByRole('status').first().innerText()).toContain('Your password was changed');
    await screenshot(page, 'password-changed');
    expect(await signsIn('gus', password)).toBe(false);
    expect(await signsIn('gus', fresh)).toBe(true);
    expect(csp).toEqual([]);
    await context.close();
  });

  it('creates a group, a subgroup and a project with their visibility, and refuses a project more open than its group', async () => {
    await admin.goto(`${instance.url}/dashboard/groups`);
    await admin.getByLabel('Group name').fill('Platform');
    await admin.getByLabel('Group URL', { exact: false }).fill('platform');
    await admin.getByLabel('internal', { exact: false }).check();
    expect(await submit(admin, 'Create group')).toBe(303);
    expect(await admin.getByRole('status').first().innerText()).toContain('platform');
    const row = admin.locator('[data-testid="groups-table"] tr', { hasText: 'platform' });
    expect(await row.innerText()).toContain('internal');

    await admin.getByLabel('Group name').fill('Infra');
    await admin.getByLabel('Group URL', { exact: false }).fill('infra');
    await admin.getByLabel('Parent group').selectOption({ label: 'platform' });
    expect(await submit(admin, 'Create group')).toBe(303);
    expect(await admin.locator('[data-testid="groups-table"]').innerText()).toContain('platform/infra');

    await admin.goto(`${instance.url}/dashboard/projects`);
    await admin.getByLabel('Project name').fill('API');
    await admin.getByLabel('Namespace').selectOption({ label: 'platform' });
    await admin.getByLabel('public', { exact: false }).check();
    expect(await submit(admin, 'Create project')).toBe(400);
    expect(await admin.getByRole('alert').first().innerText()).toContain('public is not allowed');

    await admin.getByLabel('internal', { exact: false }).check();
    expect(await submit(admin, 'Create project')).toBe(303);
    const project = admin.locator('[data-testid="projects-table"] tr', { hasText: 'platform/api' });
    expect(await project.innerText()).toContain('internal');
    await screenshot(admin, 'projects-new-project');
    expect((await auditEvents(instance.context.db, 'project.created')).length).toBeGreaterThanOrEqual(1);
  });

  it('lists every runner with its token state, resets a token (shown once) and deletes a runner', async () => {
    const group = await createGroup(instance.context.db, { path: 'runnersweb' });
    const project = await createProject(instance.context.db, group, { path: 'app' });
    await addMember(instance.context.db, project, root, ACCESS_LEVELS.maintainer);
    const shared = await registerRunner(instance, adminPat, {
      runner_type: 'instance_type',
      description: 'shared',
    });
    const own = await registerRunner(instance, adminPat, {
      runner_type: 'project_type',
      project_id: project.id,
      description: 'own',
    });
    const verify = async (token: string) =>
      (await call(instance, 'POST', '/api/v4/runners/verify', { body: { token } })).status;
    expect(await verify(shared.token)).toBe(200);

    await admin.goto(`${instance.url}/`);
    await admin.getByRole('navigation').getByRole('link', { name: 'Runners' }).click();
    expect(new URL(admin.url()).pathname).toBe('/admin/runners');
    const sharedRow = admin.locator(`tr[data-runner="${shared.id}"]`);
    const ownRow = admin.locator(`tr[data-runner="${own.id}"]`);
    expect(await sharedRow.innerText()).toContain('instance');
    expect(await ownRow.innerText()).toContain('runnersweb/app');
    expect(await ownRow.innerText()).toContain('never used');
    await screenshot(admin, 'admin-runners');

    await admin.click(`button[aria-label="Reset the token of runner ${shared.id}"]`);
    await admin.waitForURL(/\/admin\/runners$/);
    const fresh = rememberSecret(await admin.getByTestId('new-token').inputValue());
    expect(fresh).toMatch(/^glrt-/);
    expect(await verify(shared.token)).toBe(403);
    expect(await verify(fresh)).toBe(200);
    await admin.reload();
    expect(await admin.getByTestId('new-token').count()).toBe(0);

    await admin.click(`button[aria-label="Delete runner ${own.id}"]`);
    await admin.waitForURL(/done=runner_deleted/);
    expect(await ownRow.count()).toBe(0);
    expect(await verify(own.token)).toBe(403);
    expect((await auditEvents(instance.context.db, 'runner.deleted')).length).toBe(1);
    expect(violations).toEqual([]);
  });

  it('refuses a new form posted without the session’s CSRF token, and changes nothing', async () => {
    for (const [path, form] of [
      ['/admin/users', { username: 'csrf-user', email: 'csrf@example.com' }],
      ['/dashboard/groups', { name: 'CSRF', path: 'csrf-group' }],
      ['/-/user_settings/password', { current_password: 'x', password: 'y', password_confirmation: 'y' }],
    ] as const) {
      const response = await admin.request.post(`${instance.url}${path}`, { form, maxRedirects: 0 });
      expect([path, response.status()]).toEqual([path, 403]);
    }
    expect(await findUserByUsernameIgnoringCase(instance.context.db, 'csrf-user')).toBeUndefined();
    await admin.goto(`${instance.url}/dashboard/groups`);
    expect(await admin.locator('body').innerText()).not.toContain('csrf-group');
  });

  it('answers 404 to a person who is not an administrator', async () => {
    const { password } = await createUserWithPassword(instance.context.db, { username: 'hal' });
    const context = await desktopContext(browser);
    const page = await context.newPage();
    await signInWithForm(page, instance.url, 'hal', password);
    expect((await page.goto(`${instance.url}/admin/runners`))!.status()).toBe(404);
    const csrf = await page.locator('input[name=authenticity_token]').first().inputValue();
    const post = await page.request.post(`${instance.url}/admin/users`, {
      form: { authenticity_token: csrf, username: 'mallory', email: 'm@example.com' },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(404);
    expect(await findUserByUsernameIgnoringCase(instance.context.db, 'mallory')).toBeUndefined();
    await context.close();
  });

  it('the home page shows what needs attention: expiring tokens, failed sign-ins, the next key rotation', async () => {
    const { user: ida, password } = await createUserWithPassword(instance.context.db, { username: 'ida' });
    const today = todayUtc(instance.context.clock);
    const soon = await givePat(depsOf(instance), ida, ['read_user'], addDays(today, 3));
    await givePat(depsOf(instance), ida, ['read_user'], addDays(today, 60));
    rememberSecret(soon.plaintext);
    expect(await signsIn('ida', 'wrong-password-1')).toBe(false);

    const context = await desktopContext(browser);
    const page = await context.newPage();
    const csp = watchCspViolations(page);
    await signInWithForm(page, instance.url, 'ida', password);
    const expiring = await page.getByTestId('expiring-tokens').innerText();
    expect(expiring).toContain(addDays(today, 3));
    expect(expiring).not.toContain(addDays(today, 60));
    expect(await page.getByTestId('failed-sign-ins').innerText()).toContain('127.0.0.1');
    expect(await page.getByTestId('instance-attention').count()).toBe(0);
    await screenshot(page, 'home-attention');
    expect(csp).toEqual([]);
    await context.close();

    await admin.goto(`${instance.url}/`);
    const instanceBox = await admin.getByTestId('instance-attention').innerText();
    expect(instanceBox).toMatch(/[1-9]\d* failed sign-ins? in the last 24 hours/);
    expect(instanceBox).toContain('Next signing-key rotation');
    expect(await admin.getByTestId('failed-sign-ins').innerText()).toContain('None.');
  });
});
