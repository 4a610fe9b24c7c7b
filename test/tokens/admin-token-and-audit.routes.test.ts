import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { call, depsOf, givePat, storeCounts } from './token-fixtures.ts';

describe('the admin token API and the audit events API', () => {
  let instance: TestInstance;
  let alice: User;
  let admin: User;
  let adminToken: string;
  let aliceToken: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'admin-token' });
    alice = await createUser(instance.context.db);
    admin = await createUser(instance.context.db, { is_admin: 1, username: `root-${Date.now()}` });
    adminToken = (await givePat(depsOf(instance), admin, ['api'])).plaintext;
    aliceToken = (await givePat(depsOf(instance), alice, ['api', 'read_user'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('identifies a token from its plaintext: type, owner, scopes, state, never the secret', async () => {
    const response = await call(instance, 'POST', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: aliceToken },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      token_type: 'personal_access_token',
      state: 'active',
      active: true,
      revoked: false,
      scopes: ['api', 'read_user'],
      user_id: alice.id,
      owner: { id: alice.id, username: alice.username, bot: false },
    });
    expect(JSON.stringify(response.body)).not.toContain(aliceToken.slice('glpat-'.length));
  });

  it('answers 404 for an unknown token, 422 for an unsupported type, 400 without one, 403 to a non-admin', async () => {
    const before = await storeCounts(instance.context.db);
    const unknown = await call(instance, 'POST', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: rememberSecret('glpat-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB') },
    });
    expect([unknown.status, unknown.body]).toEqual([404, { message: '404 Token Not Found' }]);
    const unsupported = await call(instance, 'POST', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: rememberSecret('glrtr-CCCCCCCCCCCCCCCCCCCCCCCC') },
    });
    expect([unsupported.status, unsupported.body]).toEqual([
      422,
      { message: '422 Unprocessable Entity - Unsupported token type' },
    ]);
    const missing = await call(instance, 'POST', '/api/v4/admin/token', { token: adminToken, body: {} });
    expect([missing.status, Object.keys(missing.body.message)]).toEqual([400, ['token']]);
    const notAdmin = await call(instance, 'POST', '/api/v4/admin/token', {
      token: aliceToken,
      body: { token: adminToken },
    });
    expect([notAdmin.status, notAdmin.body]).toEqual([403, { message: '403 Forbidden' }]);
    const notAdminDelete = await call(instance, 'DELETE', '/api/v4/admin/token', {
      token: aliceToken,
      body: { token: adminToken },
    });
    expect(notAdminDelete.status).toBe(403);
    expect(await storeCounts(instance.context.db)).toEqual(before);
  });

  it('revokes a token from its plaintext (204), after which it is refused and reported revoked', async () => {
    const leaked = (await givePat(depsOf(instance), alice, ['read_api'])).plaintext;
    const response = await call(instance, 'DELETE', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: leaked },
    });
    expect([response.status, response.body]).toEqual([204, null]);
    expect(
      (await call(instance, 'GET', '/api/v4/personal_access_tokens/self', { token: leaked })).status,
    ).toBe(401);
    const info = await call(instance, 'POST', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: leaked },
    });
    expect(info.body).toMatchObject({ state: 'revoked', revoked: true, active: false });
  });

  it("lists audit events in GitLab's shape, filtered by entity and action, for administrators only", async () => {
    const created = await call(instance, 'POST', '/api/v4/user/personal_access_tokens', {
      token: aliceToken,
      body: {
        name: 'audited',
        scopes: ['read_api'],
        expires_at: new Date(Date.now() + 864e5 * 3).toISOString().slice(0, 10),
      },
    });
    rememberSecret(created.body.token);
    const query = `entity_type=User&entity_id=${alice.id}&action=personal_access_token.created`;
    const response = await call(instance, 'GET', `/api/v4/audit_events?${query}`, { token: adminToken });
    expect(response.status).toBe(200);
    const event = response.body.find(
      (e: { details: { target_id: number } }) => e.details.target_id === created.body.id,
    );
    expect(event).toMatchObject({
      author_id: alice.id,
      entity_id: alice.id,
      entity_type: 'User',
      event_name: 'personal_access_token.created',
      details: {
        author_name: alice.username,
        target_type: 'PersonalAccessToken',
        target_id: created.body.id,
        target_details: 'audited',
        ip_address: '127.0.0.1',
        scopes: ['read_api'],
      },
    });
    expect(Object.keys(event)).toEqual([
      'id',
      'author_id',
      'entity_id',
      'entity_type',
      'event_name',
      'details',
      'created_at',
    ]);
    expect(
      response.body.every((e: { event_name: string }) => e.event_name === 'personal_access_token.created'),
    ).toBe(true);

    const all = await call(instance, 'GET', '/api/v4/audit_events?per_page=2', { token: adminToken });
    expect([all.status, all.body.length, all.headers.get('x-next-page')]).toEqual([200, 2, '2']);
    expect(JSON.stringify(all.body)).not.toMatch(/glpat-/);
    const future = await call(instance, 'GET', '/api/v4/audit_events?created_after=2999-01-01', {
      token: adminToken,
    });
    expect(future.body).toEqual([]);
    const bad = await call(instance, 'GET', '/api/v4/audit_events?created_before=soon', {
      token: adminToken,
    });
    expect([bad.status, Object.keys(bad.body.message)]).toEqual([400, ['created_before']]);

    expect(await call(instance, 'GET', '/api/v4/audit_events', { token: aliceToken })).toMatchObject({
      status: 403,
      body: { message: '403 Forbidden' },
    });
    expect(await call(instance, 'GET', '/api/v4/audit_events')).toMatchObject({
      status: 401,
      body: { message: '401 Unauthorized' },
    });
  });
});
