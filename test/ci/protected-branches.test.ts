import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { ENGINES } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { addMember } from '../support/world.ts';
import {
  call,
  git,
  cloneUrl,
  personWithPat,
  projectOf,
  pushFiles,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';

describe.each(ENGINES)('the protected branches API (%s)', (engine) => {
  let instance: TestInstance;
  let alice: CiActor;
  let dev: CiActor;
  let project: Project;
  let workTree: string;
  const path = (p: Project) => `/api/v4/projects/${p.id}/protected_branches`;
  const devPushes = async (branch: string) =>
    (
      await git(
        [
          'push',
          '--quiet',
          cloneUrl(instance, project, dev.user.username, dev.pat),
          `HEAD:refs/heads/${branch}`,
        ],
        workTree,
      )
    ).code === 0;

  beforeAll(async () => {
    instance = await startCiInstance(`ci-protected-branches-${engine}`, { engine });
    alice = await personWithPat(instance);
    dev = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'guarded' });
    await addMember(instance.context.db, project, dev.user, ACCESS_LEVELS.developer);
    ({ workTree } = await pushFiles(instance, project, alice, { 'README.md': 'hi\n' }));
  });
  afterAll(async () => instance?.stop());

  it('protects a pattern with GitLab field names, and the rule governs pushes', async () => {
    expect(await devPushes('release/1')).toBe(true);
    const created = await call(instance, 'POST', path(project), {
      token: alice.pat,
      body: { name: 'release/*', push_access_level: 40 },
    });
    expect(created).toMatchObject({
      status: 201,
      body: {
        id: expect.any(Number),
        name: 'release/*',
        push_access_levels: [{ access_level: 40, access_level_description: 'Maintainers' }],
        merge_access_levels: [{ access_level: 40, access_level_description: 'Maintainers' }],
        allow_force_push: false,
      },
    });
    expect(await devPushes('release/2')).toBe(false);

    const listed = await call(instance, 'GET', path(project), { token: dev.pat });
    expect(listed.status).toBe(200);
    expect(listed.body.map((b: { name: string }) => b.name)).toEqual(['main', 'release/*']);

    const removed = await call(instance, 'DELETE', `${path(project)}/${encodeURIComponent('release/*')}`, {
      token: alice.pat,
    });
    expect(removed.status).toBe(204);
    expect(await devPushes('release/3')).toBe(true);
    const audit = await instance.context.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'like', 'protected_branch.%')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['protected_branch.created', 'protected_branch.deleted']);
  });

  it('lets developers push where the level is 30, and nobody where it is 0', async () => {
    const devs = await call(instance, 'POST', path(project), {
      token: alice.pat,
      body: { name: 'shared', push_access_level: 30 },
    });
    expect(devs.body.push_access_levels).toEqual([
      expect.objectContaining({ access_level: 30, access_level_description: 'Developers + Maintainers' }),
    ]);
    expect(await devPushes('shared')).toBe(true);

    const frozen = await call(instance, 'POST', path(project), {
      token: alice.pat,
      body: { name: 'frozen', push_access_level: 0 },
    });
    expect(frozen.body.push_access_levels[0]).toMatchObject({
      access_level: 0,
      access_level_description: 'No one',
    });
    const maintainerPush = await git(
      [
        'push',
        '--quiet',
        cloneUrl(instance, project, alice.user.username, alice.pat),
        'HEAD:refs/heads/frozen',
      ],
      workTree,
    );
    expect(maintainerPush.code).not.toBe(0);
  });

  it('lists the default branch as protected for maintainers, as GitLab does, and unprotecting it lets developers push', async () => {
    const listed = await call(instance, 'GET', path(project), { token: dev.pat });
    expect(listed.body[0]).toMatchObject({
      id: null,
      name: project.default_branch,
      push_access_levels: [{ access_level: 40, access_level_description: 'Maintainers' }],
    });
    // A new commit, so the push has something to update (an up-to-date push succeeds anywhere).
    await git(
      [
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.test',
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        'next',
      ],
      workTree,
    );
    expect(await devPushes(project.default_branch)).toBe(false);
    const removed = await call(instance, 'DELETE', `${path(project)}/${project.default_branch}`, {
      token: alice.pat,
    });
    expect(removed.status).toBe(204);
    const after = await call(instance, 'GET', path(project), { token: dev.pat });
    expect(after.body.map((b: { name: string }) => b.name)).not.toContain(project.default_branch);
    expect(await devPushes(project.default_branch)).toBe(true);
    const again = await call(instance, 'DELETE', `${path(project)}/${project.default_branch}`, {
      token: alice.pat,
    });
    expect(again.status).toBe(404);
  });

  it('refuses bad input with 400 naming the field, a duplicate with 409, an unknown name with 404', async () => {
    const badLevel = await call(instance, 'POST', path(project), {
      token: alice.pat,
      body: { name: 'x', push_access_level: 20 },
    });
    expect(badLevel).toMatchObject({
      status: 400,
      body: { error: 'push_access_level does not have a valid value' },
    });
    const noName = await call(instance, 'POST', path(project), { token: alice.pat, body: {} });
    expect(noName).toMatchObject({ status: 400, body: { error: 'name is missing' } });

    await call(instance, 'POST', path(project), { token: alice.pat, body: { name: 'twice' } });
    const duplicate = await call(instance, 'POST', path(project), {
      token: alice.pat,
      body: { name: 'twice' },
    });
    expect(duplicate).toMatchObject({
      status: 409,
      body: { message: "Protected branch 'twice' already exists" },
    });

    const missing = await call(instance, 'DELETE', `${path(project)}/nothing`, { token: alice.pat });
    expect(missing).toMatchObject({ status: 404, body: { message: '404 Protected Branch Not Found' } });
  });

  it('keeps protection changes to maintainers (403) and hides a private project from strangers (404)', async () => {
    const byDev = await call(instance, 'POST', path(project), { token: dev.pat, body: { name: 'mine' } });
    expect(byDev).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    const byDevDelete = await call(instance, 'DELETE', `${path(project)}/shared`, { token: dev.pat });
    expect(byDevDelete).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    const stranger = await personWithPat(instance);
    const hidden = await call(instance, 'GET', path(project), { token: stranger.pat });
    expect(hidden).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    const anonymous = await call(instance, 'GET', path(project));
    expect(anonymous).toEqual(
      expect.objectContaining({ status: 401, body: { message: '401 Unauthorized' } }),
    );
  });
});
