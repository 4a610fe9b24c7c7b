import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { addDays, todayUtc } from '../../src/tokens/access/access-token-expiry.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { call, depsOf, givePat, storeCounts } from './token-fixtures.ts';

const FIELDS = [
  'id',
  'name',
  'revoked',
  'created_at',
  'description',
  'scopes',
  'user_id',
  'last_used_at',
  'active',
  'expires_at',
  // Every personal token says whether it is an impersonation token (#15).
  'impersonation',
];
const BASE = '/api/v4/personal_access_tokens';

describe('personal access token endpoints', () => {
  let instance: TestInstance;
  let alice: User;
  let admin: User;
  let aliceApi: string;
  let adminApi: string;
  const inDays = (days: number) => addDays(todayUtc(instance.context.clock), days);

  /** Creates a token through the API, as alice unless told otherwise. */
  async function createViaApi(body: Record<string, unknown>, token = aliceApi) {
    const response = await call(instance, 'POST', '/api/v4/user/personal_access_tokens', { token, body });
    if (typeof response.body?.token === 'string') rememberSecret(response.body.token);
    return response;
  }

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'pat-routes' });
    alice = await createUser(instance.context.db);
    admin = await createUser(instance.context.db, { is_admin: 1 });
    aliceApi = (await givePat(depsOf(instance), alice, ['api'])).plaintext;
    adminApi = (await givePat(depsOf(instance), admin, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('creates a token for the caller: 201, the v4 fields, and the secret only in this answer', async () => {
    const response = await createViaApi({
      name: 'laptop',
      scopes: ['read_api', 'k8s_proxy'],
      expires_at: inDays(30),
      description: 'mine',
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body)).toEqual([...FIELDS, 'token']);
    expect(response.body).toMatchObject({
      name: 'laptop',
      description: 'mine',
      revoked: false,
      active: true,
      scopes: ['read_api', 'k8s_proxy'],
      user_id: alice.id,
      expires_at: inDays(30),
      last_used_at: null,
    });
    expect(response.body.token).toMatch(/^glpat-[A-Za-z0-9_-]{32}$/);

    const shown = await call(instance, 'GET', `${BASE}/${response.body.id}`, { token: aliceApi });
    expect(shown.status).toBe(200);
    expect(Object.keys(shown.body)).toEqual(FIELDS);
    const self = await call(instance, 'GET', `${BASE}/self`, { token: response.body.token });
    expect([self.status, self.body.id, self.body.token]).toEqual([200, response.body.id, undefined]);
  });

  it('refuses a bad creation with a 400 naming the field, and changes nothing', async () => {
    const before = await storeCounts(instance.context.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', scopes: ['api', 'everything'], expires_at: inDays(3) }, 'scopes'],
      [{ name: 'x', scopes: ['sudo'], expires_at: inDays(3) }, 'scopes'],
      [{ name: 'x', scopes: ['api'], expires_at: 'soon' }, 'expires_at'],
      [{ name: 'x', scopes: ['api'], expires_at: inDays(0) }, 'expires_at'],
      [{ name: 'x', scopes: ['api'], expires_at: inDays(366) }, 'expires_at'],
      [{ scopes: ['api'], expires_at: inDays(3) }, 'name'],
    ];
    for (const [body, field] of cases) {
      const response = await createViaApi(body);
      expect(response.status).toBe(400);
      expect(Object.keys(response.body.message)).toEqual([field]);
    }
    expect(await storeCounts(instance.context.db)).toEqual(before);
  });

  it("without expires_at, gives the policy's longest lifetime, as GitLab's current API does", async () => {
    const response = await createViaApi({ name: 'no-expiry', scopes: ['read_user'] });
    expect(response.status).toBe(201);
    rememberSecret(response.body.token);
    expect(response.body.expires_at).toBe(inDays(365));
  });

  it('lets an administrator, and only one, create a token for another user', async () => {
    const body = { name: 'given', scopes: ['read_user'], expires_at: inDays(10) };
    const before = await storeCounts(instance.context.db);
    const refused = await call(instance, 'POST', `/api/v4/users/${admin.id}/personal_access_tokens`, {
      token: aliceApi,
      body,
    });
    expect([refused.status, refused.body]).toEqual([403, { message: '403 Forbidden' }]);
    expect(await storeCounts(instance.context.db)).toEqual(before);
    const missing = await call(instance, 'POST', '/api/v4/users/999999/personal_access_tokens', {
      token: adminApi,
      body,
    });
    expect([missing.status, missing.body]).toEqual([404, { message: '404 User Not Found' }]);

    const created = await call(instance, 'POST', `/api/v4/users/${alice.id}/personal_access_tokens`, {
      token: adminApi,
      body,
    });
    rememberSecret(created.body.token);
    expect([created.status, created.body.user_id]).toEqual([201, alice.id]);
  });

  it('lists own tokens with GitLab pagination headers; an administrator may ask for a user_id', async () => {
    const mine = await call(instance, 'GET', `${BASE}?per_page=1`, { token: aliceApi });
    expect(mine.status).toBe(200);
    expect(mine.body).toHaveLength(1);
    const total = Number(mine.headers.get('x-total'));
    expect(total).toBeGreaterThanOrEqual(2);
    expect(mine.headers.get('x-total-pages')).toBe(String(total));
    expect(mine.headers.get('x-next-page')).toBe('2');
    expect(mine.headers.get('link')).toContain(`${instance.url}${BASE}?per_page=1&page=2>; rel="next"`);

    const foreign = await call(instance, 'GET', `${BASE}?user_id=${admin.id}`, { token: aliceApi });
    expect([foreign.status, foreign.body]).toEqual([403, { message: '403 Forbidden' }]);
    const asAdmin = await call(instance, 'GET', `${BASE}?user_id=${alice.id}&state=active`, {
      token: adminApi,
    });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.length).toBe(total);
    expect(
      asAdmin.body.every((t: { user_id: number; active: boolean }) => t.user_id === alice.id && t.active),
    ).toBe(true);
    expect(JSON.stringify(asAdmin.body)).not.toMatch(/glpat-/);

    const bad = await call(instance, 'GET', `${BASE}?created_after=yesterday`, { token: aliceApi });
    expect([bad.status, Object.keys(bad.body.message)]).toEqual([400, ['created_after']]);
  });

  it("hides another user's token (404) and revokes one's own (204), after which it is refused", async () => {
    const { id, plaintext } = await givePat(depsOf(instance), alice, ['api']);
    const bob = await givePat(depsOf(instance), await createUser(instance.context.db), ['api']);
    const byBob = await call(instance, 'DELETE', `${BASE}/${id}`, { token: bob.plaintext });
    expect([byBob.status, byBob.body]).toEqual([404, { message: '404 Token Not Found' }]);

    const revoked = await call(instance, 'DELETE', `${BASE}/${id}`, { token: aliceApi });
    expect([revoked.status, revoked.body]).toEqual([204, null]);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: plaintext })).status).toBe(401);
    const event = await instance.context.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'personal_access_token.revoked')
      .where('target_id', '=', String(id))
      .executeTakeFirstOrThrow();
    expect(event.author_id).toBe(alice.id);
  });

  it('revokes the token a request came with through DELETE /self', async () => {
    const { plaintext } = await givePat(depsOf(instance), alice, ['api']);
    expect((await call(instance, 'DELETE', `${BASE}/self`, { token: plaintext })).status).toBe(204);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: plaintext })).body).toEqual({
      message: '401 Unauthorized',
    });
  });

  it('rotates by id: a new secret, the old one refused; rotating the old one again revokes the family', async () => {
    const { id, plaintext } = await givePat(depsOf(instance), alice, ['read_api']);
    const rotated = await call(instance, 'POST', `${BASE}/${id}/rotate`, {
      token: aliceApi,
      body: { expires_at: inDays(20) },
    });
    rememberSecret(rotated.body.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ scopes: ['read_api'], expires_at: inDays(20), active: true });
    expect(rotated.body.id).not.toBe(id);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: plaintext })).status).toBe(401);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: rotated.body.token })).status).toBe(200);

    const reused = await call(instance, 'POST', `${BASE}/${id}/rotate`, { token: aliceApi });
    expect([reused.status, reused.body]).toEqual([
      400,
      { message: '400 Bad request - Token already revoked' },
    ]);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: rotated.body.token })).status).toBe(401);
    const events = await instance.context.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', String(id))
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      'personal_access_token.created',
      'personal_access_token.rotated',
      'personal_access_token.family_revoked',
    ]);
  });

  it('rotates itself with self_rotate, defaulting to a week; a read_api token may not', async () => {
    const { plaintext } = await givePat(depsOf(instance), alice, ['self_rotate', 'read_repository']);
    const rotated = await call(instance, 'POST', `${BASE}/self/rotate`, { token: plaintext });
    rememberSecret(rotated.body.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ scopes: ['self_rotate', 'read_repository'], expires_at: inDays(7) });

    const readOnly = (await givePat(depsOf(instance), alice, ['read_api'])).plaintext;
    const before = await storeCounts(instance.context.db);
    const refused = await call(instance, 'POST', `${BASE}/self/rotate`, { token: readOnly });
    expect([refused.status, refused.body.error]).toEqual([403, 'insufficient_scope']);
    expect(await storeCounts(instance.context.db)).toEqual(before);
  });

  it('answers 401 to a revoked token presented for self-rotation and revokes its whole family', async () => {
    const { plaintext } = await givePat(depsOf(instance), alice, ['api']);
    const rotated = await call(instance, 'POST', `${BASE}/self/rotate`, { token: plaintext });
    rememberSecret(rotated.body.token);
    expect(rotated.status).toBe(200);

    const replay = await call(instance, 'POST', `${BASE}/self/rotate`, { token: plaintext });
    expect([replay.status, replay.body]).toEqual([401, { message: '401 Unauthorized' }]);
    expect((await call(instance, 'GET', `${BASE}/self`, { token: rotated.body.token })).status).toBe(401);
    const event = await instance.context.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'personal_access_token.family_revoked')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.details)).toMatchObject({ revoked_token_ids: [rotated.body.id] });
  });
});
