import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Job } from '../../src/store/ci-schema.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup } from '../support/world.ts';
import {
  call,
  cloneUrl,
  eventually,
  git,
  jobInState,
  latestPipeline,
  newestPipelineId,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  startRunner,
  type CiActor,
} from './ci-world.ts';

/** A job that hands its token to the test and runs until the test releases it. */
function waitingJob(out: string): string {
  return `
hold:
  variables:
    OUT: ${out}
  script:
    - printf '%s' "$CI_JOB_TOKEN" > "$OUT/$CI_JOB_ID.token"
    - 'while [ ! -f "$OUT/$CI_JOB_ID.release" ]; do sleep 0.2; done'
`;
}

describe('the job-token allowlist', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let bob: CiActor;
  let groupA: Namespace;
  let a: Project;
  let b: Project;
  let out: string;
  let runners: Array<{ stop(): Promise<void> }>;
  let aliceJob: Job;
  let aliceToken: string;
  let bobJob: Job;
  let bobToken: string;

  const canClone = async (project: Project, token: string) =>
    (await git(['ls-remote', cloneUrl(instance, project, 'gitlab-ci-token', token)])).code === 0;
  const readProject = (project: Project, token: string) =>
    call(instance, 'GET', `/api/v4/projects/${project.id}`, { headers: { 'job-token': token } });
  const scope = (project: Project) => `/api/v4/projects/${project.id}/job_token_scope`;

  async function holdJob(
    project: Project,
    pusher: CiActor,
    branch: string,
  ): Promise<{ job: Job; token: string }> {
    const before = await newestPipelineId(instance, project);
    await pushFiles(instance, project, pusher, { '.gitlab-ci.yml': waitingJob(out) }, { branch });
    const pipeline = await latestPipeline(instance, project, before);
    const created = await instance.context.db
      .selectFrom('ci_jobs')
      .selectAll()
      .where('pipeline_id', '=', pipeline.id)
      .executeTakeFirstOrThrow();
    const job = await jobInState(instance, created.id, 'running');
    const token = await eventually(async () => {
      try {
        return readFileSync(join(out, `${job.id}.token`), 'utf8') || undefined;
      } catch {
        return undefined;
      }
    });
    return { job, token: rememberSecret(token) };
  }

  beforeAll(async () => {
    instance = await startCiInstance('ci-job-token-scope');
    const admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    bob = await personWithPat(instance);
    groupA = await createGroup(instance.context.db, { path: 'team-a' });
    // Allowlisting a group takes seeing it.
    await addMember(instance.context.db, groupA, alice.user, ACCESS_LEVELS.reporter);
    a = await projectOf(instance, alice.user, { group: groupA, path: 'a' });
    b = await projectOf(instance, alice.user, { groupPath: 'team-b', path: 'b' });
    await addMember(instance.context.db, a, bob.user, ACCESS_LEVELS.developer);
    out = mkdtempSync(join(tmpdir(), 'tessera-scope-'));
    // Two runners: each held job occupies one.
    const token = (await registerRunner(instance, admin.pat)).token;
    runners = [
      startRunner(instance, token, 'scope-runner-1'),
      startRunner(instance, token, 'scope-runner-2'),
    ];
    await pushFiles(instance, b, alice, { 'README.md': 'b\n' });
    ({ job: aliceJob, token: aliceToken } = await holdJob(a, alice, 'main'));
    // Bob may not push main (protected): his pipeline runs on a branch of his own.
    ({ job: bobJob, token: bobToken } = await holdJob(a, bob, 'bob-feature'));
  });
  afterAll(async () => {
    for (const job of [aliceJob, bobJob]) if (job) writeFileSync(join(out, `${job.id}.release`), '');
    await Promise.all(runners.map((r) => r.stop()));
    rmSync(out, { recursive: true, force: true });
    await instance.stop();
  });

  it('reaches its own project on the job-token endpoints, and nothing outside them', async () => {
    expect(await canClone(a, aliceToken)).toBe(true);
    expect(await readProject(a, aliceToken)).toMatchObject({ status: 200, body: { id: a.id } });
    const job = await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': aliceToken } });
    expect(job).toMatchObject({
      status: 200,
      body: { id: aliceJob.id, status: 'running', user: { id: alice.user.id } },
    });
    const viaQuery = await call(instance, 'GET', `/api/v4/job?job_token=${aliceToken}`);
    expect(viaQuery).toMatchObject({ status: 200, body: { id: aliceJob.id } });
    for (const path of ['/api/v4/user', '/api/v4/projects', `/api/v4/projects/${a.id}/jobs`]) {
      expect(await call(instance, 'GET', path, { headers: { 'job-token': aliceToken } })).toMatchObject({
        status: 401,
        body: { message: '401 Unauthorized' },
      });
    }
  });

  it('cannot push, even to its own project', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tessera-push-'));
    try {
      await git(['init', '--quiet', work]);
      await git(['commit', '--quiet', '--allow-empty', '-m', 'x'], work);
      const push = await git(
        ['push', '--quiet', cloneUrl(instance, a, 'gitlab-ci-token', aliceToken), 'HEAD:refs/heads/sneaky'],
        work,
      );
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/403/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('is refused by another project until that project allowlists it, and again once removed', async () => {
    expect(await canClone(b, aliceToken)).toBe(false);
    const refused = await readProject(b, aliceToken);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/allowlist/);

    const added = await call(instance, 'POST', `${scope(b)}/allowlist`, {
      token: alice.pat,
      body: { target_project_id: a.id },
    });
    expect(added).toMatchObject({ status: 201, body: { source_project_id: b.id, target_project_id: a.id } });
    const listed = await call(instance, 'GET', `${scope(b)}/allowlist`, { token: alice.pat });
    expect(listed.body.map((p: { id: number }) => p.id)).toEqual([a.id]);
    expect(await canClone(b, aliceToken)).toBe(true);
    expect(await readProject(b, aliceToken)).toMatchObject({ status: 200, body: { id: b.id } });

    const removed = await call(instance, 'DELETE', `${scope(b)}/allowlist/${a.id}`, { token: alice.pat });
    expect(removed.status).toBe(204);
    expect(await canClone(b, aliceToken)).toBe(false);
  });

  it('admits every project of an allowlisted group', async () => {
    const added = await call(instance, 'POST', `${scope(b)}/groups_allowlist`, {
      token: alice.pat,
      body: { target_group_id: groupA.id },
    });
    expect(added).toMatchObject({
      status: 201,
      body: { source_project_id: b.id, target_group_id: groupA.id },
    });
    expect(await canClone(b, aliceToken)).toBe(true);
    expect(
      (await call(instance, 'DELETE', `${scope(b)}/groups_allowlist/${groupA.id}`, { token: alice.pat }))
        .status,
    ).toBe(204);
    expect(await canClone(b, aliceToken)).toBe(false);
  });

  it('still refuses a triggering user who has no access to the allowlisting project', async () => {
    await call(instance, 'POST', `${scope(b)}/allowlist`, {
      token: alice.pat,
      body: { target_project_id: a.id },
    });
    expect(await canClone(a, bobToken)).toBe(true);
    expect(await canClone(b, bobToken)).toBe(false);
    expect(await readProject(b, bobToken)).toMatchObject({ status: 404 });
    await call(instance, 'DELETE', `${scope(b)}/allowlist/${a.id}`, { token: alice.pat });
  });

  it('logs authentications from other projects for the maintainers to see', async () => {
    const log = await call(instance, 'GET', `${scope(b)}/authorizations`, { token: alice.pat });
    expect(log.status).toBe(200);
    expect(log.body).toEqual([
      expect.objectContaining({
        origin_project: { id: a.id, path_with_namespace: 'team-a/a' },
        accessed_project: { id: b.id, path_with_namespace: 'team-b/b' },
        count: expect.any(Number),
      }),
    ]);
  });

  it('can be turned off (any project may enter) and on again, by maintainers only', async () => {
    expect(await call(instance, 'GET', scope(b), { token: alice.pat })).toMatchObject({
      status: 200,
      body: { inbound_enabled: true },
    });
    expect(
      (await call(instance, 'PATCH', scope(b), { token: bob.pat, body: { enabled: false } })).status,
    ).toBe(404);
    expect(
      (await call(instance, 'PATCH', scope(b), { token: alice.pat, body: { enabled: false } })).status,
    ).toBe(204);
    expect(await canClone(b, aliceToken)).toBe(true);
    expect(
      (await call(instance, 'PATCH', scope(b), { token: alice.pat, body: { enabled: true } })).status,
    ).toBe(204);
    expect(await canClone(b, aliceToken)).toBe(false);
  });
});
