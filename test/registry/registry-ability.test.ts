import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, ProjectScope } from '../../src/identity/principal.ts';
import { registryAbility } from '../../src/registry/registry-ability.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';

/** A job token's scope: its own project, plus projects whose allowlist admits it. */
function jobScope(own: Project, admitted: Project[]): ProjectScope {
  return {
    allows: async (id) => id === own.id || admitted.some((p) => p.id === id),
    writable: (id) => id === own.id,
  };
}

describe.each(ENGINES)('registry ability of a CI job token on %s', (engine) => {
  let store: TestDatabase;
  let user: User;
  let own: Project;
  let allowlisting: Project;
  let elsewhere: Project;
  let principal: Principal;

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    user = await createUser(store.db);
    const group = await createGroup(store.db);
    own = await createProject(store.db, group);
    allowlisting = await createProject(store.db, group);
    elsewhere = await createProject(store.db, group);
    for (const project of [own, allowlisting, elsewhere]) await addMember(store.db, project, user, 30);
    principal = {
      user,
      credential: {
        kind: 'ci_job_token',
        id: 1,
        scopes: ['read_registry', 'write_registry', 'read_api'],
        projectScope: jobScope(own, [allowlisting]),
      },
    };
  });
  afterAll(async () => {
    await store.destroy();
  });

  it('pulls and pushes on its own project', async () => {
    expect(await registryAbility(store.db, { type: 'user', principal }, own)).toEqual({
      pull: true,
      push: true,
      delete: true,
    });
  });

  it('only pulls from a project whose allowlist admits it, even though its user is a developer there', async () => {
    expect(await registryAbility(store.db, { type: 'user', principal }, allowlisting)).toEqual({
      pull: true,
      push: false,
      delete: false,
    });
  });

  it('reaches nothing on a project that does not admit it', async () => {
    expect(await registryAbility(store.db, { type: 'user', principal }, elsewhere)).toEqual({
      pull: false,
      push: false,
      delete: false,
    });
  });
});
