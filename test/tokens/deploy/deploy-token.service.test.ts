import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../../src/store/schema.ts';
import { DeployTokenResolver } from '../../../src/tokens/deploy/deploy-token.resolver.ts';
import {
  findResourceDeployToken,
  listResourceDeployTokens,
  revokeResourceDeployToken,
  type DeployTokenResource,
} from '../../../src/tokens/deploy/deploy-token.service.ts';
import { listExpiringDeployTokens } from '../../../src/tokens/deploy/expiring-deploy-tokens.ts';
import { ENGINES } from '../../support/databases.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { refusal } from '../token-fixtures.ts';
import { actorOf, deployWorld, giveDeployToken, type DeployWorld } from './deploy-fixtures.ts';

const page = { limit: 100, offset: 0 };

describe.each(ENGINES)('deploy tokens on %s', (engine) => {
  let world: DeployWorld;
  let resolver: DeployTokenResolver;
  let group: Namespace;
  let subgroup: Namespace;
  let project: Project;
  let deepProject: Project;
  let otherProject: Project;
  let maintainer: User;
  let developer: User;
  let outsider: User;
  let groupOwner: User;
  let groupMaintainer: User;
  let onProject: DeployTokenResource;
  let onGroup: DeployTokenResource;

  beforeAll(async () => {
    world = await deployWorld(engine);
    resolver = new DeployTokenResolver(world.deps);
    const { db } = world;
    group = await createGroup(db, { path: `acme-${engine}` });
    subgroup = await createGroup(db, { path: 'web', parent: group });
    project = await createProject(db, group, { path: 'api' });
    deepProject = await createProject(db, subgroup, { path: 'shop' });
    otherProject = await createProject(db, await createGroup(db), { path: 'elsewhere' });
    [maintainer, developer, outsider, groupOwner, groupMaintainer] = await Promise.all(
      [1, 2, 3, 4, 5].map(() => createUser(db)),
    );
    await addMember(db, project, maintainer, ACCESS_LEVELS.maintainer);
    await addMember(db, project, developer, ACCESS_LEVELS.developer);
    await addMember(db, group, groupOwner, ACCESS_LEVELS.owner);
    await addMember(db, group, groupMaintainer, ACCESS_LEVELS.maintainer);
    onProject = { kind: 'project', project };
    onGroup = { kind: 'group', group };
  });
  afterAll(() => world.destroy());

  it('creates a token with the default username, a gldt- secret kept only as a digest, and an audit event', async () => {
    const { token, plaintext } = await giveDeployToken(world, maintainer, onProject, {
      name: 'k8s',
      scopes: ['read_registry', 'read_repository'],
    });
    expect(plaintext).toMatch(/^gldt-[A-Za-z0-9_-]{32}$/);
    expect(token).toMatchObject({
      name: 'k8s',
      username: `gitlab+deploy-token-${token.id}`,
      project_id: project.id,
      group_id: null,
      expires_at: null,
      revoked: 0,
      secret_sealed: null,
      digest: world.deps.digester.digest(plaintext),
    });
    const stored = JSON.stringify(await world.db.selectFrom('deploy_tokens').selectAll().execute());
    expect(stored).not.toContain(plaintext.slice('gldt-'.length));
    const events = await world.db
      .selectFrom('audit_events')
      .selectAll()
      .where('target_type', '=', 'DeployToken')
      .where('target_id', '=', String(token.id))
      .execute();
    expect(events.map((e) => [e.action, e.entity_type, e.entity_id])).toEqual([
      ['deploy_token.created', 'Project', String(project.id)],
    ]);
    expect(JSON.stringify(events)).not.toContain(plaintext.slice('gldt-'.length));
  });

  it('keeps a sealed copy of the secret only for gitlab-deploy-token, bound to its row', async () => {
    const { token, plaintext } = await giveDeployToken(world, maintainer, onProject, {
      name: 'gitlab-deploy-token',
    });
    expect(token.secret_sealed).toMatch(/^v1\./);
    expect(world.deps.box.open(token.secret_sealed!, `deploy_token:${token.id}`)).toBe(plaintext);
    expect(() => world.deps.box.open(token.secret_sealed!, `deploy_token:${token.id + 1}`)).toThrow();
  });

  it('authenticates the secret only with its own username, and only while the token is active', async () => {
    const { token, plaintext } = await giveDeployToken(world, maintainer, onProject, {
      username: 'puller',
      expiresAt: '2026-03-03T12:00:00Z',
    });
    const identity = await resolver.resolve('puller', plaintext);
    expect(identity).toMatchObject({ type: 'deploy_token', tokenId: token.id, username: 'puller' });
    if (identity?.type !== 'deploy_token') throw new Error('expected a deploy token identity');
    expect(identity.scopes).toEqual(['read_registry']);
    expect([await identity.reaches(project.id), await identity.reaches(otherProject.id)]).toEqual([
      true,
      false,
    ]);
    expect(await resolver.resolve('someone-else', plaintext)).toBeNull();
    expect(await resolver.resolve('puller', `${plaintext}x`)).toBeNull();
    expect(resolver.claims('puller', plaintext)).toBe(true);
    expect(resolver.claims('puller', 'glpat-abc')).toBe(false);

    world.clock.advance(2 * 24 * 3600);
    expect(await resolver.resolve('puller', plaintext)).toBeNull();
    world.clock.set('2026-03-01T12:00:00.000Z');
    await revokeResourceDeployToken(world.deps, actorOf(maintainer), maintainer, onProject, token.id);
    expect(await resolver.resolve('puller', plaintext)).toBeNull();
    const revoked = await findResourceDeployToken(world.deps, maintainer, onProject, token.id);
    expect([revoked.revoked, revoked.revoked_at]).toEqual([1, '2026-03-01T12:00:00.000Z']);
  });

  it('lets a group token reach every project of the group and its subgroups, and nothing else', async () => {
    const { token, plaintext } = await giveDeployToken(world, groupOwner, onGroup);
    expect(token).toMatchObject({ group_id: group.id, project_id: null });
    const identity = await resolver.resolve(token.username, plaintext);
    if (identity?.type !== 'deploy_token') throw new Error('expected a deploy token identity');
    expect(await identity.reaches(project.id)).toBe(true);
    expect(await identity.reaches(deepProject.id)).toBe(true);
    expect(await identity.reaches(otherProject.id)).toBe(false);
    expect(await identity.reaches(999_999)).toBe(false);
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const count = async () => (await world.db.selectFrom('deploy_tokens').select('id').execute()).length;
    const before = await count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '' }, 'name'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['api'] }, 'scopes'],
      // A past date is a valid one (the token is expired from the start, as on the platform); a day the
      // calendar lacks is not.
      [{ expiresAt: '2026-02-30' }, 'expires_at'],
      [{ expiresAt: 'tomorrow' }, 'expires_at'],
      [{ username: 'has space' }, 'username'],
      [{ username: 'gitlab-ci-token' }, 'username'],
      [{ name: 'x'.repeat(256) }, 'name'],
    ];
    for (const [request, field] of cases) {
      const error = await refusal(giveDeployToken(world, maintainer, onProject, request));
      expect([error.code, error.details.field]).toEqual(['bad_request', field]);
    }
    expect(await count()).toBe(before);
  });

  it('lets maintainers manage project tokens; a developer gets 403, an outsider 404', async () => {
    expect((await refusal(giveDeployToken(world, developer, onProject))).code).toBe('forbidden');
    expect((await refusal(giveDeployToken(world, outsider, onProject))).code).toBe('not_found');
    expect((await refusal(listResourceDeployTokens(world.deps, developer, onProject, {}, page))).code).toBe(
      'forbidden',
    );
    // A group's maintainers see its tokens; only its owners create them.
    expect(
      (await listResourceDeployTokens(world.deps, groupMaintainer, onGroup, {}, page)).total,
    ).toBeGreaterThan(0);
    expect((await refusal(giveDeployToken(world, groupMaintainer, onGroup))).code).toBe('forbidden');
    // A token of another resource is a 404 like a missing one.
    const { token } = await giveDeployToken(world, groupOwner, onGroup);
    expect((await refusal(findResourceDeployToken(world.deps, maintainer, onProject, token.id))).code).toBe(
      'not_found',
    );
  });

  it('lists active tokens only when asked, oldest first', async () => {
    const all = await listResourceDeployTokens(world.deps, maintainer, onProject, {}, page);
    const active = await listResourceDeployTokens(world.deps, maintainer, onProject, { active: true }, page);
    const inactive = await listResourceDeployTokens(
      world.deps,
      maintainer,
      onProject,
      { active: false },
      page,
    );
    expect(all.total).toBe(active.total + inactive.total);
    const now = world.deps.clock.now().toISOString();
    expect(
      inactive.tokens.every((t) => t.revoked === 1 || (t.expires_at !== null && t.expires_at <= now)),
    ).toBe(true);
    expect(all.tokens.map((t) => t.id)).toEqual([...all.tokens.map((t) => t.id)].sort((a, b) => a - b));
  });

  it('lists the active tokens that expire within the warning window', async () => {
    const soon = await giveDeployToken(world, maintainer, onProject, {
      name: 'soon',
      expiresAt: '2026-03-04',
    });
    const later = await giveDeployToken(world, maintainer, onProject, {
      name: 'later',
      expiresAt: '2026-03-20',
    });
    const revokedSoon = await giveDeployToken(world, maintainer, onProject, {
      name: 'revoked soon',
      expiresAt: '2026-03-05',
    });
    await revokeResourceDeployToken(
      world.deps,
      actorOf(maintainer),
      maintainer,
      onProject,
      revokedSoon.token.id,
    );
    const listed = await listExpiringDeployTokens(world.deps, maintainer, onProject, 7, page);
    const ids = listed.tokens.map((t) => t.id);
    expect(ids).toContain(soon.token.id);
    expect(ids).not.toContain(later.token.id);
    expect(ids).not.toContain(revokedSoon.token.id);
    expect(
      (await listExpiringDeployTokens(world.deps, null, null, 30, page)).tokens.map((t) => t.id),
    ).toContain(later.token.id);
    expect((await refusal(listExpiringDeployTokens(world.deps, maintainer, null, 7, page))).code).toBe(
      'forbidden',
    );
  });
});
