import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../../src/audit/audit-log.ts';
import type { Settings } from '../../../src/config/settings.ts';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../../src/store/schema.ts';
import {
  autoDevOpsEffective,
  needsDeployToken,
  reconcileAutoDevOpsToken,
  setInstanceAutoDevOps,
} from '../../../src/tokens/deploy/auto-devops.service.ts';
import { DeployTokenResolver } from '../../../src/tokens/deploy/deploy-token.resolver.ts';
import { deployTokenVariables } from '../../../src/tokens/deploy/deploy-token-variables.ts';
import { updateProjectDeploySettings } from '../../../src/tokens/deploy/project-deploy-settings.service.ts';
import { ENGINES } from '../../support/databases.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { actorOf, deployWorld, giveDeployToken, type DeployWorld } from './deploy-fixtures.ts';

describe('Auto DevOps decisions', () => {
  it('lets a project setting override the instance default either way', () => {
    expect(autoDevOpsEffective(true, null)).toBe(true);
    expect(autoDevOpsEffective(false, null)).toBe(false);
    expect(autoDevOpsEffective(true, false)).toBe(false);
    expect(autoDevOpsEffective(false, true)).toBe(true);
  });

  it('gives public projects no token: their registry is readable by anyone', () => {
    expect(needsDeployToken({ visibility: 'private' }, true)).toBe(true);
    expect(needsDeployToken({ visibility: 'internal' }, true)).toBe(true);
    expect(needsDeployToken({ visibility: 'public' }, true)).toBe(false);
    expect(needsDeployToken({ visibility: 'private' }, false)).toBe(false);
  });
});

