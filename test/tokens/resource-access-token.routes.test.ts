import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import { addDays, todayUtc } from '../../src/tokens/access/access-token-expiry.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { call, depsOf, givePat, storeCounts } from './token-fixtures.ts';

describe('project and group access token endpoints', () => {
  let instance: TestInstance;
  let group: Namespace;
  let project: Project;
  let owner: User;
  let maintainerToken: string;
  let developerToken: string;
  let outsiderToken: string;
  let ownerToken: string;
  const inDays = (days: number) => addDays(todayUtc(instance.context.clock), days);

  async function create(path: string, token: string, body: Record<string, unknown>) {
    const response = await call(instance, 'POST', path, { token, body });
    if (typeof response.body?.token === 'string') rememberSecret(response.body.token);
    return response;
  }

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'resource-token-routes' });
    const { db } = instance.context;
    group = await createGroup(db, { path: 'platform' });
    project = await createProject(db, group, { path: 'api' });
    const [maintainer, developer, outsider] = await Promise.all([
      createUser(db),
      createUser(db),
      createUser(db),
    ]);
    owner = await createUser(db);
    await addMember(db, project, maintainer, ACCESS_LEVELS.maintainer);
    await addMember(db, project, developer, ACCESS_LEVELS.developer);
    await addMember(db, group, owner, ACCESS_LEVELS.owner);
    const deps = depsOf(instance);
    maintainerToken = (await givePat(deps, maintainer)).plaintext;
    developerToken = (await givePat(deps, developer)).plaintext;
    outsiderToken = (await givePat(deps, outsider)).plaintext;
    ownerToken = (await givePat(deps, owner)).plaintext;
  });
  afterAll(() => instance.stop());

  it('creates a project token whose bot acts on the API, by numeric id or URL-encoded path', async () => {
    const response = await create(`/api/v4/projects/${project.id}/access_tokens`, maintainerToken, {
      name: 'ci bot',
      scopes: ['api'],
      expires_at: inDays(30),
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'ci bot',
      scopes: ['api'],
      access_level: 40,
      active: true,
      revoked: false,
    });
    expect(response.body.token).toMatch(/^glpat-/);
    const bot = await findUserById(instance.context.db, response.body.user_id);
    expect(bot).toMatchObject({ bot_kind: 'project_bot' });
    expect(bot!.username).toMatch(new RegExp(`^project_${project.id}_bot_[0-9a-f]+$`));

    const self = await call(instance, 'GET', '/api/v4/personal_access_tokens/self', {
      token: response.body.token,
    });
    expect([self.status, self.body.user_id, self.body.access_level]).toEqual([200, bot!.id, 40]);

    const byPath = await call(
      instance,
      'GET',
      `/api/v4/projects/${encodeURIComponent('platform/api')}/access_tokens`,
      {
        token: maintainerToken,
      },
    );
    expect(byPath.status).toBe(200);
    expect(byPath.body.map((t: { id: number }) => t.id)).toContain(response.body.id);
    expect(byPath.headers.get('x-total')).toBe(String(byPath.body.length));
    expect(JSON.stringify(byPath.body)).not.toContain(response.body.token);
  });

  it('gets, rotates and revokes a project token; the revoked bot is refused', async () => {
    const base = `/api/v4/projects/${project.id}/access_tokens`;
    const created = await create(base, maintainerToken, {
      name: 'short',
      scopes: ['read_repository'],
      expires_at: inDays(5),
      access_level: 30,
    });
    const shown = await call(instance, 'GET', `${base}/${created.body.id}`, { token: maintainerToken });
    expect([shown.status, shown.body.access_level, shown.body.token]).toEqual([200, 30, undefined]);

    const rotated = await call(instance, 'POST', `${base}/${created.body.id}/rotate`, {
      token: maintainerToken,
    });
    rememberSecret(rotated.body.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({
      user_id: created.body.user_id,
      access_level: 30,
      expires_at: inDays(7),
    });

    const revoked = await call(instance, 'DELETE', `${base}/${rotated.body.id}`, { token: maintainerToken });
    expect([revoked.status, revoked.body]).toEqual([204, null]);
    expect(
      (await call(instance, 'GET', '/api/v4/personal_access_tokens/self', { token: rotated.body.token }))
        .status,
    ).toBe(401);
    const actions = await instance.context.db
      .selectFrom('audit_events')
      .select(['action', 'entity_type', 'entity_id'])
      .where('target_type', '=', 'ProjectAccessToken')
      .where('target_id', 'in', [String(created.body.id), String(rotated.body.id)])
      .orderBy('id')
      .execute();
    expect(actions).toEqual([
      { action: 'project_access_token.created', entity_type: 'Project', entity_id: String(project.id) },
      { action: 'project_access_token.rotated', entity_type: 'Project', entity_id: String(project.id) },
      { action: 'project_access_token.revoked', entity_type: 'Project', entity_id: String(project.id) },
    ]);
  });

  it('answers a developer 403, an outsider and a missing project 404, a bad body 400, changing nothing', async () => {
    const path = `/api/v4/projects/${project.id}/access_tokens`;
    const body = { name: 'nope', scopes: ['api'], expires_at: inDays(5) };
    const before = await storeCounts(instance.context.db);
    expect(await create(path, developerToken, body)).toMatchObject({
      status: 403,
      body: { message: '403 Forbidden' },
    });
    expect(await create(path, outsiderToken, body)).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    expect(await create('/api/v4/projects/424242/access_tokens', maintainerToken, body)).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    const readUser = await create(path, maintainerToken, { ...body, scopes: ['read_user'] });
    expect([readUser.status, Object.keys(readUser.body.message)]).toEqual([400, ['scopes']]);
    const ownerLevel = await create(path, maintainerToken, { ...body, access_level: 50 });
    expect([ownerLevel.status, Object.keys(ownerLevel.body.message)]).toEqual([400, ['access_level']]);
    expect((await call(instance, 'GET', path, { token: outsiderToken })).status).toBe(404);
    expect(await storeCounts(instance.context.db)).toEqual(before);
  });

  it('lets a group owner manage group tokens, backed by a group_bot', async () => {
    const base = `/api/v4/groups/${group.id}/access_tokens`;
    const created = await create(base, ownerToken, {
      name: 'group bot',
      scopes: ['read_api'],
      expires_at: inDays(9),
    });
    expect([created.status, created.body.access_level]).toEqual([201, 40]);
    expect((await findUserById(instance.context.db, created.body.user_id))?.bot_kind).toBe('group_bot');
    // A maintainer of a project in the group sees the group (as on GitLab), but may not make its tokens.
    expect(
      (await create(base, maintainerToken, { name: 'x', scopes: ['api'], expires_at: inDays(2) })).status,
    ).toBe(403);
    const listed = await call(instance, 'GET', `/api/v4/groups/platform/access_tokens`, {
      token: ownerToken,
    });
    expect(listed.body.map((t: { id: number }) => t.id)).toEqual([created.body.id]);
    expect((await call(instance, 'DELETE', `${base}/${created.body.id}`, { token: ownerToken })).status).toBe(
      204,
    );
    const after = await call(instance, 'GET', `${base}/${created.body.id}`, { token: ownerToken });
    expect(after.body).toMatchObject({ revoked: true, active: false });
  });

  it('refuses a bot token the right to mint more tokens', async () => {
    const created = await create(`/api/v4/groups/${group.id}/access_tokens`, ownerToken, {
      name: 'owner bot',
      scopes: ['api'],
      expires_at: inDays(9),
      access_level: 50,
    });
    const response = await create(`/api/v4/groups/${group.id}/access_tokens`, created.body.token, {
      name: 'child',
      scopes: ['api'],
      expires_at: inDays(9),
    });
    expect([response.status, response.body]).toEqual([403, { message: '403 Forbidden' }]);
  });

  it("without expires_at, gives project and group tokens the policy's longest lifetime", async () => {
    for (const base of [
      `/api/v4/projects/${project.id}/access_tokens`,
      `/api/v4/groups/${group.id}/access_tokens`,
    ]) {
      const token = base.includes('/groups/') ? ownerToken : maintainerToken;
      const response = await create(base, token, { name: 'no expiry', scopes: ['read_api'] });
      expect(response.status, base).toBe(201);
      expect(response.body.expires_at).toBe(inDays(365));
    }
  });
});
