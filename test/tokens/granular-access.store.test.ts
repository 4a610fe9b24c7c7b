import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { PERMISSIONS } from '../../src/identity/permission-catalogue.ts';
import { findUserNamespace } from '../../src/store/namespaces.repository.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { holdsGranularPermission, type GranularTarget } from '../../src/tokens/access/granular-access.ts';
import { validateGranularScopes, type GranularScope } from '../../src/tokens/access/granular-scopes.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';

describe.each(ENGINES)('fine-grained boundaries on %s', (engine) => {
  let store: TestDatabase;
  let user: User;
  let admin: User;
  let top: Namespace;
  let deep: Namespace;
  let inDeep: Project;
  let elsewhere: Project;
  let personal: Project;

  const grant = (access: GranularScope['access'], ids: Partial<GranularScope> = {}): GranularScope => ({
    access,
    permissions: [PERMISSIONS.readProject.name, PERMISSIONS.downloadCode.name, PERMISSIONS.readUser.name],
    project_id: null,
    group_id: null,
    ...ids,
  });
  const project = (p: Project): GranularTarget => ({ kind: 'project', project: p });
  const holds = (
    who: User,
    grants: GranularScope[],
    target: GranularTarget,
    permission = PERMISSIONS.readProject,
  ) => holdsGranularPermission(store.db, who, grants, permission, target);

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    const db = store.db;
    user = await createUser(db);
    admin = await createUser(db, { is_admin: 1 });
    top = await createGroup(db);
    const middle = await createGroup(db, { parent: top });
    deep = await createGroup(db, { parent: middle });
    inDeep = await createProject(db, deep);
    elsewhere = await createProject(db, await createGroup(db));
    personal = await createProject(db, (await findUserNamespace(db, user.id))!);
    await addMember(db, top, user, ACCESS_LEVELS.reporter);
  });
  afterAll(async () => store.destroy());

  it('a selected group covers every project and subgroup below it, and nothing beside it', async () => {
    const grants = [grant('selected_memberships', { group_id: top.id })];
    expect(await holds(user, grants, project(inDeep))).toBe(true);
    expect(await holds(user, grants, { kind: 'group', group: deep })).toBe(true);
    expect(await holds(user, grants, project(elsewhere))).toBe(false);
  });

  it('a selected project covers that project only', async () => {
    const grants = [grant('selected_memberships', { project_id: inDeep.id })];
    expect(await holds(user, grants, project(inDeep))).toBe(true);
    expect(await holds(user, grants, { kind: 'group', group: deep })).toBe(false);
    expect(await holds(user, grants, project(personal))).toBe(false);
  });

  it('all_memberships follows membership, inherited too, and not an administrator’s reach', async () => {
    expect(await holds(user, [grant('all_memberships')], project(inDeep))).toBe(true);
    expect(await holds(user, [grant('all_memberships')], project(elsewhere))).toBe(false);
    expect(await holds(admin, [grant('all_memberships')], project(elsewhere))).toBe(false);
  });

  it('personal_projects covers the projects of the user’s own namespace only', async () => {
    expect(await holds(user, [grant('personal_projects')], project(personal))).toBe(true);
    expect(await holds(user, [grant('personal_projects')], project(inDeep))).toBe(false);
  });

  it('user and instance grants hold user and instance routes, never a project', async () => {
    expect(await holds(user, [grant('user')], { kind: 'none' }, PERMISSIONS.readUser)).toBe(true);
    expect(await holds(user, [grant('user')], project(personal))).toBe(false);
    // Held at a project boundary does not make a user-boundary route's permission held.
    expect(await holds(user, [grant('all_memberships')], { kind: 'none' }, PERMISSIONS.readUser)).toBe(false);
  });

  it('a permission the grant does not name is never held', async () => {
    const grants = [grant('selected_memberships', { project_id: inDeep.id })];
    expect(await holds(user, grants, project(inDeep), PERMISSIONS.pushCode)).toBe(false);
  });

  it('validation expands a request to one grant per project and group, deduplicated ids', async () => {
    const grants = await validateGranularScopes(store.db, user, [
      {
        access: 'selected_memberships',
        permissions: ['download_code', 'download_code'],
        project_ids: [inDeep.id, String(inDeep.id)],
        group_ids: [top.id],
      },
      { access: 'user', permissions: ['read_user'] },
    ]);
    expect(grants).toEqual([
      {
        access: 'selected_memberships',
        permissions: ['download_code'],
        project_id: inDeep.id,
        group_id: null,
      },
      { access: 'selected_memberships', permissions: ['download_code'], project_id: null, group_id: top.id },
      { access: 'user', permissions: ['read_user'], project_id: null, group_id: null },
    ]);
  });

  it('validation refuses what the owner cannot see exactly as what does not exist', async () => {
    const refusal = async (project_ids: number[]) =>
      validateGranularScopes(store.db, user, [
        { access: 'selected_memberships', permissions: ['download_code'], project_ids },
      ]).then(
        () => null,
        (error: Error) => error.message.replace(/\d+$/, 'N'),
      );
    expect(await refusal([elsewhere.id])).toBe(await refusal([999_999]));
    expect(await refusal([elsewhere.id])).toMatch(/^granular_scopes\[project_ids\]/);
  });

  it('validation refuses two grants for the same boundary', async () => {
    await expect(
      validateGranularScopes(store.db, user, [
        { access: 'user', permissions: ['read_user'] },
        { access: 'user', permissions: ['create_project'] },
      ]),
    ).rejects.toThrow(/more than one entry for the same boundary/);
  });
});
