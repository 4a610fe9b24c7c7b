import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../../src/store/schema.ts';
import { gitFetchStatus, registryPullStatus, type BasicCredential } from '../../support/credential-reach.ts';
import { gitbeakerStatus, runPythonFixture } from '../../support/gitlab-clients.ts';
import { startTestInstance, type TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { depsOf, givePat } from '../token-fixtures.ts';

const SCRIPT = 'test/tokens/deploy/fixtures/python_gitlab_deploy_tokens.py';

describe('the deploy token API through python-gitlab 3.12 and gitbeaker, unmodified', () => {
  let instance: TestInstance;
  let admin: User;
  let group: Namespace;
  let project: Project;
  let pat: string;

  /** [git, registry] statuses of the credential on the project. */
  const reach = async (basic: BasicCredential) => [
    await gitFetchStatus(instance, project.full_path, basic),
    await registryPullStatus(instance, project.full_path, basic),
  ];

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'python-gitlab-deploy' });
    const { db } = instance.context;
    admin = await createUser(db, { is_admin: 1 });
    group = await createGroup(db, { path: 'py-deploy' });
    project = await createProject(db, group, { path: 'service' });
    await addMember(db, group, admin, ACCESS_LEVELS.owner);
    pat = (await givePat(depsOf(instance), admin, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('python-gitlab creates, gets, lists and deletes project and group deploy tokens; a deleted one opens nothing', async () => {
    const run = await runPythonFixture(SCRIPT, [instance.url, pat, String(project.id), String(group.id)]);
    expect(run.code, run.stderr).toBe(0);
    const result = run.result;

    expect(result.created).toEqual({
      id: expect.any(Number),
      name: 'python cluster',
      username: 'py-puller',
      scopes: ['read_registry', 'read_repository'],
      revoked: false,
      expired: false,
    });
    expect(result.fetched).toMatchObject({ id: result.created.id, name: 'python cluster', expires_at: null });
    expect(result.listed).toContain(result.created.id);
    expect(result.group_username).toMatch(/^gitlab\+deploy-token-\d+$/);
    expect(result.instance_listed).toContain(result.created.id);
    expect(result.far_expires_at).toBe('2999-12-31T22:59:59.000Z');
    expect(result.today_expired).toBe(true);
    // Deleted is gone, as on the platform: 404, and no longer listed.
    expect(result.after_delete).toBe(404);
    expect(result.listed_after_delete).not.toContain(result.created.id);
    expect(result.bad_scope).toBe(400);

    // The deleted token is refused over git and the registry, where a live one with the same scopes works.
    expect(await reach(result.far_credential)).toEqual([200, 200]);
    expect(await reach({ username: 'py-puller', password: result.created_secret })).toEqual([401, 401]);
  });

  it('gitbeaker creates with any valid date, shows, lists and removes a project deploy token; removed, it opens nothing', async () => {
    const api = new Gitlab({ host: instance.url, token: pat });
    const made = await api.DeployTokens.create('beaker cluster', ['read_repository', 'read_registry'], {
      projectId: project.id,
      expires_at: '2999-01-31',
    });
    const credential = { username: made.username, password: rememberSecret(made.token) };
    expect(made).toMatchObject({ name: 'beaker cluster', expires_at: '2999-01-31T00:00:00.000Z' });
    expect((await api.DeployTokens.show(made.id, { projectId: project.id })).name).toBe('beaker cluster');
    expect((await api.DeployTokens.all({ projectId: project.id })).map((t) => t.id)).toContain(made.id);
    expect(await reach(credential)).toEqual([200, 200]);

    await api.DeployTokens.remove(made.id, { projectId: project.id });
    expect(await gitbeakerStatus(api.DeployTokens.show(made.id, { projectId: project.id }))).toBe(404);
    expect((await api.DeployTokens.all({ projectId: project.id })).map((t) => t.id)).not.toContain(made.id);
    expect(await reach(credential)).toEqual([401, 401]);
  });
});
