import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeLike } from '../../src/store/like-pattern.ts';
import { listGroups } from '../../src/store/namespaces.repository.ts';
import { listProjects } from '../../src/store/projects.repository.ts';
import { listUsers } from '../../src/store/users.repository.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createGroup, createProject, createUser } from '../support/world.ts';

describe('escapeLike', () => {
  it('escapes both wildcards and the escape character itself', () => {
    expect(escapeLike('50%_off!')).toBe('50!%!_off!!');
    expect(escapeLike('plain')).toBe('plain');
  });
});

describe.each(ENGINES)('searches match their text literally on %s', (engine) => {
  let t: TestDatabase;
  const page = { limit: 100, offset: 0 };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await createUser(t.db, { username: 'a_b', name: 'Percent 100% sure', email: 'ab@private.test' });
    await createUser(t.db, { username: 'axb', name: 'Bang! here', email: 'axb@private.test' });
    const group = await createGroup(t.db, { path: 'g_1' });
    await createGroup(t.db, { path: 'gx1' });
    await createProject(t.db, group, { path: 'p_1' });
    await createProject(t.db, group, { path: 'px1' });
  });
  afterAll(() => t.destroy());

  const usernames = async (search: string, searchEmails = false) =>
    (await listUsers(t.db, { search, searchEmails, ...page })).map((u) => u.username).sort();

  it('users: `_`, `%` and `!` are characters, not wildcards', async () => {
    expect(await usernames('a_b')).toEqual(['a_b']);
    expect(await usernames('_')).toEqual(['a_b']);
    expect(await usernames('%')).toEqual(['a_b']);
    expect(await usernames('100%')).toEqual(['a_b']);
    expect(await usernames('!')).toEqual(['axb']);
    expect(await usernames('A_B')).toEqual(['a_b']);
  });

  it('users: email addresses are searched only when asked (admins)', async () => {
    expect(await usernames('private.test')).toEqual([]);
    expect(await usernames('ab@private.test')).toEqual([]);
    expect(await usernames('private.test', true)).toEqual(['a_b', 'axb']);
    expect(await usernames('b@p%', true)).toEqual([]);
  });

  it('groups and projects: `_` matches only an underscore', async () => {
    expect((await listGroups(t.db, { search: 'g_', ...page })).map((g) => g.path)).toEqual(['g_1']);
    expect((await listProjects(t.db, { search: 'p_', ...page })).map((p) => p.path)).toEqual(['p_1']);
    expect(await listProjects(t.db, { search: '%', ...page })).toEqual([]);
  });
});

describe('every LIKE pattern goes through the shared helper', () => {
  it('no module writes its own LIKE', () => {
    const dir = 'src';
    const offenders = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== join('store', 'like-pattern.ts'))
      .filter((file) => /'i?like'|\bi?like\s*\$\{|\bLIKE\b/.test(readFileSync(join(dir, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
