import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { findMember } from '../../src/store/members.repository.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import { AccessTokenAuthenticator } from '../../src/tokens/access/access-token.authenticator.ts';
import {
  createResourceAccessToken,
  listResourceAccessTokens,
  revokeResourceAccessToken,
  type TokenResource,
} from '../../src/tokens/access/resource-access-token.service.ts';
import { rotateAccessToken } from '../../src/tokens/access/rotate-access-token.service.ts';
import { ENGINES } from '../support/databases.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { actorOf, refusal, storeCounts, tokenWorld, type TokenWorld } from './token-fixtures.ts';

describe.each(ENGINES)('project and group access tokens on %s', (engine) => {
  let world: TokenWorld;
  let maintainer: User;
  let developer: User;
  let owner: User;
  let group: Namespace;
  let project: Project;
  let onProject: TokenResource;
  let onGroup: TokenResource;

  beforeAll(async () => {
    world = await tokenWorld(engine);
    [maintainer, developer, owner] = await Promise.all([
      createUser(world.db),
      createUser(world.db),
      createUser(world.db),
    ]);
    group = await createGroup(world.db);
    project = await createProject(world.db, group);
    await addMember(world.db, project, maintainer, ACCESS_LEVELS.maintainer);
    await addMember(world.db, project, developer, ACCESS_LEVELS.developer);
    await addMember(world.db, group, owner, ACCESS_LEVELS.owner);
    onProject = { kind: 'project', project };
    onGroup = { kind: 'group', group };
  });
  afterAll(() => world.destroy());

  const request = { name: 'deployer', scopes: ['read_repository', 'api'], expiresAt: '2026-05-01' };

  it('gives a project token a bot user that is a maintainer of the project by default', async () => {
    const issued = await createResourceAccessToken(
      world.deps,
      actorOf(maintainer),
      maintainer,
      onProject,
      request,
    );
    rememberSecret(issued.plaintext);
    const bot = await findUserById(world.db, issued.token.user_id);
    expect(bot).toMatchObject({ bot_kind: 'project_bot', name: 'deployer', state: 'active', is_admin: 0 });
    expect(bot!.username).toMatch(new RegExp(`^project_${project.id}_bot_[0-9a-f]{32}$`));
    expect(bot!.email).toBe(`${bot!.username}@noreply.tessera.example`);
    expect(await findMember(world.db, { type: 'project', id: project.id }, bot!.id)).toMatchObject({
      access_level: 40,
    });
    expect(issued.token).toMatchObject({ kind: 'project', resource_id: project.id, access_level: 40 });
    const principal = await new AccessTokenAuthenticator(world.deps).authenticate(issued.plaintext, {
      ip: null,
    });
    expect(principal?.credential.kind).toBe('project_access_token');
    expect(principal?.user.id).toBe(bot!.id);
  });

  it('gives a group token a group_bot member of the group at the level asked for', async () => {
    const issued = await createResourceAccessToken(world.deps, actorOf(owner), owner, onGroup, {
      ...request,
      accessLevel: ACCESS_LEVELS.developer,
    });
    rememberSecret(issued.plaintext);
    const bot = await findUserById(world.db, issued.token.user_id);
    expect(bot!.username).toMatch(new RegExp(`^group_${group.id}_bot_[0-9a-f]{32}$`));
    expect(bot!.bot_kind).toBe('group_bot');
    expect(await findMember(world.db, { type: 'namespace', id: group.id }, bot!.id)).toMatchObject({
      access_level: 30,
    });
    const event = await world.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'group_access_token.created')
      .where('target_id', '=', String(issued.token.id))
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ entity_type: 'Group', entity_id: String(group.id), author_id: owner.id });
  });

  it('refuses a developer (403), a hidden project (404), read_user, and an owner-level token from a maintainer, changing nothing', async () => {
    const outsider = await createUser(world.db);
    const before = await storeCounts(world.db);
    const asDeveloper = await refusal(
      createResourceAccessToken(world.deps, actorOf(developer), developer, onProject, request),
    );
    expect(asDeveloper.status).toBe(403);
    const asOutsider = await refusal(
      createResourceAccessToken(world.deps, actorOf(outsider), outsider, onProject, request),
    );
    expect([asOutsider.status, asOutsider.message]).toEqual([404, '404 Project Not Found']);
    const readUser = await refusal(
      createResourceAccessToken(world.deps, actorOf(maintainer), maintainer, onProject, {
        ...request,
        scopes: ['read_user'],
      }),
    );
    expect(readUser.details.field).toBe('scopes');
    const tooHigh = await refusal(
      createResourceAccessToken(world.deps, actorOf(maintainer), maintainer, onProject, {
        ...request,
        accessLevel: 50,
      }),
    );
    expect(tooHigh.details.field).toBe('access_level');
    const groupByMaintainer = await refusal(
      createResourceAccessToken(world.deps, actorOf(maintainer), maintainer, onGroup, request),
    );
    // The project's maintainer sees its group from below (as on GitLab), and holds no role there.
    expect(groupByMaintainer.status).toBe(403);
    expect(await storeCounts(world.db)).toEqual(before);
  });

  it('revokes a bot token: the bot is blocked and leaves the project', async () => {
    const issued = await createResourceAccessToken(
      world.deps,
      actorOf(maintainer),
      maintainer,
      onProject,
      request,
    );
    rememberSecret(issued.plaintext);
    await revokeResourceAccessToken(world.deps, actorOf(maintainer), maintainer, onProject, issued.token.id);
    expect((await findUserById(world.db, issued.token.user_id))?.state).toBe('blocked');
    expect(
      await findMember(world.db, { type: 'project', id: project.id }, issued.token.user_id),
    ).toBeUndefined();
    const listing = await listResourceAccessTokens(
      world.deps,
      maintainer,
      onProject,
      { state: 'active' },
      { limit: 100, offset: 0 },
    );
    expect(listing.tokens.map((t) => t.id)).not.toContain(issued.token.id);
  });

  it('rotates a bot token for the same bot and role', async () => {
    const issued = await createResourceAccessToken(world.deps, actorOf(owner), owner, onGroup, request);
    const rotated = await rotateAccessToken(world.deps, actorOf(owner), issued.token, '2026-04-15');
    rememberSecret(issued.plaintext);
    rememberSecret(rotated.plaintext);
    expect(rotated.token).toMatchObject({
      kind: 'group',
      user_id: issued.token.user_id,
      resource_id: group.id,
      access_level: 40,
      expires_at: '2026-04-15',
      previous_token_id: issued.token.id,
    });
  });

  it('does not find a token of another project', async () => {
    const other = await createProject(world.db, group);
    await addMember(world.db, other, maintainer, ACCESS_LEVELS.maintainer);
    const issued = await createResourceAccessToken(
      world.deps,
      actorOf(maintainer),
      maintainer,
      onProject,
      request,
    );
    rememberSecret(issued.plaintext);
    const error = await refusal(
      revokeResourceAccessToken(
        world.deps,
        actorOf(maintainer),
        maintainer,
        { kind: 'project', project: other },
        issued.token.id,
      ),
    );
    expect(error.status).toBe(404);
  });
});
