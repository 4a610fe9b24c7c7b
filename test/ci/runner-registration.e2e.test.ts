import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { auditEvents } from '../identity/identity-fixtures.ts';
import { gitbeakerRefusal, runPythonFixture } from '../support/gitlab-clients.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember } from '../support/world.ts';
import { call, personWithPat, projectOf, startCiInstance, type CiActor } from './ci-world.ts';

/*
 * The legacy runner registration: off (410) until an administrator allows registration tokens; then
 * the instance's token registers instance runners and a project's token runners of that project, each
 * answered with a `glrt-` authentication token. A reset ends the previous registration token at once.
 */

const SCRIPT = 'test/ci/fixtures/python_gitlab_runner_registration.py';

describe('runner registration tokens through python-gitlab and gitbeaker', () => {
  let instance: TestInstance;
  let admin: CiActor;
  let maintainer: CiActor;
  let developer: CiActor;
  let project: Project;
  let seen: Record<string, unknown> & { instance_token: string; project_token: string };

  beforeAll(async () => {
    instance = await startCiInstance('runner-registration');
    admin = await personWithPat(instance, { is_admin: 1 });
    maintainer = await personWithPat(instance);
    developer = await personWithPat(instance);
    project = await projectOf(instance, maintainer.user, { path: 'legacy' });
    await addMember(instance.context.db, project, developer.user, ACCESS_LEVELS.developer);
  });
  afterAll(async () => instance?.stop());

  it('python-gitlab: the setting, the resets, runners_token for maintainers, and runners.create', async () => {
    const run = await runPythonFixture(SCRIPT, [
      instance.url,
      admin.pat,
      maintainer.pat,
      developer.pat,
      String(project.id),
    ]);
    expect(run.code, run.stderr).toBe(0);
    seen = run.result;
    expect(seen).toMatchObject({
      allowed_before: false,
      while_disallowed: { code: 410, message: '410 Gone - runner registration disallowed' },
      allowed_after: true,
      instance_token_prefix: 'GR1348941',
      reset_by_non_admin: { code: 403 },
      registered: { token_prefix: 'glrt-' },
      registered_shown: { runner_type: 'instance_type', description: 'legacy', tag_list: ['linux', 'x86'] },
      verified: true,
      bad_token: { code: 403 },
      runners_token_matches: true,
      developer_sees_runners_token: false,
      reset_by_developer: { code: 403 },
    });
  });

  it("gitbeaker: a project's token registers a runner of that project; a reset ends the old token; disallowed again, 410", async () => {
    const api = new Gitlab({ host: instance.url, token: admin.pat });
    const made = await api.Runners.create(seen.project_token, { description: 'project legacy' });
    rememberSecret(made.token);
    expect(made.token.startsWith('glrt-')).toBe(true);
    const shown = await api.Runners.show(made.id);
    expect(shown).toMatchObject({ runner_type: 'project_type', description: 'project legacy' });
    expect((shown.projects as { id: number }[]).map((p) => p.id)).toEqual([project.id]);
    // The runner's own token works at once: the runner API asks for a job and gets none yet.
    expect(
      (await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: made.token } })).status,
    ).toBe(204);

    const reset = await call(
      instance,
      'POST',
      `/api/v4/projects/${project.id}/runners/reset_registration_token`,
      {
        token: maintainer.pat,
      },
    );
    expect(reset.status).toBe(201);
    rememberSecret(reset.body.token);
    expect(await gitbeakerRefusal(api.Runners.create(seen.project_token))).toMatchObject({ status: 403 });
    rememberSecret((await api.Runners.create(reset.body.token)).token);

    await api.ApplicationSettings.edit({ allowRunnerRegistrationToken: false });
    expect(await gitbeakerRefusal(api.Runners.create(seen.instance_token))).toEqual({
      status: 410,
      description: '410 Gone - runner registration disallowed',
    });
    // Registered runners keep working: the setting governs registering, not running.
    expect(
      (await call(instance, 'POST', '/api/v4/runners/verify', { body: { token: made.token } })).status,
    ).toBe(200);
  });

  it('the admin token API names both kinds of runner token and revokes each', async () => {
    const asAdmin = (method: string, token: string) =>
      call(instance, method, '/api/v4/admin/token', { token: admin.pat, body: { token } });
    await call(instance, 'PUT', '/api/v4/application/settings', {
      token: admin.pat,
      body: { allow_runner_registration_token: true },
    });
    const registration = rememberSecret(
      (await call(instance, 'POST', '/api/v4/runners/reset_registration_token', { token: admin.pat })).body
        .token,
    );
    const runner = await call(instance, 'POST', '/api/v4/runners', { body: { token: registration } });
    const runnerToken = rememberSecret(runner.body.token);

    expect(await asAdmin('POST', registration)).toMatchObject({
      status: 200,
      body: { token_type: 'runner_registration_token', name: 'instance', active: true },
    });
    expect(await asAdmin('POST', runnerToken)).toMatchObject({
      status: 200,
      body: { token_type: 'runner_authentication_token', id: runner.body.id, active: true, resource: null },
    });

    expect((await asAdmin('DELETE', runnerToken)).status).toBe(204);
    const verify = await call(instance, 'POST', '/api/v4/runners/verify', { body: { token: runnerToken } });
    expect(verify.status).toBe(403);
    // The runner stays; only its leaked token is gone.
    expect(
      (await call(instance, 'GET', `/api/v4/runners/${runner.body.id}`, { token: admin.pat })).status,
    ).toBe(200);
    expect((await asAdmin('DELETE', registration)).status).toBe(204);
    expect((await call(instance, 'POST', '/api/v4/runners', { body: { token: registration } })).status).toBe(
      403,
    );
    expect((await asAdmin('POST', registration)).status).toBe(404);
  });

  it('audits every reset and every registration, with the scope and never the token', async () => {
    const db = instance.context.db;
    const resets = await auditEvents(db, 'runner_registration_token.reset');
    expect(resets.map((e) => e.entity_id)).toEqual([
      'instance',
      `project:${project.id}`,
      `project:${project.id}`,
      'instance',
    ]);
    const registered = (await auditEvents(db, 'runner.created')).filter((e) => e.details.registered_with);
    expect(registered.map((e) => e.details.registered_with)).toEqual([
      'instance',
      `project:${project.id}`,
      `project:${project.id}`,
      'instance',
    ]);
    const settings = (await auditEvents(db, 'application_setting.updated')).map((e) => e.details);
    expect(settings).toEqual([
      { key: 'allow_runner_registration_token', from: false, to: true },
      { key: 'allow_runner_registration_token', from: true, to: false },
      { key: 'allow_runner_registration_token', from: false, to: true },
    ]);
    expect((await auditEvents(db, 'runner_registration_token.revoked')).map((e) => e.details)).toEqual([
      { via: 'admin_token' },
    ]);
  });
});
