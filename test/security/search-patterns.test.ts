import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/http/route-table.ts';
import { asBrowser, signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { rememberSecret } from '../support/secrets.ts';
import { ENGINES } from '../support/databases.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { createGroup, createProject } from '../support/world.ts';

/** Text nothing in the world contains: what a search that matches nothing answers. */
const NOTHING = 'zz-no-such-text';

describe.each(ENGINES)('searches leak neither private emails nor wildcards (%s)', (engine) => {
  let instance: TestInstance;
  let asRoot: BrowserSession;
  let asBob: BrowserSession;

  beforeAll(async () => {
    instance = await startTestInstance({ engine, name: `search-patterns-${engine}` });
    const db = instance.context.db;
    const root = await createUserWithPassword(db, { username: 'root', is_admin: 1 });
    await createUserWithPassword(db, { username: 'alice', name: 'Alice', email: 'alice.secret@corp.test' });
    const bob = await createUserWithPassword(db, { username: 'bob' });
    asRoot = await signInOverHttp(instance.url, 'root', root.password);
    asBob = await signInOverHttp(instance.url, 'bob', bob.password);
    const group = await createGroup(db, { path: 'platform', visibility: 'public' });
    await createProject(db, group, { path: 'site', visibility: 'public' });
    // Something for the token listings' `search` to find.
    const deps = accessTokenDeps(instance.context);
    for (const user of [root.user, bob.user]) {
      rememberSecret(
        (await issuePersonalAccessToken(deps, { user, name: 'ci token', scopes: ['read_api'] })).plaintext,
      );
    }
  });
  afterAll(() => instance.stop());

  const search = async (session: BrowserSession, text: string) => {
    const response = await asBrowser(
      session,
      `${instance.url}/api/v4/users?search=${encodeURIComponent(text)}`,
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { username: string }[]).map((u) => u.username);
  };

  it('a non-admin finds people by name and username, never by email', async () => {
    expect(await search(asBob, 'ALI')).toEqual(['alice']);
    expect(await search(asBob, 'corp.test')).toEqual([]);
    expect(await search(asBob, 'alice.secret@corp.test')).toEqual([]);
    expect(await search(asBob, 'secret')).toEqual([]);
  });

  it('an admin still finds people by email', async () => {
    expect(await search(asRoot, 'corp.test')).toEqual(['alice']);
    expect(await search(asRoot, 'alice.secret@corp.test')).toEqual(['alice']);
  });

  it('`%` and `_` are literal characters, so they cannot spell out an address', async () => {
    expect(await search(asRoot, '%')).toEqual([]);
    expect(await search(asRoot, 'alice_secret')).toEqual([]);
    expect(await search(asRoot, 'a%@corp.test')).toEqual([]);
  });

  /**
   * Every GET route of the API, as an admin and as a non-admin: `search=%`, `search=_` (and, for the
   * non-admin, a fragment of every email address) must answer exactly what a search for nothing
   * answers. A route that ignores `search` answers the same either way; one with an unescaped LIKE,
   * or one matching emails, answers more.
   */
  it('no API route treats a search as a pattern or matches emails for non-admins', async () => {
    const routes = routeTableOf(instance.app).filter(
      (route) => route.method === 'GET' && route.url.startsWith('/api/v4/') && !route.url.includes('*'),
    );
    expect(routes.length).toBeGreaterThan(20);
    const answer = async (session: BrowserSession, path: string, text: string) => {
      const response = await asBrowser(session, `${instance.url}${path}?search=${encodeURIComponent(text)}`);
      return `${response.status} ${await response.text()}`;
    };
    const leaks: string[] = [];
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z_]+/g, '1');
      for (const [who, session, probes] of [
        ['admin', asRoot, ['%', '_']],
        ['non-admin', asBob, ['%', '_', 'example.test', 'corp.test']],
      ] as const) {
        const nothing = await answer(session, path, NOTHING);
        for (const probe of probes) {
          if ((await answer(session, path, probe)) !== nothing)
            leaks.push(`${who} ${route.url} search=${probe}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
