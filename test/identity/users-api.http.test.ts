import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { rememberSecret } from '../support/secrets.ts';
import { startApiWorld, type ApiWorld, type Json } from './api-world.ts';
import { createUserWithPassword, newPassword } from './identity-fixtures.ts';
import { signInOverHttp } from './http-session.ts';

describe('the users API over HTTP', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await startApiWorld('users-api');
  });
  afterAll(async () => w.instance.stop());

  describe('users', () => {
    it('GET /user answers GitLab’s user entity for the session’s user, as plain application/json', async () => {
      const response = await w.get(w.asAlice, '/user');
      expect(response.status).toBe(200);
      // python-gitlab parses a body only when the header is exactly this.
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({
        id: w.alice.id,
        username: 'alice',
        name: 'Alice Liddell',
        state: 'active',
        locked: false,
        web_url: `${w.instance.settings.externalUrl}/alice`,
        email: w.alice.email,
        is_admin: false,
        bot: false,
        two_factor_enabled: false,
        external: false,
        can_create_group: true,
        can_create_project: true,
        created_at: w.alice.created_at,
      });
    });

    it('GET /users paginates with GitLab’s headers', async () => {
      const response = await w.get(w.asAlice, '/users?per_page=1&page=2');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-page')).toBe('2');
      expect(response.headers.get('x-per-page')).toBe('1');
      expect(response.headers.get('x-total')).toBe('3');
      expect(response.headers.get('x-total-pages')).toBe('3');
      expect(response.headers.get('x-next-page')).toBe('3');
      expect(response.headers.get('x-prev-page')).toBe('1');
      expect(response.headers.get('link')).toContain(
        `<${w.instance.settings.externalUrl}/api/v4/users?per_page=1&page=3>; rel="next"`,
      );
      const body = (await response.json()) as Json[];
      expect(body).toEqual([expect.objectContaining({ id: w.alice.id, username: 'alice' })]);
      expect(body[0]).not.toHaveProperty('email');
    });

    it('GET /users filters by username and by search', async () => {
      expect(
        ((await (await w.get(w.asBob, '/users?username=ALICE')).json()) as Json[]).map((u) => u.username),
      ).toEqual(['alice']);
      expect(
        ((await (await w.get(w.asBob, '/users?search=liddell')).json()) as Json[]).map((u) => u.username),
      ).toEqual(['alice']);
    });

    it('GET /users/:id shows the public profile to others and 404 for nobody', async () => {
      const other = await w.get(w.asBob, `/users/${w.alice.id}`);
      expect(other.status).toBe(200);
      const body = (await other.json()) as Json;
      expect(body).toMatchObject({ id: w.alice.id, username: 'alice', bot: false });
      expect(body).not.toHaveProperty('email');
      const missing = await w.get(w.asBob, '/users/999999');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ message: '404 User Not Found' });
    });

    it('POST /users is for administrators: 201 for one, 403 for anyone else', async () => {
      const password = newPassword();
      const created = await w.send(w.asRoot, 'POST', '/users', {
        username: 'carol',
        email: 'carol@example.com',
        name: 'Carol',
        password,
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({
        username: 'carol',
        email: 'carol@example.com',
        is_admin: false,
      });
      expect((await signInOverHttp(w.instance.url, 'carol', password)).userId).toEqual(expect.any(Number));
      const refused = await w.send(w.asAlice, 'POST', '/users', {
        username: 'mallory',
        email: 'm@example.com',
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: '403 Forbidden' });
    });

    it('POST /users names the field: 409 for a taken username, 400 for an invalid one', async () => {
      const taken = await w.send(w.asRoot, 'POST', '/users', {
        username: 'alice',
        email: 'other@example.com',
      });
      expect(taken.status).toBe(409);
      expect(await taken.json()).toEqual({ message: 'Username has already been taken' });
      const invalid = await w.send(w.asRoot, 'POST', '/users', {
        username: '-bad',
        email: 'bad@example.com',
      });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { message: Json }).message).toHaveProperty('username');
      const missing = await w.send(w.asRoot, 'POST', '/users', { username: 'nomail' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ message: { email: ['is missing'] }, error: 'email is missing' });
    });

    it('blocking a user ends their session at once; unblocking lets them sign in again', async () => {
      const { user: dave, password } = await createUserWithPassword(w.instance.context.db, {
        username: 'dave',
      });
      const asDave = await signInOverHttp(w.instance.url, 'dave', password);
      const blocked = await w.send(w.asRoot, 'POST', `/users/${dave.id}/block`);
      expect(blocked.status).toBe(201);
      expect(await blocked.json()).toBe(true);
      expect((await w.get(asDave, '/user')).status).toBe(401);
      expect((await w.send(w.asAlice, 'POST', `/users/${dave.id}/unblock`)).status).toBe(403);
      expect((await w.send(w.asRoot, 'POST', `/users/${dave.id}/unblock`)).status).toBe(201);
      expect((await signInOverHttp(w.instance.url, 'dave', password)).userId).toBe(dave.id);
    });
  });

  describe('scopes of a token', () => {
    it('read_api reads but does not write; read_user opens only the user endpoints', async () => {
      const deps = accessTokenDeps(w.instance.context);
      const reader = rememberSecret(
        (await issuePersonalAccessToken(deps, { user: w.alice, name: 'reader', scopes: ['read_api'] }))
          .plaintext,
      );
      const profile = rememberSecret(
        (await issuePersonalAccessToken(deps, { user: w.alice, name: 'profile', scopes: ['read_user'] }))
          .plaintext,
      );
      const withToken = (token: string, path: string, init: RequestInit = {}) =>
        fetch(`${w.api}${path}`, {
          ...init,
          headers: { 'private-token': token, 'content-type': 'application/json' },
        });
      expect((await withToken(reader, `/projects/${w.secret.id}`)).status).toBe(200);
      const write = await withToken(reader, '/groups', {
        method: 'POST',
        body: JSON.stringify({ name: 'x', path: 'x' }),
      });
      expect(write.status).toBe(403);
      expect(await write.json()).toMatchObject({ error: 'insufficient_scope' });
      expect((await withToken(profile, '/user')).status).toBe(200);
      expect((await withToken(profile, '/projects')).status).toBe(403);
    });
  });
});
