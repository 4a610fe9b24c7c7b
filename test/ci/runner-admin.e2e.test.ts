import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Namespace, Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  call,
  jobInState,
  latestPipeline,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';
import { gitbeakerStatus, runPythonFixture } from '../support/gitlab-clients.ts';

const SCRIPT = 'test/ci/fixtures/python_gitlab_runners.py';

describe('runners through python-gitlab and gitbeaker', () => {
  let instance: TestInstance;
  let admin: CiActor;
  let alice: CiActor;
  let project: Project;
  let group: Namespace;
  let instanceRunner: { id: number; token: string };
  const requestJob = (token: string) => call(instance, 'POST', '/api/v4/jobs/request', { body: { token } });

  beforeAll(async () => {
    instance = await startCiInstance('ci-runner-admin', { env: { TESSERA_CI_RUNNER_LONG_POLL: '1' } });
    admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'built' });
    group = (await instance.context.db
      .selectFrom('namespaces')
      .selectAll()
      .where('id', '=', project.namespace_id)
      .executeTakeFirstOrThrow()) as Namespace;
    instanceRunner = await registerRunner(instance, admin.pat, { runner_type: 'instance_type' });
  });
  afterAll(async () => instance?.stop());

  it('python-gitlab: lists with filters, shows, changes, verifies; legacy registration is 410', async () => {
    const api = new Gitlab({ host: instance.url, token: alice.pat });
    const made = await api.Users.createCIRunner('project_type', {
      projectId: project.id,
      description: 'mine',
    });
    const token = rememberSecret(made.token as string);
    const result = await runPythonFixture(SCRIPT, [
      instance.url,
      admin.pat,
      alice.pat,
      String(project.id),
      String(group.id),
      String(made.id),
      token,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.result;

    expect(out.owned).toEqual([made.id]);
    expect(out.owned_paused).toEqual([]);
    expect(out.all).toEqual([instanceRunner.id, made.id].sort((a, b) => a - b));
    expect(out.all_refused).toMatchObject({ code: 403 });
    expect(out.details).toMatchObject({
      id: made.id,
      description: 'mine',
      runner_type: 'project_type',
      paused: false,
      is_shared: false,
      status: 'never_contacted',
    });
    expect(out.changed).toEqual({
      description: 'renamed by python',
      paused: true,
      active: false,
      tag_list: ['linux', 'docker'],
    });
    expect(out.owned_paused_after).toEqual([made.id]);
    expect(out.tagged).toEqual([made.id]);
    expect(out.project_runners).toEqual([instanceRunner.id, made.id].sort((a, b) => a - b));
    expect(out.group_runners).toEqual([instanceRunner.id]);
    expect(out.verified).toBe(true);
    expect(out.legacy_register).toEqual({ code: 410, message: '410 Gone - runner registration disallowed' });
  });

  it('a reset token: the old one picks up no job, the new one does', async () => {
    const api = new Gitlab({ host: instance.url, token: admin.pat });
    const reset = await api.requester.post(`runners/${instanceRunner.id}/reset_authentication_token`, {});
    const fresh = rememberSecret((reset.body as { token: string }).token);
    expect(fresh).toMatch(/^glrt-/);
    expect((await requestJob(instanceRunner.token)).status).toBe(403);
    expect((await requestJob(fresh)).status).toBe(204);
    instanceRunner = { id: instanceRunner.id, token: fresh };
  });

  it('gitbeaker: show, edit, remove; the removed runner is refused and its running job fails, taking its token', async () => {
    const api = new Gitlab({ host: instance.url, token: admin.pat });
    expect((await api.Runners.show(instanceRunner.id)).runner_type).toBe('instance_type');
    const edited = await api.Runners.edit(instanceRunner.id, { description: 'shared fleet' });
    expect(edited.description).toBe('shared fleet');
    expect((await api.Runners.all({ owned: true })).map((r) => r.id)).not.toContain(instanceRunner.id);

    await pushFiles(instance, project, alice, { '.gitlab-ci.yml': 'build:\n  script: [sleep 60]\n' });
    await latestPipeline(instance, project);
    const taken = await requestJob(instanceRunner.token);
    expect(taken.status).toBe(201);
    const jobToken = rememberSecret(taken.body.token);
    const asJob = () => call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': jobToken } });
    expect((await asJob()).status).toBe(200);

    await api.Runners.remove({ runnerId: instanceRunner.id });
    expect(await gitbeakerStatus(api.Runners.show(instanceRunner.id))).toBe(404);
    expect((await requestJob(instanceRunner.token)).status).toBe(403);
    expect((await asJob()).status).toBe(401);
    const job = await jobInState(instance, taken.body.id, 'failed');
    expect(job.failure_reason).toBe('runner_system_failure');
  });
});
