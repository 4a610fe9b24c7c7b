import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { auditEvents, createUserWithPassword } from './identity-fixtures.ts';
import {
  asBrowser,
  loadSignInForm,
  postFrom,
  postSignInForm,
  sessionCookieOf,
  signInOverHttp,
} from './http-session.ts';

const LIMIT = 3;

describe('signing in over HTTP', () => {
  let instance: TestInstance;
  let alice: User;
  let password: string;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'sign-in',
      env: { TESSERA_AUTH_FAILURE_LIMIT: String(LIMIT), TESSERA_AUTH_FAILURE_WINDOW: '600' },
    });
    ({ user: alice, password } = await createUserWithPassword(instance.context.db, {
      username: 'alice',
      email: 'alice@example.com',
    }));
  });
  afterAll(async () => instance.stop());

  it('a JSON sign-in by username answers the user and a CSRF token, and sets a hardened cookie', async () => {
    const response = await fetch(`${instance.url}/users/sign_in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: alice.id, username: 'alice', csrf_token: expect.any(String) });
    rememberSecret(body.csrf_token as string);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('_tessera_session='))!;
    sessionCookieOf(response);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('a browser form post by email (GitLab’s field names) is redirected home with the cookie', async () => {
    const response = await postSignInForm(instance.url, {
      'user[login]': 'Alice@Example.com',
      'user[password]': password,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
    const cookie = sessionCookieOf(response);
    const session = await fetch(`${instance.url}/-/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({
      user: { id: alice.id, username: 'alice' },
      csrf_token: expect.any(String),
    });
  });

  it('a form post by username from a script answers JSON; the plain `login` field works too', async () => {
    const forms: Record<string, string>[] = [
      { 'user[login]': 'alice', 'user[password]': password },
      { login: 'alice', password },
    ];
    for (const fields of forms) {
      // The form's token and pre-session cookie, as any form post needs (login CSRF).
      const form = await loadSignInForm(instance.url);
      const response = await fetch(`${instance.url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
        body: new URLSearchParams({ ...fields, authenticity_token: form.authenticityToken }).toString(),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: alice.id, username: 'alice' });
      sessionCookieOf(response);
    }
  });

  it('a JSON sign-in by email works', async () => {
    const session = await signInOverHttp(instance.url, 'alice@example.com', password);
    expect(session.userId).toBe(alice.id);
  });

  it('a wrong password and an unknown user get the same 401, and no cookie', async () => {
    const wrong = rememberSecret('definitely-wrong');
    const answers = [];
    for (const [login, from] of [
      ['alice', '127.0.0.2'],
      ['no-such-user', '127.0.0.3'],
    ] as const) {
      const response = await postFrom(from, `${instance.url}/users/sign_in`, { login, password: wrong });
      expect(response.headers['set-cookie']).toBeUndefined();
      answers.push({ status: response.status, body: response.body });
    }
    expect(answers[0]).toEqual({ status: 401, body: { message: 'Invalid login or password.' } });
    expect(answers[1]).toEqual(answers[0]);
  });

  it('too many failures lock the account (from any address) with 429 and Retry-After, and the lockout is audited', async () => {
    const { user: bob, password: bobs } = await createUserWithPassword(instance.context.db, {
      username: 'bob',
    });
    for (let i = 0; i < LIMIT; i++) {
      const failed = await postFrom(`127.0.1.${i + 1}`, `${instance.url}/users/sign_in`, {
        login: 'bob',
        password: 'nope-nope',
      });
      expect(failed.status).toBe(401);
    }
    const locked = await postFrom('127.0.1.99', `${instance.url}/users/sign_in`, {
      login: 'bob',
      password: bobs,
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(500);
    expect(locked.body).toEqual({ message: 'Too many failed sign-in attempts. Retry later.' });
    const lockouts = (await auditEvents(instance.context.db, 'user.sign_in_locked')).filter(
      (e) => e.entity_id === String(bob.id),
    );
    expect(lockouts.map((e) => e.details.scope)).toEqual(['account']);
    const failures = (await auditEvents(instance.context.db, 'user.sign_in_failed')).filter(
      (e) => e.entity_id === String(bob.id),
    );
    expect(failures).toHaveLength(LIMIT);
    expect(JSON.stringify(failures)).not.toContain('nope-nope');
  });

  it('too many failures from one address lock that address for every account, and only it', async () => {
    for (let i = 0; i < LIMIT; i++) {
      await postFrom('127.0.2.1', `${instance.url}/users/sign_in`, {
        login: `ghost-${i}`,
        password: 'nope-nope',
      });
    }
    const locked = await postFrom('127.0.2.1', `${instance.url}/users/sign_in`, { login: 'alice', password });
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toMatch(/^\d+$/);
    const lockouts = await auditEvents(instance.context.db, 'user.sign_in_locked');
    expect(lockouts.some((e) => e.details.scope === 'address' && e.ip_address === '127.0.2.1')).toBe(true);
    const elsewhere = await postFrom('127.0.2.2', `${instance.url}/users/sign_in`, {
      login: 'alice',
      password,
    });
    expect(elsewhere.status).toBe(200);
    rememberSecret((elsewhere.body as { csrf_token: string }).csrf_token);
  });

  it('signing out deletes the session: the cookie no longer opens anything', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    expect((await asBrowser(session, `${instance.url}/api/v4/user`)).status).toBe(200);
    const out = await asBrowser(session, `${instance.url}/users/sign_out`, { method: 'POST' });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/_tessera_session=;/);
    const after = await asBrowser(session, `${instance.url}/api/v4/user`);
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ message: '401 Unauthorized' });
    expect((await auditEvents(instance.context.db, 'user.signed_out')).at(-1)).toMatchObject({
      author_name: 'alice',
    });
  });
});
