import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import type { User } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUserWithPassword } from './identity-fixtures.ts';
import { asBrowser, signInOverHttp } from './http-session.ts';

const IDLE = 900;
const ABSOLUTE = 3600;
const CSRF_REFUSAL = { message: '403 Forbidden - CSRF token invalid' };

describe('browser sessions over HTTP', () => {
  const clock = new ManualClock();
  let instance: TestInstance;
  let alice: User;
  let password: string;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'session-security',
      clock,
      env: { TESSERA_SESSION_IDLE_TIMEOUT: String(IDLE), TESSERA_SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE) },
    });
    ({ user: alice, password } = await createUserWithPassword(instance.context.db, { username: 'alice' }));
  });
  afterAll(async () => instance.stop());

  const newGroup = (path: string) => ({ name: path, path });

  it('a write with the session cookie but no CSRF token is refused with 403 and changes nothing', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    const refused = await asBrowser(session, `${instance.url}/api/v4/groups`, {
      method: 'POST',
      json: newGroup('no-token'),
      csrf: false,
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual(CSRF_REFUSAL);
    const wrong = await fetch(`${instance.url}/api/v4/groups`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json', 'x-csrf-token': 'forged' },
      body: JSON.stringify(newGroup('forged-token')),
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual(CSRF_REFUSAL);
    expect((await asBrowser(session, `${instance.url}/api/v4/groups/no-token`)).status).toBe(404);
  });

  it('a write with the cookie and its CSRF token is accepted; reads need no token', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    const created = await asBrowser(session, `${instance.url}/api/v4/groups`, {
      method: 'POST',
      json: newGroup('with-token'),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ path: 'with-token', full_path: 'with-token' });
    const read = await asBrowser(session, `${instance.url}/api/v4/groups/with-token`, { csrf: false });
    expect(read.status).toBe(200);
  });

  it('another session’s CSRF token does not do', async () => {
    const one = await signInOverHttp(instance.url, 'alice', password);
    const two = await signInOverHttp(instance.url, 'alice', password);
    const crossed = await asBrowser({ ...one, csrfToken: two.csrfToken }, `${instance.url}/api/v4/groups`, {
      method: 'POST',
      json: newGroup('crossed'),
    });
    expect(crossed.status).toBe(403);
  });

  it('a plain form may carry the token as authenticity_token (sign-out)', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    const out = await fetch(`${instance.url}/users/sign_out`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: session.cookie,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
      },
      body: new URLSearchParams({ authenticity_token: session.csrfToken }).toString(),
    });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/users/sign_in');
    expect((await asBrowser(session, `${instance.url}/-/session`)).status).toBe(401);
  });

  it('a request authenticated by an access token is not subject to the CSRF check', async () => {
    const { plaintext } = await issuePersonalAccessToken(accessTokenDeps(instance.context), {
      user: alice,
      name: 'script',
      scopes: ['api'],
    });
    rememberSecret(plaintext);
    const created = await fetch(`${instance.url}/api/v4/groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${plaintext}`, 'content-type': 'application/json' },
      body: JSON.stringify(newGroup('by-token')),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ full_path: 'by-token' });
  });

  it('a session left idle past the idle timeout ends', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    clock.advance(IDLE - 60);
    expect((await asBrowser(session, `${instance.url}/api/v4/user`)).status).toBe(200);
    clock.advance(IDLE - 60);
    expect((await asBrowser(session, `${instance.url}/api/v4/user`)).status).toBe(200);
    clock.advance(IDLE);
    const expired = await asBrowser(session, `${instance.url}/api/v4/user`);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ message: '401 Unauthorized' });
  });

  it('a busy session ends at the absolute timeout all the same', async () => {
    const session = await signInOverHttp(instance.url, 'alice', password);
    for (let elapsed = IDLE / 2; elapsed < ABSOLUTE; elapsed += IDLE / 2) {
      clock.advance(IDLE / 2);
      expect((await asBrowser(session, `${instance.url}/api/v4/user`)).status).toBe(200);
    }
    clock.advance(IDLE / 2);
    expect((await asBrowser(session, `${instance.url}/api/v4/user`)).status).toBe(401);
  });
});

describe('the session cookie on an https site', () => {
  it('is marked Secure', async () => {
    const instance = await startTestInstance({
      name: 'session-https',
      env: { TESSERA_EXTERNAL_URL: 'https://tessera.example.com' },
    });
    try {
      const { password } = await createUserWithPassword(instance.context.db, { username: 'erin' });
      const response = await fetch(`${instance.url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'erin', password }),
      });
      expect(response.status).toBe(200);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('_tessera_session='))!;
      rememberSecret(cookie.split(';')[0]!.split('=')[1]!);
      rememberSecret(((await response.json()) as { csrf_token: string }).csrf_token);
      expect(cookie).toMatch(/; Secure/);
    } finally {
      await instance.stop();
    }
  });
});
