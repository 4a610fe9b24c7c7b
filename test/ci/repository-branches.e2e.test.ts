import { rmSync } from 'node:fs';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { runPythonFixture } from '../support/gitlab-clients.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import {
  call,
  git,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';

describe('GET /projects/:id/repository/branches', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let project: Project;
  let mainSha: string;
  let featureSha: string;
  let work: string;

  beforeAll(async () => {
    instance = await startCiInstance('repository-branches');
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'app' });
    const main = await pushFiles(instance, project, alice, { 'README.md': 'hello\n' });
    mainSha = main.sha;
    work = main.workTree;
    featureSha = (
      await pushFiles(instance, project, alice, { 'a.txt': 'a\n' }, { branch: 'feature/x', workTree: work })
    ).sha;
    // A branch already contained in main: `merged`.
    await git(
      [
        'push',
        '--quiet',
        `${instance.url.replace('://', `://${alice.user.username}:${alice.pat}@`)}/${project.full_path}.git`,
        `${mainSha}:refs/heads/old`,
      ],
      work,
    );
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await instance.stop();
  });

  it("lists branches in GitLab's shape, with protection, merge state and what the caller may do", async () => {
    const listed = await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches`, {
      token: alice.pat,
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('x-total')).toBe('3');
    expect(listed.body.map((b: { name: string }) => b.name)).toEqual(['feature/x', 'main', 'old']);
    const main = listed.body.find((b: { name: string }) => b.name === 'main');
    expect(main).toEqual({
      name: 'main',
      commit: expect.objectContaining({
        id: mainSha,
        short_id: mainSha.slice(0, 8),
        title: 'commit on main',
        message: expect.stringContaining('commit on main'),
        author_name: 'Test',
        author_email: 'test@example.test',
        parent_ids: [],
        web_url: `${instance.url}/${project.full_path}/-/commit/${mainSha}`,
      }),
      merged: false,
      protected: true,
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      default: true,
      web_url: `${instance.url}/${project.full_path}/-/tree/main`,
    });
    expect(listed.body.find((b: { name: string }) => b.name === 'old')).toMatchObject({
      merged: true,
      protected: false,
    });
    expect(listed.body.find((b: { name: string }) => b.name === 'feature/x')).toMatchObject({
      merged: false,
      commit: { id: featureSha, parent_ids: [mainSha] },
    });
    const searched = await call(
      instance,
      'GET',
      `/api/v4/projects/${project.id}/repository/branches?search=^feat`,
      { token: alice.pat },
    );
    expect(searched.body.map((b: { name: string }) => b.name)).toEqual(['feature/x']);
  });

  it('shows one branch by name (slashes encoded), and 404 for a branch or project the caller cannot see', async () => {
    const one = await call(
      instance,
      'GET',
      `/api/v4/projects/${project.id}/repository/branches/feature%2Fx`,
      { token: alice.pat },
    );
    expect(one).toMatchObject({ status: 200, body: { name: 'feature/x', commit: { id: featureSha } } });
    const missing = await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches/nope`, {
      token: alice.pat,
    });
    expect(missing).toMatchObject({ status: 404, body: { message: '404 Branch Not Found' } });
    expect((await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches`)).status).toBe(
      404,
    );
    const guest = await createUser(instance.context.db);
    await addMember(instance.context.db, project, guest, ACCESS_LEVELS.guest);
    const guestPat = (await givePat(depsOf(instance), guest, ['read_api'])).plaintext;
    expect(
      (await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches`, { token: guestPat }))
        .status,
    ).toBe(403);
    // A developer may push to an unprotected branch only.
    const dev = await createUser(instance.context.db);
    await addMember(instance.context.db, project, dev, ACCESS_LEVELS.developer);
    const devPat = (await givePat(depsOf(instance), dev, ['read_api'])).plaintext;
    const seen = await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches`, {
      token: devPat,
    });
    expect(seen.body.map((b: { can_push: boolean }) => b.can_push)).toEqual([true, false, true]);
  });

  it.each(BRANCH_CLIENTS)('$name lists branches and shows one whose name has a slash', async (client) => {
    expect(await client.read(instance.url, { pat: alice.pat }, project.id, 'feature/x')).toEqual({
      names: ['feature/x', 'main', 'old'],
      can_push: [true, true, true],
      one: { name: 'feature/x', commit: featureSha, default: false },
    });
  });

  it('is readable with a CI job token of the project, which never can push', async () => {
    const admin = await personWithPat(instance, { is_admin: 1 });
    const runner = await registerRunner(instance, admin.pat, { runner_type: 'instance_type' });
    await pushFiles(
      instance,
      project,
      alice,
      { '.gitlab-ci.yml': 'job:\n  script: [sleep 60]\n' },
      { workTree: work },
    );
    let jobToken = '';
    for (let attempt = 0; attempt < 20 && !jobToken; attempt++) {
      const picked = await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: runner.token } });
      if (picked.status === 201) jobToken = rememberSecret(picked.body.token);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const listed = await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches`, {
      headers: { 'job-token': jobToken },
    });
    expect(listed.status).toBe(200);
    expect(listed.body.map((b: { can_push: boolean }) => b.can_push)).toEqual([false, false, false]);
    const one = await call(instance, 'GET', `/api/v4/projects/${project.id}/repository/branches/main`, {
      headers: { 'job-token': jobToken },
    });
    expect(one).toMatchObject({ status: 200, body: { name: 'main', default: true } });
    for (const client of BRANCH_CLIENTS)
      expect(await client.read(instance.url, { jobToken }, project.id, 'main'), client.name).toEqual({
        names: ['feature/x', 'main', 'old'],
        can_push: [false, false, false],
        // main moved on with the pipeline's commit.
        one: { name: 'main', commit: one.body.commit.id, default: true },
      });
  });
});

interface BranchesSeen {
  names: string[];
  can_push: boolean[];
  one: { name: string; commit: string; default: boolean };
}

type Credential = { pat: string } | { jobToken: string };

/** Each real GitLab client reading a project's branches the way its documentation shows. */
const BRANCH_CLIENTS: readonly {
  name: string;
  read(host: string, credential: Credential, projectId: number, branch: string): Promise<BranchesSeen>;
}[] = [
  {
    name: 'python-gitlab',
    async read(host, credential, projectId, branch) {
      const [kind, token] = 'pat' in credential ? ['private', credential.pat] : ['job', credential.jobToken];
      const run = await runPythonFixture('test/ci/fixtures/python_gitlab_branches.py', [
        host,
        kind,
        token,
        String(projectId),
        branch,
      ]);
      expect(run.code, run.stderr).toBe(0);
      return run.result as BranchesSeen;
    },
  },
  {
    name: 'gitbeaker',
    async read(host, credential, projectId, branch) {
      const api = new Gitlab(
        'pat' in credential ? { host, token: credential.pat } : { host, jobToken: credential.jobToken },
      );
      const listed = await api.Branches.all(projectId);
      const one = await api.Branches.show(projectId, branch);
      return {
        names: listed.map((b) => b.name),
        can_push: listed.map((b) => b.can_push),
        one: { name: one.name, commit: one.commit.id as string, default: one.default },
      };
    },
  },
];
