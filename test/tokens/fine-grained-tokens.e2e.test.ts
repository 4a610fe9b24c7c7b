import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
import {
  call,
  cloneUrl,
  git,
  personWithPat,
  projectOf,
  pushFiles,
  startCiInstance,
  type CiActor,
} from '../ci/ci-world.ts';
import { registryAuth, scopeQuery } from '../registry/registry-fixtures.ts';
import { ENGINES } from '../support/databases.ts';
import { runPythonFixture } from '../support/gitlab-clients.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import type { Json } from './token-fixtures.ts';

const FIXTURE = 'test/tokens/fixtures/python_gitlab_granular.py';

describe.each(ENGINES)('fine-grained personal access tokens on %s', (engine) => {
  let instance: TestInstance;
  let admin: CiActor;
  let alice: CiActor;
  let a: Project;
  let b: Project;
  let hidden: Project;
  let top: Namespace;
  let sub: Project;
  let work: string[] = [];
  let made: Json;

  /** A fine-grained token of alice's, made through the API with her classic token. */
  async function aliceToken(granular_scopes: unknown): Promise<string> {
    const answer = await call(instance, 'POST', '/api/v4/user/personal_access_tokens', {
      token: alice.pat,
      body: { name: 'fine', granular_scopes },
    });
    expect(answer.status).toBe(201);
    return rememberSecret(answer.body.token as string);
  }

  async function clone(project: Project, secret: string) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fine-'));
    work.push(dir);
    const result = await git([
      'clone',
      '--quiet',
      cloneUrl(instance, project, alice.user.username, secret),
      join(dir, 'c'),
    ]);
    return { ...result, dir: join(dir, 'c') };
  }

  beforeAll(async () => {
    instance = await startCiInstance(`fine-grained-${engine}`, { engine });
    admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance, { username: `alice-${engine}` });
    a = await projectOf(instance, alice.user, { path: 'a' });
    b = await projectOf(instance, alice.user, { path: 'b' });
    const db = instance.context.db;
    hidden = await createProject(db, await createGroup(db), { path: 'hidden' });
    top = await createGroup(db, { path: `top-${engine}` });
    const subgroup = await createGroup(db, { path: 'sub', parent: top });
    sub = await createProject(db, subgroup, { path: 'deep' });
    await addMember(db, top, alice.user, ACCESS_LEVELS.maintainer);
    for (const project of [a, b, sub]) {
      work.push((await pushFiles(instance, project, alice, { 'README.md': `${project.path}\n` })).workTree);
    }
    const run = await runPythonFixture(FIXTURE, [
      instance.url,
      admin.pat,
      String(alice.user.id),
      alice.pat,
      String(a.id),
      String(top.id),
    ]);
    expect(run.code, run.stderr).toBe(0);
    made = run.result;
  });
  afterAll(async () => {
    for (const dir of work) rmSync(dir, { recursive: true, force: true });
    work = [];
    await instance.stop();
  });

  it('answers the grants one per boundary, the shape GitLab clients read, and no classic scope', () => {
    expect(made.project_token.scopes).toEqual([]);
    expect(made.project_token.granular_scopes).toEqual([
      { access: 'selected_memberships', permissions: ['download_code'], project_id: a.id, group_id: null },
    ]);
    expect(made.group_token.granular_scopes).toEqual([
      {
        access: 'selected_memberships',
        permissions: ['download_code', 'read_project'],
        project_id: null,
        group_id: top.id,
      },
    ]);
  });

  it('refuses scopes together with granular_scopes with a 400 in GitLab’s words', () => {
    expect(made.both).toEqual({ code: 400, message: 'scopes, granular_scopes are mutually exclusive' });
  });

  it('lets a token limited to project A with Code: Download clone A with real git, and nothing more', async () => {
    const secret = made.project_token.token as string;
    const cloned = await clone(a, secret);
    expect(cloned.code, cloned.stderr).toBe(0);

    await git(['commit', '--quiet', '--allow-empty', '-m', 'fine'], cloned.dir);
    const push = await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/fine'], cloned.dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/403/);

    const other = await clone(b, secret);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/403/);

    const api = await call(instance, 'GET', `/api/v4/projects/${a.id}`, { token: secret });
    expect(api.status).toBe(403);
    expect(api.body).toMatchObject({ error: 'insufficient_granular_scope', permission: 'read_project' });
  });

  it('keeps a project the user cannot see a 404, before any granular answer', async () => {
    const secret = made.group_token.token as string;
    const answer = await call(instance, 'GET', `/api/v4/projects/${hidden.id}`, { token: secret });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ message: '404 Project Not Found' });
  });

  it('lets a group-boundary token reach a project of a subgroup, and no project outside the group', async () => {
    const secret = made.group_token.token as string;
    const cloned = await clone(sub, secret);
    expect(cloned.code, cloned.stderr).toBe(0);
    const read = await call(instance, 'GET', `/api/v4/projects/${encodeURIComponent(sub.full_path)}`, {
      token: secret,
    });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(sub.id);
    const outside = await call(instance, 'GET', `/api/v4/projects/${a.id}`, { token: secret });
    expect(outside.status).toBe(403);
    expect(outside.body.error).toBe('insufficient_granular_scope');
  });

  it('holds user permissions only on a user boundary', async () => {
    const secret = await aliceToken([{ access: 'user', permissions: ['read_user'] }]);
    const me = await call(instance, 'GET', '/api/v4/user', { token: secret });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(alice.user.id);
    const project = await call(instance, 'GET', `/api/v4/projects/${a.id}`, { token: secret });
    expect(project.status).toBe(403);
    const tokens = await call(instance, 'GET', '/api/v4/personal_access_tokens', { token: secret });
    expect(tokens.body).toMatchObject({ permission: 'read_personal_access_token' });
  });

  it('reaches what the user is a member of with all_memberships, each permission on its own', async () => {
    const secret = await aliceToken([
      { access: 'all_memberships', permissions: ['read_project', 'push_code'] },
    ]);
    for (const project of [a, b, sub]) {
      expect((await call(instance, 'GET', `/api/v4/projects/${project.id}`, { token: secret })).status).toBe(
        200,
      );
    }
    // Held, but git still asks Code: Download for a clone, which this token lacks.
    const cloned = await clone(a, secret);
    expect(cloned.code).not.toBe(0);
  });

  it('grants registry actions by their catalogue permissions', async () => {
    const secret = await aliceToken([
      { access: 'selected_memberships', permissions: ['pull_container_image'], project_ids: [a.id] },
    ]);
    const basic = { username: alice.user.username, password: secret };
    const onA = await registryAuth(instance, scopeQuery(`repository:${a.full_path}:pull,push`), basic);
    expect(onA.status).toBe(200);
    expect(decodeJwt(onA.body.token as string).access).toEqual([
      { type: 'repository', name: a.full_path, actions: ['pull'] },
    ]);
    const onB = await registryAuth(instance, scopeQuery(`repository:${b.full_path}:pull`), basic);
    // Nothing granted on B: the token service leaves the scope out.
    expect(decodeJwt(onB.body.token as string).access).toEqual([]);
  });

  it('keeps the grants through rotation, and shows them to the inspector', async () => {
    const id = made.project_token.id as number;
    const rotated = await call(instance, 'POST', `/api/v4/personal_access_tokens/${id}/rotate`, {
      token: admin.pat,
    });
    expect(rotated.status).toBe(200);
    rememberSecret(rotated.body.token as string);
    expect(rotated.body.granular_scopes).toEqual(made.project_token.granular_scopes);
    expect((await clone(a, rotated.body.token as string)).code).toBe(0);

    const inspected = await call(instance, 'POST', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token: rotated.body.token },
    });
    expect(inspected.status).toBe(200);
    expect(inspected.body.granular_scopes).toEqual(made.project_token.granular_scopes);

    const listed = await call(instance, 'GET', `/api/v4/personal_access_tokens/${id}`, {
      token: admin.pat,
    });
    expect(listed.body.granular_scopes).toEqual(made.project_token.granular_scopes);
    const classic = await call(instance, 'GET', `/api/v4/personal_access_tokens/self`, { token: alice.pat });
    expect(classic.body).not.toHaveProperty('granular_scopes');
  });

  it('takes granular_scopes as form fields too, grouped the Rails way', async () => {
    const form = new URLSearchParams([
      ['name', 'form-made'],
      ['granular_scopes[][access]', 'selected_memberships'],
      ['granular_scopes[][permissions][]', 'download_code'],
      ['granular_scopes[][project_ids][]', String(a.id)],
      ['granular_scopes[][access]', 'user'],
      ['granular_scopes[][permissions][]', 'read_user'],
    ]);
    const response = await fetch(`${instance.url}/api/v4/user/personal_access_tokens`, {
      method: 'POST',
      headers: { 'private-token': alice.pat, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const body = (await response.json()) as Json;
    expect(response.status).toBe(201);
    rememberSecret(body.token as string);
    expect(body.granular_scopes).toEqual([
      { access: 'selected_memberships', permissions: ['download_code'], project_id: a.id, group_id: null },
      { access: 'user', permissions: ['read_user'], project_id: null, group_id: null },
    ]);
  });

  it('refuses malformed grants with a 400 naming granular_scopes', async () => {
    const cases: unknown[] = [
      [{ access: 'selected_memberships', permissions: ['download_code'] }],
      [{ access: 'all_memberships', permissions: ['download_code'], project_ids: [a.id] }],
      [{ access: 'everything', permissions: ['download_code'] }],
      [{ access: 'user', permissions: ['no_such_permission'] }],
      [{ access: 'selected_memberships', permissions: ['read_user'], project_ids: [a.id] }],
      [{ access: 'selected_memberships', permissions: ['download_code'], project_ids: [hidden.id] }],
      [],
    ];
    for (const granular_scopes of cases) {
      const answer = await call(instance, 'POST', '/api/v4/user/personal_access_tokens', {
        token: alice.pat,
        body: { name: 'bad', granular_scopes },
      });
      expect(answer.status, JSON.stringify(granular_scopes)).toBe(400);
      expect(answer.body.error).toMatch(/^granular_scopes/);
    }
  });

  it('lets an administrator make a fine-grained impersonation token', async () => {
    const answer = await call(instance, 'POST', `/api/v4/users/${alice.user.id}/impersonation_tokens`, {
      token: admin.pat,
      body: { name: 'support', granular_scopes: [{ access: 'user', permissions: ['read_user'] }] },
    });
    expect(answer.status).toBe(201);
    rememberSecret(answer.body.token as string);
    expect(answer.body).toMatchObject({
      impersonation: true,
      scopes: [],
      granular_scopes: [{ access: 'user', permissions: ['read_user'], project_id: null, group_id: null }],
    });
    const me = await call(instance, 'GET', '/api/v4/user', { token: answer.body.token as string });
    expect(me.body.id).toBe(alice.user.id);
  });

  it('never lets a fine-grained token use sudo', async () => {
    const answer = await call(instance, 'POST', `/api/v4/user/personal_access_tokens`, {
      token: admin.pat,
      body: { name: 'admin-fine', granular_scopes: [{ access: 'user', permissions: ['read_user'] }] },
    });
    const secret = rememberSecret(answer.body.token as string);
    const sudo = await call(instance, 'GET', '/api/v4/user', {
      token: secret,
      headers: { sudo: alice.user.username },
    });
    expect(sudo.status).toBe(403);
  });
});
