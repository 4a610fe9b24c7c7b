import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { postSignInForm, signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

const PAT_PAGE = '/-/user_settings/personal_access_tokens';

/** A form post as a browser sends it, with the session cookie and (unless told otherwise) its CSRF token. */
function postForm(
  instance: TestInstance,
  session: BrowserSession,
  path: string,
  fields: Record<string, string>,
) {
  return fetch(`${instance.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: session.cookie,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
    },
    body: new URLSearchParams({ authenticity_token: session.csrfToken, ...fields }).toString(),
  });
}

describe('web pages over plain HTTP', () => {
  let instance: TestInstance;
  let alice: User;
  let asAlice: BrowserSession;
  let asBob: BrowserSession;
  let aliceToken: string;
  let aliceTokenId: number;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'web-pages' });
    const made = await createUserWithPassword(instance.context.db, { username: 'alice' });
    const bob = await createUserWithPassword(instance.context.db, { username: 'bob' });
    alice = made.user;
    asAlice = await signInOverHttp(instance.url, 'alice', made.password);
    asBob = await signInOverHttp(instance.url, 'bob', bob.password);
    const issued = await issuePersonalAccessToken(accessTokenDeps(instance.context), {
      user: alice,
      name: 'script',
      scopes: ['api'],
    });
    aliceToken = rememberSecret(issued.plaintext);
    aliceTokenId = issued.token.id;
  });
  afterAll(async () => instance.stop());

  it('a signed-out visitor is sent to the sign-in page, which has labelled fields', async () => {
    const page = await fetch(`${instance.url}${PAT_PAGE}`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/users/sign_in?redirect_to=${encodeURIComponent(PAT_PAGE)}`);
    const signIn = await fetch(`${instance.url}/users/sign_in`);
    expect(signIn.status).toBe(200);
    const body = await signIn.text();
    expect(body).toContain('<label for="user_login">Username or email</label>');
    expect(body).toContain('<label for="user_password">Password</label>');
  });

  it('every page names its icon, and /favicon.ico answers it too (no 404 in any log)', async () => {
    const signIn = await (await fetch(`${instance.url}/users/sign_in`)).text();
    const href = /<link rel="icon" href="([^"]+)"/.exec(signIn)?.[1];
    for (const path of [href, '/favicon.ico']) {
      const icon = await fetch(`${instance.url}${path}`);
      expect(icon.status, path).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
      expect(await icon.text()).toMatch(/^<svg /);
    }
  });

  it('an access token does not open the pages: they answer sessions only', async () => {
    const page = await fetch(`${instance.url}${PAT_PAGE}`, {
      redirect: 'manual',
      headers: { 'private-token': aliceToken },
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/users/sign_in?redirect_to=${encodeURIComponent(PAT_PAGE)}`);
    // Nor can a token drive the forms (which are not CSRF-checked for tokens).
    const post = await fetch(`${instance.url}${PAT_PAGE}`, {
      method: 'POST',
      headers: { 'private-token': aliceToken, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'via-token', scopes: 'api', expires_at: '2099-01-01' }).toString(),
    });
    expect(post.status).toBe(401);
    expect(await post.text()).toContain('Your session has ended or you are not signed in.');
  });

  it('a refused sign-in form without a password comes back with its own message; JSON clients keep JSON', async () => {
    const form = await postSignInForm(instance.url, { 'user[login]': 'alice' });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/users/sign_in?error=missing_field');
    const page = await fetch(`${instance.url}/users/sign_in?error=missing_field`);
    expect(await page.text()).toContain('Enter both your username (or email) and your password.');

    const json = await fetch(`${instance.url}/users/sign_in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice', password: 'wrong' }),
    });
    expect(json.status).toBe(401);
    expect(await json.json()).toEqual({ message: 'Invalid login or password.' });
  });

  it('a form with a problem comes back as 400 with the message and the values kept', async () => {
    const response = await postForm(instance, asAlice, PAT_PAGE, {
      name: 'kept-name',
      expires_at: '2099-01-01',
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('Scopes is missing.');
    expect(body).toContain('value="kept-name"');
  });

  it('the new secret rides to the next page once, and only to the session that made it', async () => {
    const created = await postForm(instance, asAlice, PAT_PAGE, {
      name: 'once',
      scopes: 'read_api',
      expires_at: new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10),
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(PAT_PAGE);
    const flash = created.headers.getSetCookie().find((c) => c.startsWith('_tessera_new_token='))!;
    expect(flash).toMatch(/; Path=\/-\/user_settings\/personal_access_tokens/);
    expect(flash).toMatch(/; HttpOnly/);
    expect(flash).toMatch(/; SameSite=Strict/);
    const carried = flash.split(';')[0]!;

    // Bob's browser presenting Alice's sealed notice sees nothing (bound to her session).
    const stolen = await fetch(`${instance.url}${PAT_PAGE}`, {
      headers: { cookie: `${asBob.cookie}; ${carried}` },
    });
    expect(stolen.status).toBe(200);
    expect(await stolen.text()).not.toContain('data-testid="new-token"');

    const shown = await fetch(`${instance.url}${PAT_PAGE}`, {
      headers: { cookie: `${asAlice.cookie}; ${carried}` },
    });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    const secret = /data-testid="new-token"[^>]*value="(glpat-[^"]+)"/s.exec(await shown.text())?.[1];
    expect(secret).toMatch(/^glpat-/);
    rememberSecret(secret!);
    expect(shown.headers.getSetCookie().some((c) => c.startsWith('_tessera_new_token=;'))).toBe(true);
  });

  it('a token of someone else cannot be revoked from the page (404), and nothing changes', async () => {
    const bobsView = await postForm(instance, asBob, `${PAT_PAGE}/${aliceTokenId}/revoke`, {});
    expect(bobsView.status).toBe(404);
    const self = await fetch(`${instance.url}/api/v4/personal_access_tokens/self`, {
      headers: { 'private-token': aliceToken },
    });
    expect(self.status).toBe(200);
    expect(await self.json()).toMatchObject({ name: 'script', revoked: false });
  });

  it('rotating from a stale page refuses (409) instead of revoking the fresh token’s family', async () => {
    const issued = await issuePersonalAccessToken(accessTokenDeps(instance.context), {
      user: alice,
      name: 'two-tabs',
      scopes: ['read_api'],
    });
    rememberSecret(issued.plaintext);
    const first = await postForm(instance, asAlice, `${PAT_PAGE}/${issued.token.id}/rotate`, {});
    expect(first.status).toBe(303);
    const second = await postForm(instance, asAlice, `${PAT_PAGE}/${issued.token.id}/rotate`, {});
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('“two-tabs” is revoked and cannot be rotated.');
    const live = await instance.context.db
      .selectFrom('access_tokens')
      .select(['revoked'])
      .where('previous_token_id', '=', issued.token.id)
      .executeTakeFirstOrThrow();
    expect(live.revoked).toBe(0);
  });

  it('admin pages are 404 for a person, even for a post that carries a valid CSRF token', async () => {
    const response = await postForm(instance, asBob, '/admin/signing_keys/rotate', {});
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('There is no such page, or you may not see it.');
  });

  it('flow docs are served as help pages; nothing outside docs/ is', async () => {
    const flow = await fetch(`${instance.url}/help/flows/personal-access-tokens`);
    expect(flow.status).toBe(200);
    expect(await flow.text()).toContain('sequenceDiagram');
    for (const path of [
      '/help/../package',
      '/help/%2e%2e/package',
      '/help/flows/..%2F..%2Fpackage',
      '/help/nope',
    ]) {
      const response = await fetch(`${instance.url}${path}`);
      expect(response.status).toBe(404);
    }
  });
});
