import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { tesseraCli } from '../../registry/registry-fixtures.ts';
import { call, depsOf, givePat } from '../token-fixtures.ts';

describe('deploy token endpoints', () => {
  let instance: TestInstance;
  let group: Namespace;
  let project: Project;
  let maintainer: User;
  let maintainerToken: string;
  let developerToken: string;
  let outsiderToken: string;
  let ownerToken: string;
  let adminToken: string;
  let readApiToken: string;

  const create = async (path: string, token: string, body: Record<string, unknown>) => {
    const response = await call(instance, 'POST', path, { token, body });
    if (typeof response.body?.token === 'string') rememberSecret(response.body.token);
    return response;
  };

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'deploy-token-routes' });
    const { db } = instance.context;
    group = await createGroup(db, { path: 'fleet', visibility: 'internal' });
    project = await createProject(db, group, { path: 'api' });
    const [developer, outsider, owner] = await Promise.all([createUser(db), createUser(db), createUser(db)]);
    maintainer = await createUser(db);
    const admin = await createUser(db, { is_admin: 1 });
    await addMember(db, project, maintainer, ACCESS_LEVELS.maintainer);
    await addMember(db, project, developer, ACCESS_LEVELS.developer);
    await addMember(db, group, owner, ACCESS_LEVELS.owner);
    const deps = depsOf(instance);
    maintainerToken = (await givePat(deps, maintainer)).plaintext;
    readApiToken = (await givePat(deps, maintainer, ['read_api'])).plaintext;
    developerToken = (await givePat(deps, developer)).plaintext;
    outsiderToken = (await givePat(deps, outsider)).plaintext;
    ownerToken = (await givePat(deps, owner)).plaintext;
    adminToken = (await givePat(deps, admin)).plaintext;
  });
  afterAll(() => instance.stop());

  it('creates a project deploy token in the v4 shape, shows the secret once, lists, gets and deletes it', async () => {
    const base = `/api/v4/projects/${encodeURIComponent('fleet/api')}/deploy_tokens`;
    const created = await create(base, maintainerToken, {
      name: 'k8s',
      scopes: ['read_registry', 'read_repository'],
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number),
      name: 'k8s',
      username: `gitlab+deploy-token-${created.body.id}`,
      expires_at: '2099-01-01T00:00:00.000Z',
      revoked: false,
      expired: false,
      scopes: ['read_registry', 'read_repository'],
      token: expect.stringMatching(/^gldt-/),
    });

    const listed = await call(instance, 'GET', base, { token: readApiToken });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('x-total')).toBe(String(listed.body.length));
    expect(listed.body.map((t: { id: number }) => t.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    const shown = await call(instance, 'GET', `${base}/${created.body.id}`, { token: maintainerToken });
    expect([shown.status, shown.body.token, shown.body.name]).toEqual([200, undefined, 'k8s']);

    const deleted = await call(instance, 'DELETE', `${base}/${created.body.id}`, { token: maintainerToken });
    expect([deleted.status, deleted.body]).toEqual([204, null]);
    // Deleted, as the platform's DELETE does: gone from GETs and lists; the audit log keeps it.
    const after = await call(instance, 'GET', `${base}/${created.body.id}`, { token: maintainerToken });
    expect([after.status, after.body]).toEqual([404, { message: '404 Token Not Found' }]);
    const all = await call(instance, 'GET', base, { token: maintainerToken });
    expect(all.body.map((t: { id: number }) => t.id)).not.toContain(created.body.id);
    const history = await instance.context.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_type', '=', 'DeployToken')
      .where('target_id', '=', String(created.body.id))
      .orderBy('id')
      .execute();
    expect(history.map((event) => event.action)).toEqual(['deploy_token.created', 'deploy_token.deleted']);
  });

  it('takes form-encoded scopes[] and a chosen username', async () => {
    const response = await fetch(`${instance.url}/api/v4/projects/${project.id}/deploy_tokens`, {
      method: 'POST',
      headers: { 'private-token': maintainerToken, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=form&username=puller.bot&scopes[]=read_registry&scopes[]=write_registry',
    });
    const body = (await response.json()) as { token: string; username: string; scopes: string[] };
    rememberSecret(body.token);
    expect([response.status, body.username, body.scopes]).toEqual([
      201,
      'puller.bot',
      ['read_registry', 'write_registry'],
    ]);
  });

  it('answers 400 naming the field, 403 to a developer and to read_api, 404 to an outsider', async () => {
    const base = `/api/v4/projects/${project.id}/deploy_tokens`;
    const bad = await create(base, maintainerToken, { name: 'x', scopes: ['api'] });
    expect([bad.status, bad.body]).toEqual([
      400,
      { message: { scopes: ['does not have a valid value'] }, error: 'scopes does not have a valid value' },
    ]);
    expect((await create(base, maintainerToken, { name: 'x' })).status).toBe(400);
    expect(await create(base, developerToken, { name: 'x', scopes: ['read_registry'] })).toMatchObject({
      status: 403,
      body: { message: '403 Forbidden' },
    });
    expect((await create(base, readApiToken, { name: 'x', scopes: ['read_registry'] })).body.error).toBe(
      'insufficient_scope',
    );
    expect(await create(base, outsiderToken, { name: 'x', scopes: ['read_registry'] })).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    expect((await call(instance, 'GET', `${base}/not-a-number`, { token: maintainerToken })).status).toBe(
      404,
    );
    expect((await call(instance, 'GET', base)).status).toBe(401);
  });

  it('lets a group owner create and rotate group tokens; the list is admin-only instance-wide', async () => {
    const base = `/api/v4/groups/fleet/deploy_tokens`;
    const created = await create(base, ownerToken, { name: 'fleet', scopes: ['read_registry'] });
    expect(created.status).toBe(201);
    const rotated = await call(instance, 'POST', `${base}/${created.body.id}/rotate`, { token: ownerToken });
    rememberSecret(rotated.body.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ id: created.body.id, username: created.body.username });
    expect(rotated.body.token).not.toBe(created.body.token);
    expect(Date.parse(rotated.body.previous_token_expires_at)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect((await create(base, maintainerToken, { name: 'x', scopes: ['read_registry'] })).status).toBe(403);

    const all = await call(instance, 'GET', '/api/v4/deploy_tokens', { token: adminToken });
    expect(all.status).toBe(200);
    expect(all.body.map((t: { id: number }) => t.id)).toContain(created.body.id);
    expect((await call(instance, 'GET', '/api/v4/deploy_tokens', { token: ownerToken })).status).toBe(403);
  });

  it('lists tokens expiring within 7 days over the API and in `tessera tokens expiring`', async () => {
    const inDays = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();
    const soon = await create(`/api/v4/projects/${project.id}/deploy_tokens`, maintainerToken, {
      name: 'soon',
      scopes: ['read_registry'],
      expires_at: inDays(3),
    });
    const later = await create(`/api/v4/projects/${project.id}/deploy_tokens`, maintainerToken, {
      name: 'later',
      scopes: ['read_registry'],
      expires_at: inDays(30),
    });
    const ids = (body: Array<{ id: number }>) => body.map((t) => t.id);
    const own = await call(instance, 'GET', `/api/v4/projects/${project.id}/deploy_tokens/expiring`, {
      token: maintainerToken,
    });
    expect(own.status).toBe(200);
    expect(ids(own.body)).toContain(soon.body.id);
    expect(ids(own.body)).not.toContain(later.body.id);
    expect(own.body.find((t: { id: number }) => t.id === soon.body.id)).toMatchObject({
      project_id: project.id,
      group_id: null,
    });
    const wide = await call(instance, 'GET', '/api/v4/deploy_tokens/expiring?days=31', { token: adminToken });
    expect(ids(wide.body)).toEqual(expect.arrayContaining([soon.body.id, later.body.id]));
    expect(
      (await call(instance, 'GET', '/api/v4/deploy_tokens/expiring?days=0', { token: adminToken })).status,
    ).toBe(400);
    expect(
      (await call(instance, 'GET', '/api/v4/deploy_tokens/expiring', { token: ownerToken })).status,
    ).toBe(403);

    const cli = tesseraCli(instance, ['tokens', 'expiring', '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as Array<{ type: string; id: number; name: string }>;
    expect(listed).toContainEqual(
      expect.objectContaining({ type: 'deploy_token', id: soon.body.id, name: 'soon' }),
    );
    expect(listed.map((t) => t.id)).not.toContain(later.body.id);
    expect(cli.stdout).not.toContain('gldt-');
  });

  it('provisions gitlab-deploy-token at project creation when Auto DevOps applies, and honours the creation flag', async () => {
    const settings = await call(instance, 'PUT', '/api/v4/application/settings', {
      token: maintainerToken,
      body: { auto_devops_enabled: true },
    });
    expect([settings.status, settings.body]).toEqual([403, { message: '403 Forbidden' }]);
    const on = await call(instance, 'PUT', '/api/v4/application/settings', {
      token: adminToken,
      body: { auto_devops_enabled: true },
    });
    expect(on.body).toEqual({ auto_devops_enabled: true, allow_runner_registration_token: false });
    const names = async (id: number) =>
      (await call(instance, 'GET', `/api/v4/projects/${id}/deploy_tokens`, { token: ownerToken })).body.map(
        (t: { name: string; revoked: boolean }) => `${t.name}:${t.revoked}`,
      );
    const created = await call(instance, 'POST', '/api/v4/projects', {
      token: ownerToken,
      body: { name: 'worker', namespace_id: group.id, visibility: 'private' },
    });
    expect(created.status).toBe(201);
    expect(await names(created.body.id)).toEqual(['gitlab-deploy-token:false']);

    const optedOut = await call(instance, 'POST', '/api/v4/projects', {
      token: ownerToken,
      body: { name: 'quiet', namespace_id: group.id, visibility: 'internal', auto_devops_enabled: false },
    });
    expect(await names(optedOut.body.id)).toEqual([]);
    const open = await call(instance, 'POST', '/api/v4/projects', {
      token: ownerToken,
      body: { name: 'docs', namespace_id: group.id, visibility: 'internal' },
    });
    expect(await names(open.body.id)).toEqual(['gitlab-deploy-token:false']);
    await call(instance, 'PUT', '/api/v4/application/settings', {
      token: adminToken,
      body: { auto_devops_enabled: false },
    });
    expect(await names(open.body.id)).toEqual(['gitlab-deploy-token:true']);

    const put = await call(instance, 'PUT', `/api/v4/projects/${created.body.id}`, {
      token: ownerToken,
      body: { auto_devops_enabled: null, deploy_token_grace_period: 60 },
    });
    expect(put.body).toMatchObject({
      id: created.body.id,
      auto_devops_enabled: false,
      auto_devops_override: null,
      deploy_token_grace_period: 60,
    });
    const tooLong = await call(instance, 'PUT', `/api/v4/projects/${created.body.id}`, {
      token: ownerToken,
      body: { deploy_token_grace_period: 99_999_999 },
    });
    expect([tooLong.status, Object.keys(tooLong.body.message)]).toEqual([400, ['deploy_token_grace_period']]);
    const byDeveloper = await call(instance, 'PUT', `/api/v4/projects/${project.id}`, {
      token: developerToken,
      body: { auto_devops_enabled: true },
    });
    expect(byDeveloper.status).toBe(403);
  });

  it('identifies and revokes a deploy token through the admin token API', async () => {
    const created = await create(`/api/v4/projects/${project.id}/deploy_tokens`, maintainerToken, {
      name: 'leaked',
      scopes: ['read_registry'],
    });
    const inspected = await call(instance, 'POST', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: created.body.token },
    });
    expect(inspected.status).toBe(200);
    expect(inspected.body).toMatchObject({
      token_type: 'deploy_token',
      id: created.body.id,
      active: true,
      user_id: null,
      resource: { type: 'project', id: project.id },
    });
    const revoked = await call(instance, 'DELETE', '/api/v4/admin/token', {
      token: adminToken,
      body: { token: created.body.token },
    });
    expect(revoked.status).toBe(204);
    const after = await call(
      instance,
      'GET',
      `/api/v4/projects/${project.id}/deploy_tokens/${created.body.id}`,
      {
        token: maintainerToken,
      },
    );
    expect(after.body.revoked).toBe(true);
  });
});
