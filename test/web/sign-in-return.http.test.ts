import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/web/sign-in-refusal.ts';
import { postSignInForm } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

const PAT_PAGE = '/-/user_settings/personal_access_tokens';

/** A browser's sign-in form post (the form loaded first, for its token), not following the redirect. */
function postSignIn(instance: TestInstance, fields: Record<string, string>): Promise<Response> {
  return postSignInForm(instance.url, fields);
}

describe('coming back to the page that asked for a sign-in', () => {
  let instance: TestInstance;
  let password: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'sign-in-return' });
    ({ password } = await createUserWithPassword(instance.context.db, { username: 'alice' }));
  });
  afterAll(() => instance.stop());

  it('a page needing a session sends the browser to sign in with where it was going', async () => {
    const response = await fetch(`${instance.url}${PAT_PAGE}?page=2`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `/users/sign_in?redirect_to=${encodeURIComponent(`${PAT_PAGE}?page=2`)}`,
    );
    const form = await (await fetch(`${instance.url}${response.headers.get('location')}`)).text();
    expect(form).toContain(`<input type="hidden" name="redirect_to" value="${PAT_PAGE}?page=2" />`);
  });

  it('after signing in the browser goes back there', async () => {
    const response = await postSignIn(instance, {
      'user[login]': 'alice',
      'user[password]': password,
      redirect_to: `${PAT_PAGE}?page=2`,
    });
    expect([response.status, response.headers.get('location')]).toEqual([302, `${PAT_PAGE}?page=2`]);
  });

  it('a refused sign-in keeps where it was going for the next try', async () => {
    const response = await postSignIn(instance, {
      'user[login]': 'alice',
      'user[password]': 'not the password',
      redirect_to: PAT_PAGE,
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, instance.url);
    expect(location.searchParams.get('error')).toBe('invalid_login');
    expect(location.searchParams.get('redirect_to')).toBe(PAT_PAGE);
  });

  it.each(['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\tx'])(
    'never leaves the site for %j: the start page instead',
    async (target) => {
      const response = await postSignIn(instance, {
        'user[login]': 'alice',
        'user[password]': password,
        redirect_to: target,
      });
      expect([response.status, response.headers.get('location')]).toEqual([302, '/']);
    },
  );
});

describe('safeReturnPath', () => {
  it('keeps a path of this site with its query', () => {
    expect(safeReturnPath('/oauth/authorize?client_id=a&state=b')).toBe(
      '/oauth/authorize?client_id=a&state=b',
    );
    expect(safeReturnPath('/users/sign_in?redirect_to=/x')).toBeNull();
  });

  it('never yields a value that resolves to another origin, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((s) => `/${s}`),
        ),
        (input) => {
          const path = safeReturnPath(input);
          if (path === null) return;
          expect(new URL(path, 'https://tessera.example').origin).toBe('https://tessera.example');
          expect(path.startsWith('/') && !path.startsWith('//')).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
