import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/util/clock.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember } from '../support/world.ts';
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

describe('the runner API, spoken by hand, with a frozen clock', () => {
  const clock = new ManualClock();
  let instance: TestInstance;
  let alice: CiActor;
  let project: Project;
  let runnerToken: string;
  let admin: CiActor;

  const request = (token: string) => call(instance, 'POST', '/api/v4/jobs/request', { body: { token } });

  beforeAll(async () => {
    instance = await startCiInstance('ci-runner-api', { clock, env: { TESSERA_CI_RUNNER_LONG_POLL: '1' } });
    admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user);
    runnerToken = (
      await registerRunner(instance, admin.pat, { runner_type: 'instance_type', description: 'by hand' })
    ).token;
  });
  afterAll(() => instance.stop());

  it('refuses an unknown runner token and answers 204 when there is no work', async () => {
    expect((await request('glrt-not-a-real-token')).status).toBe(403);
    expect((await request(runnerToken)).status).toBe(204);
    expect(
      (await call(instance, 'POST', '/api/v4/runners/verify', { body: { token: runnerToken } })).body,
    ).toMatchObject({ token: runnerToken });
  });

  it('hands out a job in the platform’s shape, appends its log in order, and lets the server time it out', async () => {
    await pushFiles(instance, project, alice, {
      '.gitlab-ci.yml': 'job:\n  timeout: 10m\n  script: [echo hello]\n',
    });
    const pipeline = await latestPipeline(instance, project);
    const taken = await request(runnerToken);
    expect(taken.status).toBe(201);
    const payload = taken.body;
    const token = rememberSecret(payload.token);
    expect(payload).toMatchObject({
      id: expect.any(Number),
      token: expect.stringMatching(/^glcbt-/),
      job_info: { name: 'job', stage: 'test', project_id: project.id },
      git_info: { ref: 'main', sha: pipeline.sha, ref_type: 'branch' },
      runner_info: { timeout: 600 },
      steps: [{ name: 'script', script: ['echo hello'], timeout: 600 }],
    });
    const variables = Object.fromEntries(
      payload.variables.map((v: { key: string; value: string }) => [v.key, v.value]),
    );
    expect(variables).toMatchObject({
      CI: 'true',
      CI_JOB_ID: String(payload.id),
      CI_JOB_TOKEN: token,
      CI_PIPELINE_ID: String(pipeline.id),
      CI_PIPELINE_SOURCE: 'push',
      CI_PROJECT_ID: String(project.id),
      CI_PROJECT_PATH: project.full_path,
      CI_PROJECT_NAMESPACE: project.full_path.split('/')[0],
      CI_PROJECT_VISIBILITY: 'private',
      CI_COMMIT_SHA: pipeline.sha,
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_REF_PROTECTED: 'true',
      CI_SERVER_URL: instance.url,
      CI_API_V4_URL: `${instance.url}/api/v4`,
      CI_REGISTRY: new URL(instance.url).host,
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: token,
      GITLAB_USER_ID: String(alice.user.id),
      GITLAB_USER_LOGIN: alice.user.username,
    });
    expect(variables.CI_REPOSITORY_URL).toBe(
      `http://gitlab-ci-token:${token}@${new URL(instance.url).host}/${project.full_path}.git`,
    );
    const masked = payload.variables
      .filter((v: { masked: boolean }) => v.masked)
      .map((v: { key: string }) => v.key);
    expect(masked).toEqual(['CI_JOB_TOKEN', 'CI_REGISTRY_PASSWORD']);

    const patch = (offset: number, text: string) =>
      fetch(`${instance.url}/api/v4/jobs/${payload.id}/trace`, {
        method: 'PATCH',
        headers: {
          'job-token': token,
          'content-type': 'text/plain',
          'content-range': `${offset}-${offset + text.length - 1}`,
        },
        body: text,
      });
    const first = await patch(0, 'hello ');
    expect(first.status).toBe(202);
    expect(first.headers.get('range')).toBe('0-6');
    const outOfOrder = await patch(0, 'again');
    expect(outOfOrder.status).toBe(416);
    expect(outOfOrder.headers.get('range')).toBe('0-6');
    expect((await patch(6, 'world')).status).toBe(202);

    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      200,
    );
    clock.advance(600);
    // The deadline passed: refused at once, before anyone marks the job.
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      401,
    );
    const failed = await jobInState(instance, payload.id, 'failed');
    expect(failed).toMatchObject({ failure_reason: 'job_execution_timeout', trace: 'hello world' });
    const late = await call(instance, 'PUT', `/api/v4/jobs/${payload.id}`, {
      body: { token, state: 'success' },
    });
    expect(late).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not running' } });
    expect(late.headers.get('job-status')).toBe('failed');
  });

  it('records the runner’s final state and full log, after which the token is refused', async () => {
    await pushFiles(
      instance,
      project,
      alice,
      { '.gitlab-ci.yml': 'job:\n  script: [echo again]\n' },
      { branch: 'other' },
    );
    const taken = await request(runnerToken);
    const token = rememberSecret(taken.body.token);
    // A form field `job_token` is a job token too: a wrong one is refused before the route runs.
    const form = (value: string) =>
      fetch(`${instance.url}/api/v4/jobs/${taken.body.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ job_token: value, state: 'running' }).toString(),
      });
    expect((await form(`${token.slice(0, -2)}xx`)).status).toBe(401);
    const alive = await form(token);
    expect(alive.status).toBe(200);
    expect(alive.headers.get('job-status')).toBe('running');
    // Used while it runs, so this process holds the job in its verified-job cache (the clock is frozen:
    // only the finish can evict it).
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      200,
    );
    const done = await call(instance, 'PUT', `/api/v4/jobs/${taken.body.id}`, {
      body: { token, state: 'success', trace: 'the whole log\n' },
    });
    expect(done.status).toBe(200);
    expect(done.headers.get('job-status')).toBe('success');
    const job = await jobInState(instance, taken.body.id, 'success');
    expect(job.trace).toBe('the whole log\n');
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      401,
    );
  });
  it('registers instance runners by administrators and project runners by maintainers', async () => {
    const dev = await personWithPat(instance);
    await addMember(instance.context.db, project, dev.user, ACCESS_LEVELS.developer);
    const register = (actor: CiActor, body: Record<string, unknown>) =>
      call(instance, 'POST', '/api/v4/user/runners', { token: actor.pat, body });
    expect(await register(alice, { runner_type: 'instance_type' })).toMatchObject({
      status: 403,
      body: { message: '403 Forbidden' },
    });
    const own = await register(alice, {
      runner_type: 'project_type',
      project_id: project.id,
      tag_list: 'linux, arm',
    });
    expect(own).toMatchObject({
      status: 201,
      body: { id: expect.any(Number), token: expect.stringMatching(/^glrt-/), token_expires_at: null },
    });
    rememberSecret(own.body.token);
    expect((await register(dev, { runner_type: 'project_type', project_id: project.id })).status).toBe(403);
    expect(
      await register(alice, {
        runner_type: 'project_type',
        project_id: project.id,
        runner_environment: 'gitlab-hosted',
      }),
    ).toMatchObject({ status: 400, body: { message: { runner_environment: [expect.any(String)] } } });
    const hosted = await register(admin, {
      runner_type: 'instance_type',
      runner_environment: 'gitlab-hosted',
    });
    expect(hosted.status).toBe(201);
    rememberSecret(hosted.body.token);
    expect(await register(admin, {})).toMatchObject({
      status: 400,
      body: { message: { runner_type: ['is missing'] } },
    });
    const row = await instance.context.db
      .selectFrom('ci_runners')
      .selectAll()
      .where('id', '=', own.body.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      runner_type: 'project_type',
      project_id: project.id,
      tag_list: '["linux","arm"]',
      environment: 'self-hosted',
    });
    expect(row.token_digest).not.toContain(own.body.token);
  });

  it('identifies a job token through the admin token API, and revoking it cancels the job', async () => {
    await pushFiles(
      instance,
      project,
      alice,
      { '.gitlab-ci.yml': 'job:\n  script: [echo third]\n' },
      { branch: 'third' },
    );
    const taken = await request(runnerToken);
    const token = rememberSecret(taken.body.token);
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      200,
    );
    const inspected = await call(instance, 'POST', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token },
    });
    expect(inspected).toMatchObject({
      status: 200,
      body: {
        token_type: 'ci_job_token',
        id: taken.body.id,
        active: true,
        user_id: alice.user.id,
        resource: { type: 'project', id: project.id },
      },
    });
    expect(
      (await call(instance, 'DELETE', '/api/v4/admin/token', { token: admin.pat, body: { token } })).status,
    ).toBe(204);
    expect(await jobInState(instance, taken.body.id, 'canceled')).toMatchObject({ status: 'canceled' });
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      401,
    );
    const after = await call(instance, 'POST', '/api/v4/admin/token', { token: admin.pat, body: { token } });
    expect(after.body).toMatchObject({ active: false, revoked: true, state: 'revoked' });
  });

  it('says a job token died because its job finished, not that it expired or was revoked', async () => {
    await pushFiles(
      instance,
      project,
      alice,
      { '.gitlab-ci.yml': 'job:\n  script: [echo fourth]\n' },
      { branch: 'fourth' },
    );
    const taken = await request(runnerToken);
    const token = rememberSecret(taken.body.token);
    const finished = await call(instance, 'PUT', `/api/v4/jobs/${taken.body.id}`, {
      body: { token, state: 'failed', failure_reason: 'script_failure' },
    });
    expect(finished.status).toBe(200);
    const inspected = await call(instance, 'POST', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token },
    });
    expect(inspected.body).toMatchObject({
      token_type: 'ci_job_token',
      active: false,
      revoked: false,
      state: 'job_finished',
    });
  });
});
