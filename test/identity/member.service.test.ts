import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllMembers, listDirectMembers } from '../../src/identity/member-listing.ts';
import {
  addMember,
  removeMember,
  updateMember,
  type MemberTarget,
} from '../../src/identity/member.service.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import * as world from '../support/world.ts';
import { as, auditEvents, refusal } from './identity-fixtures.ts';

describe.each(ENGINES)('members on %s', (engine) => {
  const clock = new ManualClock('2030-06-01T12:00:00Z');
  let database: TestDatabase;
  let owner: User, maintainer: User, developer: User, outsider: User, newcomer: User;
  let group: Namespace, project: Project;
  let onProject: MemberTarget, onGroup: MemberTarget;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const db = database.db;
    [owner, maintainer, developer, outsider, newcomer] = await Promise.all(
      ['owner', 'maintainer', 'developer', 'outsider', 'newcomer'].map((username) =>
        world.createUser(db, { username }),
      ),
    );
    group = await world.createGroup(db, { path: 'team' });
    project = await world.createProject(db, group, { path: 'app' });
    await world.addMember(db, group, owner, 50);
    await world.addMember(db, project, maintainer, 40);
    await world.addMember(db, project, developer, 30);
    onProject = { kind: 'project', project };
    onGroup = { kind: 'group', group };
  });
  afterAll(async () => database.destroy());

  it('a maintainer adds a member up to their own level, and the change is audited', async () => {
    const member = await addMember(database.db, clock, as(maintainer), onProject, {
      userId: newcomer.id,
      accessLevel: 20,
      expiresAt: '2030-12-31',
    });
    expect(member).toMatchObject({ user_id: newcomer.id, access_level: 20, expires_at: '2030-12-31' });
    const [event] = await auditEvents(database.db, 'member.created');
    expect(event).toMatchObject({
      author_name: 'maintainer',
      entity_type: 'project',
      target_details: 'newcomer',
    });
    expect(event!.details).toEqual({ access_level: 20, expires_at: '2030-12-31' });
  });

  it('nobody grants more than they hold, and developers grant nothing', async () => {
    expect(
      await refusal(
        updateMember(database.db, clock, as(maintainer), onProject, newcomer.id, { accessLevel: 50 }),
      ),
    ).toMatchObject({ code: 'forbidden', status: 403 });
    expect(
      await refusal(
        addMember(database.db, clock, as(developer), onProject, { userId: outsider.id, accessLevel: 10 }),
      ),
    ).toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('a project the caller cannot see is a 404', async () => {
    expect(
      await refusal(
        addMember(database.db, clock, as(outsider), onProject, { userId: outsider.id, accessLevel: 10 }),
      ),
    ).toMatchObject({ code: 'not_found', message: '404 Project Not Found' });
  });

  it('invalid levels, unknown users, duplicates and past expiry dates are refused with the right code', async () => {
    const add = (input: Parameters<typeof addMember>[4]) =>
      refusal(addMember(database.db, clock, as(owner), onProject, input));
    expect(await add({ userId: outsider.id, accessLevel: 35 })).toMatchObject({
      code: 'bad_request',
      field: 'access_level',
    });
    expect(await add({ userId: 999_999, accessLevel: 10 })).toMatchObject({
      code: 'not_found',
      message: '404 User Not Found',
    });
    expect(await add({ userId: developer.id, accessLevel: 10 })).toMatchObject({
      code: 'conflict',
      status: 409,
    });
    expect(await add({ userId: outsider.id, accessLevel: 10, expiresAt: '2030-05-01' })).toMatchObject({
      field: 'expires_at',
    });
  });

  it('a direct membership may not be below what the user inherits from the group', async () => {
    expect(
      await refusal(
        addMember(database.db, clock, as(owner), onProject, { userId: owner.id, accessLevel: 30 }),
      ),
    ).toMatchObject({ code: 'bad_request', field: 'access_level' });
  });

  it('the level is updated and removal is audited; anyone may leave', async () => {
    const updated = await updateMember(database.db, clock, as(owner), onProject, newcomer.id, {
      accessLevel: 30,
    });
    expect(updated.access_level).toBe(30);
    await removeMember(database.db, clock, as(developer), onProject, developer.id);
    expect((await listDirectMembers(database.db, onProject)).map((m) => m.user.username)).toEqual([
      'maintainer',
      'newcomer',
    ]);
    expect((await auditEvents(database.db, 'member.removed')).map((e) => e.target_id)).toEqual([
      String(developer.id),
    ]);
    expect(
      await refusal(removeMember(database.db, clock, as(maintainer), onProject, developer.id)),
    ).toMatchObject({ code: 'not_found', message: '404 Member Not Found' });
  });

  it('a group keeps its last owner', async () => {
    expect(await refusal(removeMember(database.db, clock, as(owner), onGroup, owner.id))).toMatchObject({
      code: 'forbidden',
    });
    expect(
      await refusal(updateMember(database.db, clock, as(owner), onGroup, owner.id, { accessLevel: 40 })),
    ).toMatchObject({ code: 'forbidden' });
  });

  it('all members include those inherited from the group, each once at their highest level', async () => {
    const all = await listAllMembers(database.db, onProject);
    expect(all.map((m) => [m.user.username, m.accessLevel]).sort()).toEqual([
      ['maintainer', 40],
      ['newcomer', 30],
      ['owner', 50],
    ]);
  });
});
