import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { findMember, listMembers, membershipsInNamespaces } from '../../src/store/members.repository.ts';
import { groupWithDescendantIds, namespaceWithAncestors } from '../../src/store/namespaces.repository.ts';
import { findProjectByRef } from '../../src/store/projects.repository.ts';
import { findUserByLogin, listUsers } from '../../src/store/users.repository.ts';
import { listAuditEvents } from '../../src/store/audit-events.repository.ts';
import { recordAudit, SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';

describe.each(ENGINES)('store on %s', (engine) => {
  let store: TestDatabase;
  beforeAll(async () => {
    store = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await store.destroy();
  });

  it('a second migration run applies nothing', async () => {
    expect(await migrateToLatest(store.db)).toEqual([]);
  });

  it('finds a user by username or email, in any case', async () => {
    const user = await createUser(store.db, { username: 'Alice', email: 'alice@example.test' });
    expect((await findUserByLogin(store.db, 'alice'))?.id).toBe(user.id);
    expect((await findUserByLogin(store.db, 'ALICE@example.test'))?.id).toBe(user.id);
    expect(await findUserByLogin(store.db, 'bob')).toBeUndefined();
  });

  it('refuses a second user with the same username', async () => {
    await createUser(store.db, { username: 'dup' });
    await expect(createUser(store.db, { username: 'dup', email: 'other@example.test' })).rejects.toThrow();
  });

  it('lists people but not bots unless asked', async () => {
    await createUser(store.db, { username: 'project_1_bot_x', bot_kind: 'project_bot' });
    const people = await listUsers(store.db, { limit: 100, offset: 0 });
    expect(people.some((u) => u.bot_kind !== null)).toBe(false);
    const all = await listUsers(store.db, { includeBots: true, limit: 100, offset: 0 });
    expect(all.some((u) => u.username === 'project_1_bot_x')).toBe(true);
  });

  it('walks nested groups up and down', async () => {
    const top = await createGroup(store.db, { path: 'top' });
    const middle = await createGroup(store.db, { path: 'middle', parent: top });
    const leaf = await createGroup(store.db, { path: 'leaf', parent: middle });
    expect((await namespaceWithAncestors(store.db, leaf.id)).map((n) => n.full_path)).toEqual([
      'top/middle/leaf',
      'top/middle',
      'top',
    ]);
    expect((await groupWithDescendantIds(store.db, top.id)).sort()).toEqual(
      [top.id, middle.id, leaf.id].sort(),
    );
  });

  it('finds a project by id or by full path and keeps memberships per source', async () => {
    const group = await createGroup(store.db, { path: 'acme' });
    const project = await createProject(store.db, group, { path: 'web' });
    const user = await createUser(store.db);
    await addMember(store.db, project, user, 30);
    await addMember(store.db, group, user, 20);
    expect((await findProjectByRef(store.db, String(project.id)))?.full_path).toBe('acme/web');
    expect((await findProjectByRef(store.db, 'ACME/web'))?.id).toBe(project.id);
    expect((await findMember(store.db, { type: 'project', id: project.id }, user.id))?.access_level).toBe(30);
    expect(await listMembers(store.db, { type: 'namespace', id: group.id })).toHaveLength(1);
    expect(await membershipsInNamespaces(store.db, user.id, [group.id])).toHaveLength(1);
  });

  it('keeps audit events in order and filters them', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    await recordAudit(store.db, clock, SYSTEM_ACTOR, {
      action: 'thing.created',
      entity: { type: 'thing', id: 1 },
    });
    clock.advance(60);
    await recordAudit(store.db, clock, SYSTEM_ACTOR, {
      action: 'thing.revoked',
      entity: { type: 'thing', id: 1 },
    });
    const events = await listAuditEvents(store.db, { entityType: 'thing', limit: 10, offset: 0 });
    expect(events.map((e) => e.action)).toEqual(['thing.revoked', 'thing.created']);
    const revoked = await listAuditEvents(store.db, { action: 'thing.revoked', limit: 10, offset: 0 });
    expect(revoked).toHaveLength(1);
  });

  it('a transaction that fails leaves neither the change nor its audit event', async () => {
    const clock = new ManualClock();
    await expect(
      store.db.transaction().execute(async (trx) => {
        await recordAudit(trx, clock, SYSTEM_ACTOR, {
          action: 'ghost.created',
          entity: { type: 'ghost', id: 1 },
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await listAuditEvents(store.db, { action: 'ghost.created', limit: 10, offset: 0 })).toEqual([]);
  });
});
