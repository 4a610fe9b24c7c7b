import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/http/route-table.ts';
import { isOffSiteRelativeLocation, safeRedirectPath } from '../../src/http/safe-redirect.ts';
import { postSignInForm, signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

/**
 * Values that must never send a browser elsewhere: the dot-segment forms the URL parser normalises
 * into `//host` (the probe's finding), backslashes and control characters browsers ignore or
 * rewrite, encoded forms, absolute URLs and scripts.
 */
const HOSTILE = [
  '/.//evil.example/x',
  '/..//evil.example/x',
  '/%2e//evil.example/x',
  '/%2E%2E//evil.example/x',
  '/a/..//evil.example/x',
  '/a/%2e%2e//evil.example/x',
  '//evil.example/x',
  '///evil.example/x',
  '/\\evil.example/x',
  '\\\\evil.example/x',
  '/\\/evil.example/x',
  '/\t/evil.example/x',
  '/\n/evil.example/x',
  '/\r\n/evil.example/x',
  '\t//evil.example/x',
  ' //evil.example/x',
  '/\u0000/evil.example/x',
  'https://evil.example/x',
  'HTTPS://evil.example/x',
  'http:evil.example/x',
  'http:/evil.example/x',
  '//tessera@evil.example/x',
  'evil.example/x',
  '%2F%2Fevil.example/x',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
];

/** A Location a browser follows without leaving `base`'s origin. */
function expectOnSite(location: string | null, base: string): void {
  expect(location).not.toBeNull();
  expect(isOffSiteRelativeLocation(location!), location!).toBe(false);
  expect(new URL(location!, base).origin, location!).toBe(new URL(base).origin);
}

describe('safeRedirectPath', () => {
  it.each(HOSTILE)('refuses %j', (value) => {
    expect(safeRedirectPath(value)).toBeNull();
    expect(safeRedirectPath(value, 'https://tessera.example')).toBeNull();
  });

  it('keeps a path of this site with its query and fragment, and this origin’s absolute URLs', () => {
    expect(safeRedirectPath('/oauth/authorize?client_id=a&state=b#c')).toBe(
      '/oauth/authorize?client_id=a&state=b#c',
    );
    expect(safeRedirectPath('/a/../b/./c')).toBe('/b/c');
    expect(safeRedirectPath('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
    expect(safeRedirectPath('https://tessera.example/x?y', 'https://tessera.example')).toBe('/x?y');
    expect(safeRedirectPath('https://tessera.example/x')).toBeNull();
  });
});

describe('redirects named by a request never leave the site', () => {
  let instance: TestInstance;
  let password: string;
  let session: BrowserSession;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'open-redirect' });
    ({ password } = await createUserWithPassword(instance.context.db, { username: 'alice' }));
    session = await signInOverHttp(instance.url, 'alice', password);
  });
  afterAll(() => instance.stop());

  it.each(HOSTILE)('signing in with redirect_to=%j lands on the start page', async (target) => {
    const response = await postSignInForm(instance.url, {
      'user[login]': 'alice',
      'user[password]': password,
      redirect_to: target,
    });
    expect([response.status, response.headers.get('location')]).toEqual([302, '/']);
  });

  it.each(HOSTILE)('a refused sign-in with redirect_to=%j does not carry it along', async (target) => {
    const response = await postSignInForm(instance.url, {
      'user[login]': 'alice',
      'user[password]': 'not the password',
      redirect_to: target,
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, instance.url);
    expect(location.pathname).toBe('/users/sign_in');
    expect(location.searchParams.get('redirect_to')).toBeNull();
  });

  it.each(HOSTILE)('a signed-in visit to the sign-in page with redirect_to=%j goes home', async (target) => {
    const response = await fetch(`${instance.url}/users/sign_in?redirect_to=${encodeURIComponent(target)}`, {
      redirect: 'manual',
      headers: { cookie: session.cookie },
    });
    expect([response.status, response.headers.get('location')]).toEqual([302, '/']);
  });

  it.each(HOSTILE)('the sign-in form for redirect_to=%j carries no return path', async (target) => {
    const response = await fetch(`${instance.url}/users/sign_in?redirect_to=${encodeURIComponent(target)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('name="redirect_to"');
  });

  it('a page that needs a session, asked for with dot segments, sends the browser to sign in on-site', async () => {
    for (const path of ['/.//evil.example/x', '/-/user_settings/personal_access_tokens?x=//evil.example']) {
      const response = await fetch(`${instance.url}${path}`, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (location !== null) expectOnSite(location, instance.url);
    }
  });

  /**
   * Every GET and POST route of the instance, signed out and signed in, with every return-path
   * parameter name a route might read set to a hostile value: a new route that redirects to what a
   * request named without the shared check fails here.
   */
  it('no route of the instance redirects off-site to a return path the request named', async () => {
    const names = ['redirect_to', 'return_to', 'redirect', 'return_path', 'returnTo', 'next', 'continue'];
    const hostile = ['/.//evil.example/x', 'https://evil.example/x', '/\\evil.example/x'];
    const routes = routeTableOf(instance.app)
      .filter((route) => (route.method === 'GET' || route.method === 'POST') && !route.url.includes('*'))
      // Signing out ends the session the signed-in walk uses: last.
      .sort((a, b) => Number(a.url.includes('sign_out')) - Number(b.url.includes('sign_out')));
    expect(routes.length).toBeGreaterThan(50);
    const offSite: string[] = [];
    for (const value of hostile) {
      const fields = Object.fromEntries(names.map((name) => [name, value]));
      const query = new URLSearchParams(fields).toString();
      for (const route of routes) {
        const path = route.url.replace(/:[A-Za-z_]+/g, '1');
        for (const cookie of ['', session.cookie]) {
          const headers: Record<string, string> = { accept: 'text/html' };
          if (cookie) headers.cookie = cookie;
          const init: RequestInit =
            route.method === 'GET'
              ? { headers }
              : {
                  method: 'POST',
                  headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
                  body: new URLSearchParams({ ...fields, authenticity_token: session.csrfToken }).toString(),
                };
          const response = await fetch(`${instance.url}${path}?${query}`, { ...init, redirect: 'manual' });
          await response.arrayBuffer();
          const location = response.headers.get('location');
          if (location === null) continue;
          const target = new URL(location, instance.url);
          if (target.origin !== new URL(instance.url).origin || isOffSiteRelativeLocation(location)) {
            offSite.push(
              `${route.method} ${route.url} (${cookie ? 'signed in' : 'signed out'}) → ${location}`,
            );
          }
        }
      }
    }
    expect(offSite).toEqual([]);
  }, 120_000);
});
