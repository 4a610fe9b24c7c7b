import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectAccessFacts } from '../../src/identity/access-facts.service.ts';
import { createGroup } from '../../src/identity/group.service.ts';
import { effectiveAccessLevel } from '../../src/identity/permissions.ts';
import { createProject } from '../../src/identity/project.service.ts';
import { findMember } from '../../src/store/members.repository.ts';
import { findUserNamespace } from '../../src/store/namespaces.repository.ts';
import type { User } from '../../src/store/schema.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import * as world from '../support/world.ts';
import { as, auditEvents, refusal } from './identity-fixtures.ts';

describe.each(ENGINES)('groups and projects on %s', (engine) => {
  let database: TestDatabase;
  let alice: User;
  let bob: User;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    alice = await world.createUser(database.db, { username: 'alice' });
    bob = await world.createUser(database.db, { username: 'bob' });
  });
  afterAll(async () => database.destroy());

  it('the creator of a group becomes its owner, and the creation is audited', async () => {
    const group = await createGroup(database.db, systemClock, as(alice), {
      name: 'Platform',
      path: 'platform',
    });
    expect(group).toMatchObject({
      kind: 'group',
      name: 'Platform',
      full_path: 'platform',
      visibility: 'private',
    });
    expect(await findMember(database.db, { type: 'namespace', id: group.id }, alice.id)).toMatchObject({
      access_level: 50,
    });
    const [event] = await auditEvents(database.db, 'group.created');
    expect(event).toMatchObject({
      author_name: 'alice',
      entity_id: String(group.id),
      target_details: 'platform',
    });
  });

  it('a subgroup nests its path under the parent and needs maintainer there', async () => {
    const parent = await createGroup(database.db, systemClock, as(alice), {
      name: 'Infra',
      path: 'infra',
      visibility: 'public',
    });
    const child = await createGroup(database.db, systemClock, as(alice), {
      name: 'Net',
      path: 'net',
      parentId: parent.id,
    });
    expect(child).toMatchObject({ full_path: 'infra/net', parent_id: parent.id });
    expect(
      await refusal(
        createGroup(database.db, systemClock, as(bob), { name: 'X', path: 'x', parentId: parent.id }),
      ),
    ).toMatchObject({ code: 'forbidden', status: 403 });
    const hidden = await createGroup(database.db, systemClock, as(alice), { name: 'Hidden', path: 'hidden' });
    expect(
      await refusal(
        createGroup(database.db, systemClock, as(bob), { name: 'X', path: 'x', parentId: hidden.id }),
      ),
    ).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('a subgroup may not be more open than its parent', async () => {
    const parent = await createGroup(database.db, systemClock, as(alice), { name: 'Closed', path: 'closed' });
    expect(
      await refusal(
        createGroup(database.db, systemClock, as(alice), {
          name: 'Open',
          path: 'open',
          parentId: parent.id,
          visibility: 'public',
        }),
      ),
    ).toMatchObject({ code: 'bad_request', field: 'visibility_level' });
  });

  it('a taken group path is a 400 naming path', async () => {
    expect(
      await refusal(createGroup(database.db, systemClock, as(bob), { name: 'Platform', path: 'PLATFORM' })),
    ).toEqual({
      code: 'bad_request',
      status: 400,
      message: 'path has already been taken',
      field: 'path',
    });
    expect(
      await refusal(createGroup(database.db, systemClock, as(bob), { name: 'Alice', path: 'alice' })),
    ).toMatchObject({
      field: 'path',
    });
  });

  it('a project in a personal namespace is owned by its owner; only they may create there', async () => {
    const project = await createProject(database.db, systemClock, as(alice), { name: 'My Tool!' });
    const personal = await findUserNamespace(database.db, alice.id);
    expect(project).toMatchObject({
      name: 'My Tool!',
      path: 'my-tool',
      full_path: 'alice/my-tool',
      namespace_id: personal!.id,
    });
    expect(await findMember(database.db, { type: 'project', id: project.id }, alice.id)).toMatchObject({
      access_level: 50,
    });
    expect(
      await refusal(
        createProject(database.db, systemClock, as(bob), { path: 'intruder', namespace: personal!.id }),
      ),
    ).toMatchObject({ code: 'not_found', message: '404 Namespace Not Found' });
  });

  it('a project in a group needs developer there; a developer who creates one becomes its maintainer', async () => {
    const group = await createGroup(database.db, systemClock, as(alice), {
      name: 'Apps',
      path: 'apps',
      visibility: 'internal',
    });
    expect(
      await refusal(createProject(database.db, systemClock, as(bob), { path: 'web', namespace: 'apps' })),
    ).toMatchObject({ code: 'forbidden', status: 403 });
    await world.addMember(database.db, group, bob, 30);
    const web = await createProject(database.db, systemClock, as(bob), {
      path: 'web',
      namespace: 'apps',
      visibility: 'internal',
    });
    expect(web.full_path).toBe('apps/web');
    expect(await findMember(database.db, { type: 'project', id: web.id }, bob.id)).toMatchObject({
      access_level: 40,
    });
    expect(effectiveAccessLevel(await projectAccessFacts(database.db, bob, web))).toBe(40);
    // The owner of the group already holds more; no direct row is added for her.
    const api = await createProject(database.db, systemClock, as(alice), {
      path: 'api',
      namespace: group.id,
    });
    expect(await findMember(database.db, { type: 'project', id: api.id }, alice.id)).toBeUndefined();
    const [event] = (await auditEvents(database.db, 'project.created')).filter(
      (e) => e.entity_id === String(web.id),
    );
    expect(event).toMatchObject({ author_name: 'bob', target_details: 'apps/web' });
  });

  it('a project is never more open than its group, and its path is unique there', async () => {
    expect(
      await refusal(
        createProject(database.db, systemClock, as(alice), {
          path: 'pub',
          namespace: 'apps',
          visibility: 'public',
        }),
      ),
    ).toMatchObject({ code: 'bad_request', field: 'visibility_level' });
    expect(
      await refusal(createProject(database.db, systemClock, as(alice), { path: 'WEB', namespace: 'apps' })),
    ).toMatchObject({
      code: 'bad_request',
      message: 'path has already been taken',
    });
    expect(await refusal(createProject(database.db, systemClock, as(alice), {}))).toMatchObject({
      field: 'name',
    });
  });
});
