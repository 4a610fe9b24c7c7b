import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSignInForm, postSignInForm, signInOverHttp } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

/** Login CSRF: another site must not be able to sign a browser into an account of its choosing. */
describe('the sign-in form needs its authenticity token', () => {
  let instance: TestInstance;
  let password: string;
  const fields = () => ({ 'user[login]': 'mallory', 'user[password]': password });

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'login-csrf' });
    ({ password } = await createUserWithPassword(instance.context.db, { username: 'mallory' }));
  });
  afterAll(() => instance.stop());

  const sessionCount = async () =>
    Number(
      (
        await instance.context.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** A refused post: GitLab's 422, no session cookie, no session row. */
  async function expectRefused(response: Response, before: number): Promise<void> {
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      message: "422 Unprocessable Entity - Can't verify CSRF token authenticity.",
    });
    expect(response.headers.getSetCookie().some((c) => c.startsWith('_tessera_session='))).toBe(false);
    expect(await sessionCount()).toBe(before);
  }

  it('the form page sets a pre-session cookie only the sign-in path sees, and a token bound to it', async () => {
    const response = await fetch(`${instance.url}/users/sign_in`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('_tessera_pre_session='))!;
    expect(cookie).toMatch(/; Path=\/users\/sign_in/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(await response.text()).toMatch(/name="authenticity_token" value="[A-Za-z0-9_-]{43}"/);
    // The same browser keeps its pre-session, so a refused try's next form still matches.
    const again = await loadSignInForm(instance.url, cookie.split(';')[0]!);
    expect(again.cookie).toBe(cookie.split(';')[0]);
  });

  it('a form post with the form’s token and cookie signs in', async () => {
    const response = await postSignInForm(instance.url, fields());
    expect([response.status, response.headers.get('location')]).toEqual([302, '/']);
    // The pre-session has done its job.
    expect(response.headers.getSetCookie().some((c) => c.startsWith('_tessera_pre_session=;'))).toBe(true);
  });

  it('another site’s form post (no cookie, no token) is a 422 that changes nothing', async () => {
    const before = await sessionCount();
    const response = await fetch(`${instance.url}/users/sign_in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams(fields()).toString(),
    });
    await expectRefused(response, before);
  });

  it('a token without its cookie, a cookie without its token, or another browser’s token: 422', async () => {
    const mine = await loadSignInForm(instance.url);
    const theirs = await loadSignInForm(instance.url);
    const before = await sessionCount();
    for (const form of [
      { cookie: '', authenticityToken: mine.authenticityToken },
      { cookie: mine.cookie, authenticityToken: '' },
      { cookie: mine.cookie, authenticityToken: theirs.authenticityToken },
      {
        cookie: '_tessera_pre_session=forged-but-well-formed-value',
        authenticityToken: mine.authenticityToken,
      },
    ]) {
      await expectRefused(await postSignInForm(instance.url, fields(), form), before);
    }
  });

  it('a refused token is checked before the password: no failure is counted', async () => {
    const response = await postSignInForm(
      instance.url,
      { 'user[login]': 'mallory', 'user[password]': 'wrong' },
      { cookie: '', authenticityToken: '' },
    );
    expect(response.status).toBe(422);
    const failures = await instance.context.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'user.sign_in_failed')
      .execute();
    expect(failures).toEqual([]);
  });

  it('an API client’s JSON sign-in needs no token only while it carries no cookie at all', async () => {
    expect((await signInOverHttp(instance.url, 'mallory', password)).userId).toBeGreaterThan(0);
    const before = await sessionCount();
    for (const cookie of ['_tessera_session=old', 'anything=else']) {
      const response = await fetch(`${instance.url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ login: 'mallory', password }),
      });
      await expectRefused(response, before);
    }
    // With cookies, the form's token in the header works, as for any other script.
    const form = await loadSignInForm(instance.url);
    const response = await fetch(`${instance.url}/users/sign_in`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: form.cookie,
        'x-csrf-token': form.authenticityToken,
      },
      body: JSON.stringify({ login: 'mallory', password }),
    });
    expect(response.status).toBe(200);
    await response.json();
  });
});