describe.each(ENGINES)('Auto DevOps provisioning on %s', (engine) => {
  let world: DeployWorld;
  let group: Namespace;
  let maintainer: User;
  const context = () =>
    ({
      db: world.db,
      clock: world.clock,
      secrets: { digester: world.deps.digester, box: world.deps.box },
      metrics: world.deps.metrics,
      settings: { tokenPrefix: '' } as Settings,
    }) as Parameters<typeof deployTokenVariables>[0];
  const gitlabDeployTokens = (project: Project) =>
    world.db
      .selectFrom('deploy_tokens')
      .selectAll()
      .where('project_id', '=', project.id)
      .where('name', '=', 'gitlab-deploy-token')
      .orderBy('id')
      .execute();
  const variables = async (project: Project, environment: string | null = 'production') => {
    const list = await deployTokenVariables(context(), project, { environment });
    for (const variable of list) if (variable.masked) rememberSecret(variable.value);
    return Object.fromEntries(list.map((v) => [v.key, v.value]));
  };

  beforeAll(async () => {
    world = await deployWorld(engine);
    group = await createGroup(world.db, { visibility: 'public' });
    maintainer = await createUser(world.db);
    await addMember(world.db, group, maintainer, ACCESS_LEVELS.maintainer);
  });
  afterAll(() => world.destroy());

  it('creates gitlab-deploy-token for private and internal projects when the instance turns it on, and revokes it when off', async () => {
    const priv = await createProject(world.db, group, { visibility: 'private' });
    const internal = await createProject(world.db, group, { visibility: 'internal' });
    const pub = await createProject(world.db, group, { visibility: 'public' });

    const on = await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, true);
    expect(on.created).toBeGreaterThanOrEqual(2);
    for (const project of [priv, internal]) {
      const [token, ...more] = await gitlabDeployTokens(project);
      expect(more).toEqual([]);
      expect(token).toMatchObject({
        scopes: '["read_registry"]',
        auto_created: 1,
        revoked: 0,
        expires_at: null,
      });
    }
    expect(await gitlabDeployTokens(pub)).toEqual([]);
    // Turning it on again changes nothing.
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, true);
    expect(await gitlabDeployTokens(priv)).toHaveLength(1);

    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, false);
    expect((await gitlabDeployTokens(priv)).map((t) => t.revoked)).toEqual([1]);
    const actions = await world.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('entity_type', '=', 'Project')
      .where('entity_id', '=', String(priv.id))
      .orderBy('id')
      .execute();
    expect(actions.map((a) => [a.action, JSON.parse(a.details).reason])).toEqual([
      ['deploy_token.created', 'auto_devops_enabled'],
      ['deploy_token.revoked', 'auto_devops_disabled'],
    ]);
    const setting = await world.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'application_setting.updated')
      .execute();
    expect(setting.map((s) => JSON.parse(s.details).to)).toEqual([true, true, false]);
  });

  it("follows the project's own setting over the instance's, both ways", async () => {
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, true);
    const project = await createProject(world.db, group, { visibility: 'private' });
    await addMember(world.db, project, maintainer, ACCESS_LEVELS.maintainer);
    await reconcileAutoDevOpsToken(world.deps, SYSTEM_ACTOR, project);
    expect((await gitlabDeployTokens(project)).map((t) => t.revoked)).toEqual([0]);

    const off = await updateProjectDeploySettings(
      world.deps,
      actorOf(maintainer),
      maintainer,
      String(project.id),
      {
        autoDevOpsEnabled: false,
      },
    );
    expect(off.settings).toMatchObject({ auto_devops_enabled: false, auto_devops_override: false });
    expect((await gitlabDeployTokens(project)).map((t) => t.revoked)).toEqual([1]);
    // The instance default no longer reaches it.
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, true);
    expect((await gitlabDeployTokens(project)).map((t) => t.revoked)).toEqual([1]);

    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, false);
    await updateProjectDeploySettings(world.deps, actorOf(maintainer), maintainer, String(project.id), {
      autoDevOpsEnabled: true,
    });
    expect((await gitlabDeployTokens(project)).map((t) => t.revoked)).toEqual([1, 0]);
  });

  it('hands CI jobs CI_DEPLOY_USER and CI_DEPLOY_PASSWORD that authenticate as the token', async () => {
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, false);
    const project = await createProject(world.db, group, { visibility: 'private' });
    expect(await variables(project)).toEqual({});

    await updateProjectDeploySettings(world.deps, actorOf(maintainer), maintainer, String(project.id), {
      autoDevOpsEnabled: true,
    });
    const [token] = await gitlabDeployTokens(project);
    const vars = await variables(project);
    expect(vars.CI_DEPLOY_USER).toBe(token!.username);
    const identity = await new DeployTokenResolver(world.deps).resolve(
      vars.CI_DEPLOY_USER!,
      vars.CI_DEPLOY_PASSWORD!,
    );
    expect(identity).toMatchObject({ type: 'deploy_token', tokenId: token!.id, scopes: ['read_registry'] });

    await updateProjectDeploySettings(world.deps, actorOf(maintainer), maintainer, String(project.id), {
      environmentOnly: true,
    });
    expect(await variables(project, null)).toEqual({});
    expect(Object.keys(await variables(project, 'production'))).toEqual([
      'CI_DEPLOY_USER',
      'CI_DEPLOY_PASSWORD',
    ]);
  });

  it('provisions a missing token when a job asks and Auto DevOps applies, and uses a user-made one as is', async () => {
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, false);
    const late = await createProject(world.db, group, { visibility: 'internal' });
    await world.db
      .insertInto('application_settings')
      .values({ key: 'auto_devops_enabled', value: 'true', updated_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: 'true' }))
      .execute();
    expect(Object.keys(await variables(late))).toEqual(['CI_DEPLOY_USER', 'CI_DEPLOY_PASSWORD']);
    expect(await gitlabDeployTokens(late)).toHaveLength(1);

    const manual = await createProject(world.db, group, { visibility: 'private' });
    await addMember(world.db, manual, maintainer, ACCESS_LEVELS.maintainer);
    const own = await giveDeployToken(
      world,
      maintainer,
      { kind: 'project', project: manual },
      {
        name: 'gitlab-deploy-token',
        username: 'deployer',
        scopes: ['read_registry', 'read_repository'],
      },
    );
    expect(await variables(manual)).toEqual({
      CI_DEPLOY_USER: 'deployer',
      CI_DEPLOY_PASSWORD: own.plaintext,
    });
    // Auto DevOps going away never revokes a token a person made.
    await updateProjectDeploySettings(world.deps, actorOf(maintainer), maintainer, String(manual.id), {
      autoDevOpsEnabled: false,
    });
    expect((await gitlabDeployTokens(manual)).map((t) => [t.username, t.revoked])).toEqual([['deployer', 0]]);
  });

  it('falls back to a group gitlab-deploy-token for projects without their own', async () => {
    await setInstanceAutoDevOps(world.deps, SYSTEM_ACTOR, false);
    const owner = await createUser(world.db);
    const team = await createGroup(world.db);
    await addMember(world.db, team, owner, ACCESS_LEVELS.owner);
    const project = await createProject(world.db, await createGroup(world.db, { parent: team }));
    const groupToken = await giveDeployToken(
      world,
      owner,
      { kind: 'group', group: team },
      {
        name: 'gitlab-deploy-token',
      },
    );
    expect(await variables(project)).toEqual({
      CI_DEPLOY_USER: groupToken.token.username,
      CI_DEPLOY_PASSWORD: groupToken.plaintext,
    });
  });
});
