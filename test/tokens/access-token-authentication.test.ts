import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { addDays, todayUtc } from '../../src/tokens/access/access-token-expiry.ts';
import { revokePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { call, depsOf, givePat, storeCounts } from './token-fixtures.ts';

/** A raw HTTP exchange, for headers `fetch` would tidy up or refuse to send. */
function rawGet(
  instance: TestInstance,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, instance.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const UNAUTHORIZED = { message: '401 Unauthorized' };
const LIST = '/api/v4/personal_access_tokens';

describe('authenticating with an access token over HTTP', () => {
  const clock = new ManualClock();
  let instance: TestInstance;
  let alice: User;
  let api: string;
  let readOnly: string;
  let revoked: string;
  let expiring: string;

  /** Everything a refused request could have touched. */
  const snapshot = async () => ({
    counts: await storeCounts(instance.context.db),
    tokens: await instance.context.db.selectFrom('access_tokens').selectAll().orderBy('id').execute(),
  });

  beforeAll(async () => {
    instance = await startTestInstance({ clock, name: 'access-token-auth' });
    const deps = depsOf(instance);
    alice = await createUser(instance.context.db);
    api = (await givePat(deps, alice, ['api'])).plaintext;
    readOnly = (await givePat(deps, alice, ['read_api'])).plaintext;
    const gone = await givePat(deps, alice, ['api']);
    await revokePersonalAccessToken(
      deps,
      { userId: alice.id, name: alice.username, ip: null },
      alice,
      gone.id,
    );
    revoked = gone.plaintext;
    expiring = (await givePat(deps, alice, ['api'], addDays(todayUtc(clock), 1))).plaintext;
    // Start every token's last-used window so that authenticating in a test writes nothing.
    for (const token of [api, readOnly, expiring]) await call(instance, 'GET', LIST, { token });
  });
  afterAll(() => instance.stop());

  it.each([
    ['the PRIVATE-TOKEN header', (t: string) => ({ path: LIST, headers: { 'private-token': t } })],
    ['Authorization: Bearer', (t: string) => ({ path: LIST, headers: { authorization: `Bearer ${t}` } })],
    [
      'the private_token query parameter',
      (t: string) => ({ path: `${LIST}?private_token=${t}`, headers: {} }),
    ],
    ['the access_token query parameter', (t: string) => ({ path: `${LIST}?access_token=${t}`, headers: {} })],
  ])('accepts a token presented in %s', async (_way, present) => {
    const { path, headers } = present(api);
    const response = await call(instance, 'GET', path, { headers });
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(4);
    expect(response.body.every((t: { user_id: number }) => t.user_id === alice.id)).toBe(true);
    expect(JSON.stringify(response.body)).not.toContain(api);
  });

  it.each([
    ['no credential at all', () => ({})],
    [
      'an unknown glpat- token',
      () => ({ 'private-token': rememberSecret('glpat-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') }),
    ],
    ['a token of no known type', () => ({ 'private-token': 'not-a-token-at-all' })],
    ['a revoked token', () => ({ 'private-token': revoked })],
    ['a bearer header with nothing after it', () => ({ authorization: 'Bearer' })],
    ['a bearer header with two values', () => ({ authorization: `Bearer ${api} extra` })],
    ['a garbage authorization header', () => ({ authorization: 'zzz%%%' })],
    ['a 2 KiB token', () => ({ 'private-token': `glpat-${'a'.repeat(2048)}` })],
  ])('answers %s with 401 and changes nothing', async (_case, headers) => {
    const before = await snapshot();
    const response = await rawGet(instance, LIST, headers());
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual(UNAUTHORIZED);
    expect(await snapshot()).toEqual(before);
  });

  it('answers a header block over 16 KiB with 431 and changes nothing', async () => {
    const before = await snapshot();
    const response = await rawGet(instance, LIST, { 'private-token': `glpat-${'a'.repeat(17 * 1024)}` });
    expect(response.status).toBe(431);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a token from 00:00 UTC of its expiry date with the same 401', async () => {
    const saved = clock.now();
    expect((await call(instance, 'GET', LIST, { token: expiring })).status).toBe(200);
    clock.set(`${addDays(todayUtc(clock), 1)}T00:00:00.000Z`);
    try {
      const before = await snapshot();
      const response = await call(instance, 'GET', LIST, { token: expiring });
      expect([response.status, response.body]).toEqual([401, UNAUTHORIZED]);
      expect(await snapshot()).toEqual(before);
    } finally {
      clock.set(saved);
    }
  });

  it('answers a token without the needed scope with 403 insufficient_scope and changes nothing', async () => {
    const before = await snapshot();
    const response = await call(instance, 'POST', '/api/v4/user/personal_access_tokens', {
      token: readOnly,
      body: { name: 'more', scopes: ['api'], expires_at: addDays(todayUtc(clock), 30) },
    });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'insufficient_scope', scope: 'api' });
    expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(await snapshot()).toEqual(before);
  });

  it('lets a read_api token read but not revoke', async () => {
    expect((await call(instance, 'GET', `${LIST}/self`, { token: readOnly })).status).toBe(200);
    const before = await snapshot();
    const response = await call(instance, 'DELETE', `${LIST}/self`, { token: readOnly });
    expect([response.status, response.body.error]).toEqual([403, 'insufficient_scope']);
    expect(await snapshot()).toEqual(before);
  });
});
