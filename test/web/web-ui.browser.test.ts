import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { postSignInForm } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import {
  desktopContext,
  expectHtml,
  launchChromium,
  screenshot,
  signInWithForm,
  textOf,
  watchCspViolations,
} from './browser.ts';

const PAT_PAGE = '/-/user_settings/personal_access_tokens';
const ADMIN_PAGES = ['/admin/users', '/admin/signing_keys', '/admin/audit_logs', '/admin/token_inspector'];
const LIMIT = 4;

/** `GET /api/v4/user` with a token, as any API client would. */
async function apiUser(instance: TestInstance, token: string) {
  const response = await fetch(`${instance.url}/api/v4/user`, { headers: { 'private-token': token } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The `cookie` header of a browser context, for requests the test sends itself. */
async function cookieHeader(context: BrowserContext): Promise<string> {
  const cookies = await context.cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

describe('the web UI in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let alice: { user: User; password: string };
  let root: { user: User; password: string };
  let asAlice: BrowserContext;
  let alicePage: Page;
  let asRoot: BrowserContext;
  let rootPage: Page;
  let violations: string[][] = [];
  let newKid = '';
  /** Every value pasted into the inspector: none may reach a log. */
  const pasted: string[] = [];
  let createdToken = '';
  let rotatedToken = '';
  const startedAt = new Date();

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'web-ui',
      env: { TESSERA_AUTH_FAILURE_LIMIT: String(LIMIT), TESSERA_AUTH_FAILURE_WINDOW: '600' },
    });
    const db = instance.context.db;
    root = await createUserWithPassword(db, { username: 'root', name: 'Administrator', is_admin: 1 });
    alice = await createUserWithPassword(db, { username: 'alice', name: 'Alice Liddell' });
    browser = await launchChromium();
    asAlice = await desktopContext(browser);
    await asAlice.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: instance.url });
    alicePage = await asAlice.newPage();
    asRoot = await desktopContext(browser);
    rootPage = await asRoot.newPage();
    violations = [watchCspViolations(alicePage), watchCspViolations(rootPage)];
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('a wrong password sends the browser back to the sign-in page with a clear message', async () => {
    await alicePage.goto(`${instance.url}/users/sign_in`);
    await screenshot(alicePage, 'sign-in');
    await signInWithForm(alicePage, instance.url, 'alice', 'not-her-password');
    expect(new URL(alicePage.url()).pathname).toBe('/users/sign_in');
    await expect(alicePage.getByRole('alert').innerText()).resolves.toBe('Invalid login or password.');
    await screenshot(alicePage, 'sign-in-error');

    // The same form post from a script (page loaded first, for its token): a redirect with the
    // reason, not a JSON 401.
    const response = await postSignInForm(instance.url, {
      'user[login]': 'alice',
      'user[password]': 'wrong-again',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/users/sign_in?error=invalid_login');
  });

  it('signing in lands on the start page with the user and a sign-out button in the header', async () => {
    await signInWithForm(alicePage, instance.url, 'alice', alice.password);
    expect(new URL(alicePage.url()).pathname).toBe('/');
    expect(await textOf(alicePage, 'signed-in-user')).toBe('Alice Liddell @alice');
    // `waitFor` rather than `isVisible`: the latter answers at once, before the page may have rendered.
    await alicePage.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
    // A person who is not an administrator is not shown the admin section.
    await expect(alicePage.getByRole('navigation', { name: 'Main' }).innerText()).resolves.not.toContain(
      'Admin',
    );
    await screenshot(alicePage, 'home');
  });

  it('a token created through the form is shown once, copies exactly, and works on the API', async () => {
    await alicePage.goto(`${instance.url}${PAT_PAGE}`);
    await screenshot(alicePage, 'access-tokens');
    await alicePage.getByLabel('Token name').fill('laptop');
    await alicePage.getByRole('checkbox', { name: /^api\b/ }).check();
    await alicePage.getByRole('checkbox', { name: /^read_user\b/ }).check();
    const expiry = alicePage.getByLabel(/Expiration date/);
    expect(await expiry.getAttribute('max')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const shown = alicePage.waitForResponse(
      (r) => r.url() === `${instance.url}${PAT_PAGE}` && r.request().method() === 'GET',
    );
    await alicePage.getByRole('button', { name: 'Create token' }).click();
    const page = await shown;
    expect(page.status()).toBe(200);
    expect(page.headers()['cache-control']).toBe('no-store');

    const field = alicePage.getByTestId('new-token');
    const secret = rememberSecret(await field.inputValue());
    expect(secret).toMatch(/^glpat-[A-Za-z0-9_-]{20,}$/);
    await alicePage
      .getByText("Make sure you save it now — you won't be able to see it again.")
      .waitFor({ state: 'visible' });
    await alicePage.getByRole('button', { name: 'Copy token' }).click();
    // The clipboard write is asynchronous: the button says "Copied" once it has finished.
    await alicePage.getByRole('button', { name: 'Copied' }).waitFor({ state: 'visible', timeout: 10_000 });
    createdToken = await alicePage.evaluate<string>('navigator.clipboard.readText()');
    expect(createdToken).toBe(secret);
    await screenshot(alicePage, 'access-token-created');

    const used = await apiUser(instance, createdToken);
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ id: alice.user.id, username: 'alice' });

    await alicePage.reload();
    expect(await alicePage.getByTestId('new-token').count()).toBe(0);
    expect(await alicePage.content()).not.toContain(secret);
    const row = alicePage.locator('tr', { hasText: 'laptop' });
    expect(await row.locator('td').nth(1).innerText()).toBe('api, read_user');
    expect(await row.locator('.badge').innerText()).toBe('active');
  });

  it('revoking asks first; cancelling keeps the token, confirming kills it (401)', async () => {
    const row = alicePage.locator('tr', { hasText: 'laptop' });
    alicePage.once('dialog', (dialog) => void dialog.dismiss());
    await row.getByRole('button', { name: 'Revoke laptop' }).click();
    expect(await row.locator('.badge').innerText()).toBe('active');
    expect((await apiUser(instance, createdToken)).status).toBe(200);

    let question = '';
    alicePage.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await Promise.all([
      alicePage.waitForURL(/revoked=/),
      row.getByRole('button', { name: 'Revoke laptop' }).click(),
    ]);
    expect(question).toContain('Revoke “laptop”?');
    await expect(alicePage.getByRole('status').first().innerText()).resolves.toContain(
      '“laptop” was revoked',
    );
    expect(await alicePage.locator('tr', { hasText: 'laptop' }).locator('.badge').innerText()).toBe(
      'revoked',
    );
    const refused = await apiUser(instance, createdToken);
    expect(refused).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
  });

  it('rotating shows the new secret once; the old secret stops working, the new one works', async () => {
    await alicePage.getByLabel('Token name').fill('ci-runner');
    await alicePage.getByRole('checkbox', { name: /^read_api\b/ }).check();
    await alicePage.getByRole('button', { name: 'Create token' }).click();
    const first = rememberSecret(await alicePage.getByTestId('new-token').inputValue());

    alicePage.once('dialog', (dialog) => void dialog.accept());
    await alicePage
      .locator('tr', { hasText: 'ci-runner' })
      .first()
      .getByRole('button', { name: 'Rotate ci-runner' })
      .click();
    await alicePage.getByTestId('new-token').waitFor();
    expect(await alicePage.getByRole('heading', { name: 'Your rotated token' }).count()).toBe(1);
    rotatedToken = rememberSecret(await alicePage.getByTestId('new-token').inputValue());
    expect(rotatedToken).not.toBe(first);
    expect((await apiUser(instance, first)).status).toBe(401);
    const rotated = await fetch(`${instance.url}/api/v4/personal_access_tokens/self`, {
      headers: { 'private-token': rotatedToken },
    });
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ name: 'ci-runner', scopes: ['read_api'], active: true });
  });

  it('a form post without the CSRF token is refused and changes nothing', async () => {
    const before = await instance.context.db.selectFrom('access_tokens').select('id').execute();
    const response = await fetch(`${instance.url}${PAT_PAGE}`, {
      method: 'POST',
      headers: {
        cookie: await cookieHeader(asAlice),
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
      },
      body: new URLSearchParams({ name: 'planted', scopes: 'api', expires_at: '2099-01-01' }).toString(),
    });
    expect(response.status).toBe(403);
    expectHtml(response);
    expect(await response.text()).toContain('its CSRF token is missing or stale');
    const after = await instance.context.db.selectFrom('access_tokens').select('id').execute();
    expect(after).toHaveLength(before.length);
  });

  it('a person who is not an administrator gets 404 on every admin page', async () => {
    for (const path of ADMIN_PAGES) {
      const response = await alicePage.goto(`${instance.url}${path}`);
      expect(response?.status()).toBe(404);
      expect(await textOf(alicePage, 'error-text')).toBe('There is no such page, or you may not see it.');
    }
    const post = await fetch(`${instance.url}/admin/signing_keys/rotate`, {
      method: 'POST',
      headers: { cookie: await cookieHeader(asAlice), 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(post.status).toBe(403);
  });

  it('an administrator rotates the signing keys and sees the new active kid, also in the JWKS', async () => {
    await signInWithForm(rootPage, instance.url, 'root', root.password);
    await rootPage.goto(`${instance.url}/admin/users`);
    await screenshot(rootPage, 'admin-users');
    await rootPage.goto(`${instance.url}/admin/signing_keys`);
    const before = await textOf(rootPage, 'active-kid');
    const next = await rootPage.locator('tr[data-state="next"] code').innerText();
    await screenshot(rootPage, 'signing-keys');
    rootPage.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      rootPage.waitForURL(/rotated=/),
      rootPage.getByRole('button', { name: 'Rotate now' }).click(),
    ]);
    const after = await textOf(rootPage, 'active-kid');
    expect(after).not.toBe(before);
    expect(after).toBe(next);
    await expect(rootPage.getByRole('status').first().innerText()).resolves.toContain(
      `Keys rotated: ${after}`,
    );
    expect(await rootPage.locator('tr[data-state="retired"] code').innerText()).toBe(before);

    const jwks = await fetch(`${instance.url}/oauth/discovery/keys`);
    const kids = ((await jwks.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    expect(kids[0]).toBe(after);
    expect(kids).toContain(before);
    newKid = after;
  });

  it('the audit log filters by actor, target type, action and time and shows the steps above', async () => {
    await rootPage.goto(`${instance.url}/admin/audit_logs`);
    await rootPage.getByLabel(/^Actor/).fill('alice');
    await rootPage.getByLabel('Target type').fill('PersonalAccessToken');
    await rootPage.getByLabel(/^From/).fill(startedAt.toISOString().slice(0, 16));
    await rootPage.getByRole('button', { name: 'Filter' }).click();
    const actions = await rootPage
      .locator('[data-testid="audit-table"] tbody tr td:nth-child(3)')
      .allInnerTexts();
    expect(actions).toEqual([
      'personal_access_token.rotated',
      'personal_access_token.created',
      'personal_access_token.revoked',
      'personal_access_token.created',
    ]);
    await screenshot(rootPage, 'audit-log');

    await rootPage.goto(`${instance.url}/admin/audit_logs?action=signing_key.activated&actor=root`);
    const rows = rootPage.locator('[data-testid="audit-table"] tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain(`signing_key ${newKid}`);

    await rootPage.goto(`${instance.url}/admin/audit_logs?created_before=2000-01-01T00:00`);
    expect(await textOf(rootPage, 'audit-empty')).toBe('No events match.');

    const unknown = await rootPage.goto(`${instance.url}/admin/audit_logs?actor=nobody-here`);
    expect(unknown?.status()).toBe(400);
    await expect(rootPage.getByRole('alert').innerText()).resolves.toBe(
      'Actor: no user is named “nobody-here”.',
    );
  });

  it('the token inspector identifies a PAT: owner, scopes, state — without echoing it', async () => {
    const inspect = async (value: string, audience = '') => {
      pasted.push(value);
      await rootPage.goto(`${instance.url}/admin/token_inspector`);
      await rootPage.getByLabel(/^Credential or JWT/).fill(value);
      await rootPage.getByLabel(/^Expected audience/).fill(audience);
      await rootPage.getByRole('button', { name: 'Inspect' }).click();
      await rootPage.getByTestId('inspection').waitFor();
      expect(await rootPage.content()).not.toContain(value);
      expect(await rootPage.getByLabel(/^Credential or JWT/).inputValue()).toBe('');
    };

    await inspect(rotatedToken);
    expect(await textOf(rootPage, 'inspection-type')).toBe('personal_access_token');
    expect(await textOf(rootPage, 'inspection-owner')).toBe(`alice id ${alice.user.id}`);
    expect(await textOf(rootPage, 'inspection-scopes')).toBe('read_api');
    expect(await textOf(rootPage, 'inspection-state')).toBe('active');
    await screenshot(rootPage, 'token-inspector-pat');

    await inspect(createdToken);
    expect(await textOf(rootPage, 'inspection-state')).toBe('revoked');
  });

  it('the token inspector passes every check of a JWT the instance signed, and fails a tampered one', async () => {
    const inspect = async (value: string, audience = '') => {
      pasted.push(value);
      await rootPage.goto(`${instance.url}/admin/token_inspector`);
      await rootPage.getByLabel(/^Credential or JWT/).fill(value);
      await rootPage.getByLabel(/^Expected audience/).fill(audience);
      await rootPage.getByRole('button', { name: 'Inspect' }).click();
      await rootPage.getByTestId('inspection').waitFor();
      expect(await rootPage.content()).not.toContain(value);
    };
    const checks = async () =>
      Object.fromEntries(
        await rootPage
          .locator('[data-testid="jwt-checks"] tbody tr')
          .evaluateAll((rows) =>
            rows.map((row) => [row.getAttribute('data-check'), row.querySelector('.badge')?.textContent]),
          ),
      );

    const jwt = rememberSecret(
      await instance.context.keys.signJwt(
        'instance',
        { user_login: 'alice', scopes: ['read_api'] },
        { typ: 'JWT', expiresInSeconds: 300, audience: 'https://vault.example', subject: 'user:alice' },
      ),
    );
    await inspect(jwt, 'https://vault.example');
    expect(await checks()).toEqual({ signature: 'pass', iss: 'pass', aud: 'pass', time: 'pass' });
    expect(await textOf(rootPage, 'inspection-state')).toBe('valid');
    expect(await textOf(rootPage, 'inspection-owner')).toBe('alice');
    const claims = JSON.parse(await rootPage.getByTestId('jwt-claims').innerText()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({ iss: instance.url, aud: 'https://vault.example', sub: 'user:alice' });
    await screenshot(rootPage, 'token-inspector-jwt');

    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), user_login: 'root' }),
    ).toString('base64url');
    const tampered = rememberSecret(`${header}.${forged}.${signature}`);
    await inspect(tampered, 'https://vault.example');
    expect(await checks()).toEqual({ signature: 'fail', iss: 'pass', aud: 'pass', time: 'pass' });
    expect(await textOf(rootPage, 'inspection-state')).toBe('invalid');

    await inspect(jwt, 'https://other.example');
    expect((await checks()).aud).toBe('fail');
  });

  it('pages carry a strict CSP, run no inline script, and nothing pasted reached the log', async () => {
    const response = await fetch(`${instance.url}/admin/token_inspector`, {
      headers: { cookie: await cookieHeader(asRoot) },
    });
    expect(response.status).toBe(200);
    expectHtml(response);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(violations.flat()).toEqual([]);

    const log = readFileSync(join(testLogDir(), `web-ui-${instance.settings.port}.log`), 'utf8');
    expect(log).toContain('/admin/token_inspector');
    for (const value of pasted) expect(log).not.toContain(value);
  });

  it('signing out ends the session: pages send the browser back to sign-in', async () => {
    await alicePage.goto(`${instance.url}${PAT_PAGE}`);
    await Promise.all([
      alicePage.waitForURL(/\/users\/sign_in$/),
      alicePage.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    await alicePage.goto(`${instance.url}${PAT_PAGE}`);
    expect(new URL(alicePage.url()).pathname).toBe('/users/sign_in');
  });

  it('sign-in and token creation work without JavaScript, on a 375 px wide screen', async () => {
    const bare = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 800 },
    });
    const page = await bare.newPage();
    await signInWithForm(page, instance.url, 'alice', alice.password);
    await page.goto(`${instance.url}${PAT_PAGE}`);
    await page.getByLabel('Token name').fill('no-script');
    await page.getByRole('checkbox', { name: /^read_user\b/ }).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = rememberSecret(await page.getByTestId('new-token').inputValue());
    expect((await apiUser(instance, secret)).status).toBe(200);
    // The copy button needs script, so without it there is none; the field can still be selected.
    expect(await page.getByRole('button', { name: 'Copy token' }).count()).toBe(0);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'access-token-created-375px');
    await bare.close();
  });

  it('after too many failures the sign-in page says sign-in is paused and when to retry', async () => {
    const context = await desktopContext(browser);
    const page = await context.newPage();
    let message = '';
    for (let attempt = 1; attempt <= LIMIT + 1 && !message.startsWith('Too many'); attempt += 1) {
      await signInWithForm(page, instance.url, 'root', `wrong-${attempt}`);
      message = await page.getByRole('alert').innerText();
    }
    expect(message).toMatch(
      /^Too many failed sign-in attempts\. Sign-in is paused for this account and address\. Try again in \d+ (seconds|minutes)\.$/,
    );
    // Even the right password waits now.
    await signInWithForm(page, instance.url, 'root', root.password);
    expect(new URL(page.url()).searchParams.get('error')).toBe('rate_limited');
    await screenshot(page, 'sign-in-rate-limited');
    await context.close();
  });
});
