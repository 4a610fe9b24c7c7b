import { execFile } from 'node:child_process';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import { call } from '../tokens/token-fixtures.ts';
import { personWithPat, startCiInstance, type CiActor, type Json } from './ci-world.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/ci/fixtures/python_gitlab_variables.py';

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A value that can be masked, unique per call and registered for the log-leak check. */
const secretValue = (label: string) =>
  rememberSecret(`${label}-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`);

describe('CI/CD variables through python-gitlab, gitbeaker and the API', () => {
  let instance: TestInstance;
  let owner: CiActor;
  let admin: CiActor;
  let group: Namespace;
  let project: Project;

  beforeAll(async () => {
    instance = await startCiInstance('ci-variables-clients');
    const { db } = instance.context;
    owner = await personWithPat(instance);
    admin = await personWithPat(instance, { is_admin: 1 });
    group = await world.createGroup(db, { path: 'vars-group' });
    project = await world.createProject(db, group, { path: 'vars-project' });
    await world.addMember(db, group, owner.user, ACCESS_LEVELS.owner);
  });
  afterAll(async () => instance?.stop());

  it('python-gitlab: project, group and instance managers from create to delete', async () => {
    const secret = secretValue('py');
    const result = await run(PYTHON, [
      SCRIPT,
      instance.url,
      owner.pat,
      admin.pat,
      String(project.id),
      String(group.id),
      secret,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { result?: Json })
      .find((line) => line.result)?.result;

    expect(out.project_made).toMatchObject({
      key: 'PY_SECRET',
      value: secret,
      masked: true,
      protected: true,
      variable_type: 'env_var',
      environment_scope: '*',
      hidden: false,
    });
    expect(out.project_listed).toEqual([
      ['PY_SECRET', '*'],
      ['PY_SECRET', 'staging'],
    ]);
    expect(out.project_get.value).toBe(secret);
    expect(out.ambiguous).toBe(409);
    expect(out.project_updated).toBe('staging-value-2');
    expect(out.project_after_delete).toEqual([]);
    expect(out.credential_refused.code).toBe(400);
    expect(out.credential_refused.message).toContain('CI_JOB_TOKEN');

    expect(out.group_made).toMatchObject({ key: 'PY_HIDDEN', value: null, masked: true, hidden: true });
    expect(out.group_get).toMatchObject({ value: null, hidden: true });
    expect(out.group_listed).toEqual([['PY_HIDDEN', 'hidden one']]);
    expect(out.group_after_delete).toEqual([]);

    expect(out.instance_as_user).toBe(403);
    expect(out.instance_made).toMatchObject({
      key: 'PY_INSTANCE',
      value: 'instance-wide',
      variable_type: 'file',
    });
    expect(out.instance_get.value).toBe('instance-wide-2');
    expect(out.instance_after_delete).toEqual([]);
  });

  it('gitbeaker: ProjectVariables, GroupVariables and InstanceLevelCICDVariables from create to delete', async () => {
    const api = new Gitlab({ host: instance.url, token: owner.pat });
    const secret = secretValue('gb');
    const made = await api.ProjectVariables.create(project.id, 'GB_TOKEN', secret, {
      masked: true,
      environmentScope: 'production',
      description: 'deploy key',
    });
    expect(made).toMatchObject({
      key: 'GB_TOKEN',
      value: secret,
      masked: true,
      environment_scope: 'production',
    });
    expect((await api.ProjectVariables.all(project.id)).map((v) => v.key)).toEqual(['GB_TOKEN']);
    const shown = await api.ProjectVariables.show(project.id, 'GB_TOKEN', {
      filter: { environment_scope: 'production' },
    });
    expect(shown.description).toBe('deploy key');
    const edited = await api.ProjectVariables.edit(project.id, 'GB_TOKEN', `${secret}-2`, {
      filter: { environment_scope: 'production' },
    });
    rememberSecret(`${secret}-2`);
    expect(edited.value).toBe(`${secret}-2`);
    await api.ProjectVariables.remove(project.id, 'GB_TOKEN', {
      filter: { environment_scope: 'production' },
    });
    expect(await api.ProjectVariables.all(project.id)).toEqual([]);

    await api.GroupVariables.create(group.id, 'GB_GROUP', 'group-value', { variableType: 'file' });
    expect((await api.GroupVariables.show(group.id, 'GB_GROUP')).variable_type).toBe('file');
    await api.GroupVariables.edit(group.id, 'GB_GROUP', 'group-value-2', {
      filter: { environment_scope: '*' },
    });
    expect((await api.GroupVariables.all(group.id)).map((v) => v.value)).toEqual(['group-value-2']);
    await api.GroupVariables.remove(group.id, 'GB_GROUP');
    expect(await api.GroupVariables.all(group.id)).toEqual([]);

    const adminApi = new Gitlab({ host: instance.url, token: admin.pat });
    await adminApi.InstanceLevelCICDVariables.create('GB_INSTANCE', 'everywhere', { protected: true });
    expect(await adminApi.InstanceLevelCICDVariables.show('GB_INSTANCE')).toEqual({
      key: 'GB_INSTANCE',
      value: 'everywhere',
      variable_type: 'env_var',
      protected: true,
      masked: false,
      raw: false,
      description: null,
    });
    await adminApi.InstanceLevelCICDVariables.edit('GB_INSTANCE', 'everywhere-2');
    expect((await adminApi.InstanceLevelCICDVariables.all()).map((v) => v.value)).toEqual(['everywhere-2']);
    // gitbeaker 43's InstanceLevelCICDVariables.remove sends a GET (a bug of the client), so the
    // deletion goes through the API directly.
    await adminApi.InstanceLevelCICDVariables.remove('GB_INSTANCE');
    const removed = await call(instance, 'DELETE', '/api/v4/admin/ci/variables/GB_INSTANCE', {
      token: admin.pat,
    });
    expect(removed.status).toBe(204);
    expect(await adminApi.InstanceLevelCICDVariables.all()).toEqual([]);
  });

  it("answers GitLab's validation messages", async () => {
    const path = `/api/v4/projects/${project.id}/variables`;
    const post = (body: Record<string, unknown>) => call(instance, 'POST', path, { token: owner.pat, body });
    expect(await post({ key: 'bad-key', value: 'x' })).toMatchObject({
      status: 400,
      body: { message: { key: ["can contain only letters, digits and '_'."] } },
    });
    expect(await post({ key: 'K'.repeat(256), value: 'x' })).toMatchObject({
      status: 400,
      body: { message: { key: ['is too long (maximum is 255 characters)'] } },
    });
    expect(await post({ key: 'SHORT', value: 'short', masked: true })).toMatchObject({
      status: 400,
      body: { message: { value: [expect.stringContaining('The value must have at least 8 characters.')] } },
    });
    expect(await post({ key: 'LINES', value: 'two\nlines-long', masked: 'true' })).toMatchObject({
      status: 400,
      body: { message: { value: [expect.stringContaining('whitespace characters')] } },
    });
    expect(await post({ key: 'PIPE', value: 'abc|defghij', masked: 'yes' })).toMatchObject({
      status: 400,
      body: { message: { value: [expect.stringContaining('the following characters: |.')] } },
    });
    // Raw values may hold any character but whitespace.
    expect((await post({ key: 'RAW', value: 'abc|def!ghij', masked: true, raw: true })).status).toBe(201);
    expect(await post({ key: 'RAW', value: 'again' })).toMatchObject({
      status: 400,
      body: { message: { key: ['(RAW) has already been taken'] } },
    });
    expect(await post({ key: 'NOVALUE' })).toMatchObject({
      status: 400,
      body: { error: 'value is missing' },
    });
    for (const key of ['CI_JOB_TOKEN', 'CI_REGISTRY_PASSWORD', 'CI_DEPLOY_PASSWORD', 'CI_JOB_JWT_V2']) {
      const refused = await post({ key, value: 'replacement-credential' });
      expect(refused.status).toBe(400);
      expect(refused.body.message.key[0]).toContain('reserved');
    }
  });

  it('lets maintainers manage project variables and owners group variables; others get 403 or 404', async () => {
    const { db } = instance.context;
    const developer = await personWithPat(instance);
    const maintainer = await personWithPat(instance);
    const stranger = await personWithPat(instance);
    await world.addMember(db, project, developer.user, ACCESS_LEVELS.developer);
    await world.addMember(db, project, maintainer.user, ACCESS_LEVELS.maintainer);
    await world.addMember(db, group, maintainer.user, ACCESS_LEVELS.maintainer);
    const projectPath = `/api/v4/projects/${project.id}/variables`;
    const groupPath = `/api/v4/groups/${group.id}/variables`;
    expect((await call(instance, 'GET', projectPath, { token: developer.pat })).status).toBe(403);
    expect((await call(instance, 'GET', projectPath, { token: stranger.pat })).status).toBe(404);
    expect((await call(instance, 'GET', projectPath, { token: maintainer.pat })).status).toBe(200);
    expect((await call(instance, 'GET', groupPath, { token: maintainer.pat })).status).toBe(403);
    expect((await call(instance, 'GET', groupPath, { token: stranger.pat })).status).toBe(404);
    expect((await call(instance, 'GET', groupPath, { token: owner.pat })).status).toBe(200);
    expect((await call(instance, 'GET', '/api/v4/admin/ci/variables', { token: owner.pat })).status).toBe(
      403,
    );
  });

  it('keeps values sealed at rest and out of the audit trail', async () => {
    const secret = secretValue('rest');
    const made = await call(instance, 'POST', `/api/v4/projects/${project.id}/variables`, {
      token: owner.pat,
      body: { key: 'AT_REST', value: secret, masked: true },
    });
    expect(made.status).toBe(201);
    const { db } = instance.context;
    const row = await db
      .selectFrom('ci_variables')
      .selectAll()
      .where('key', '=', 'AT_REST')
      .executeTakeFirstOrThrow();
    expect(row.value_sealed).not.toContain(secret);
    expect(row.value_sealed).toMatch(/^v1\./);
    const events = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', 'like', 'ci_variable.%')
      .execute();
    expect(events.some((e) => e.target_details === 'AT_REST')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(secret);
  });
});
