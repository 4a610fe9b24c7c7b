import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { CI_TEST_ENV, pushFiles, registerRunner } from '../ci/ci-world.ts';
import { auditEvents } from './identity-fixtures.ts';
import { asBrowser } from './http-session.ts';
import {
  approveInBrowser,
  CALLBACK,
  oauthPost,
  pkcePair,
  startOAuthWorld,
  type OAuthWorld,
} from '../oauth/oauth-fixtures.ts';
import { gitFetchStatus, registryPullStatus, type BasicCredential } from '../support/credential-reach.ts';
import { ENGINES } from '../support/databases.ts';
import { LIFECYCLE_CLIENTS } from './lifecycle-clients.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';

/*
 * Deleting a project, a group or a user kills every credential it held, at once: each is tried
 * afterwards over the REST API, git over HTTP and the registry's /jwt/auth, and refused. The
 * deletions are made through the real GitLab clients: python-gitlab on one store engine, gitbeaker on
 * the other, so that both clients and both engines are proven without running all four pairs.
 */

const RUNS = ENGINES.map((engine, index) => ({
  engine,
  client: LIFECYCLE_CLIENTS[index % LIFECYCLE_CLIENTS.length]!,
}));

let world: OAuthWorld;
let rootPat: string;
let site: Project;
const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

type Basic = BasicCredential;

const gitStatus = (path: string, basic: Basic) => gitFetchStatus(world.instance, path, basic);
const registryStatus = (path: string, basic: Basic) => registryPullStatus(world.instance, path, basic);

/** Refused everywhere: the API (for API credentials), git and the registry, on a public project. */
async function expectDeadEverywhere(basic: Basic, api?: { headers: Record<string, string> }) {
  if (api) expect((await call(world.instance, 'GET', '/api/v4/user', api)).status).toBe(401);
  expect(await gitStatus(site.full_path, basic)).toBe(401);
  expect(await registryStatus(site.full_path, basic)).toBe(401);
}

const patBasic = (token: string): Basic => ({ username: 'any', password: token });

async function createVia(path: string, body: Record<string, unknown>, token = rootPat) {
  const response = await call(world.instance, 'POST', path, { token, body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  for (const key of ['token']) if (typeof response.body[key] === 'string') rememberSecret(response.body[key]);
  return response.body;
}

/** A running job of the project with its job token, picked by a runner through the runner API. */
async function runningJob(project: Project, pusher: { user: User; pat: string }, runnerToken: string) {
  await pushFiles(world.instance, project, pusher, { '.gitlab-ci.yml': 'job:\n  script: [sleep 60]\n' });
  for (let attempt = 0; attempt < 20; attempt++) {
    const picked = await call(world.instance, 'POST', '/api/v4/jobs/request', {
      body: { token: runnerToken },
    });
    if (picked.status === 201)
      return { id: picked.body.id as number, token: rememberSecret(picked.body.token as string) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no job was handed out');
}

describe.each(RUNS)('on $engine through $client.name', ({ engine, client }) => {
  beforeAll(async () => {
    world = await startOAuthWorld(`holder-deletion-${engine}`, { engine, env: CI_TEST_ENV });
    rootPat = (await givePat(depsOf(world.instance), world.root, ['api'])).plaintext;
    const db = world.instance.context.db;
    const open = await createGroup(db, { path: 'open', visibility: 'public' });
    site = await createProject(db, open, { path: 'site', visibility: 'public' });
  });
  afterAll(() => world.instance.stop());

  describe('DELETE /projects/:id', () => {
    let project: Project;
    let alice: { user: User; pat: string };

    beforeAll(async () => {
      const db = world.instance.context.db;
      const group = await createGroup(db, { path: `doomed-${Date.now()}` });
      project = await createProject(db, group, { path: 'app' });
      alice = {
        user: world.alice,
        pat: (await givePat(depsOf(world.instance), world.alice, ['api', 'write_repository'])).plaintext,
      };
      await addMember(db, project, world.alice, ACCESS_LEVELS.maintainer);
    });

    it('is refused to a maintainer and done for an owner, and every credential of the project dies with it', async () => {
      const pid = project.id;
      const projectToken = await createVia(`/api/v4/projects/${pid}/access_tokens`, {
        name: 'bot',
        scopes: ['api', 'read_repository', 'read_registry'],
        access_level: 30,
        expires_at: inAMonth(),
      });
      const deployToken = await createVia(`/api/v4/projects/${pid}/deploy_tokens`, {
        name: 'cluster',
        scopes: ['read_repository', 'read_registry'],
      });
      const trigger = await createVia(`/api/v4/projects/${pid}/triggers`, { description: 'nightly' });
      const runner = await registerRunner(world.instance, rootPat, {
        runner_type: 'project_type',
        project_id: pid,
      });
      const job = await runningJob(project, alice, runner.token);

      const deployBasic = { username: deployToken.username as string, password: deployToken.token as string };
      const jobBasic = { username: 'gitlab-ci-token', password: job.token };
      // Alive before: each opens its project.
      for (const basic of [patBasic(projectToken.token), deployBasic, jobBasic]) {
        expect(await gitStatus(project.full_path, basic)).toBe(200);
        expect(await registryStatus(project.full_path, basic)).toBe(200);
      }

      const host = world.instance.url;
      expect(await client.deleteProject(host, alice.pat, pid)).toBe(403);
      expect(await client.deleteProject(host, rootPat, pid)).toBe('done');
      expect((await call(world.instance, 'GET', `/api/v4/projects/${pid}`, { token: rootPat })).status).toBe(
        404,
      );

      await expectDeadEverywhere(patBasic(projectToken.token), {
        headers: { 'private-token': projectToken.token },
      });
      await expectDeadEverywhere(deployBasic);
      await expectDeadEverywhere(jobBasic, { headers: { 'job-token': job.token } });
      expect(
        (await call(world.instance, 'GET', '/api/v4/job', { headers: { 'job-token': job.token } })).status,
      ).toBe(401);
      const triggered = await call(world.instance, 'POST', `/api/v4/projects/${pid}/trigger/pipeline`, {
        body: { token: trigger.token, ref: 'main' },
      });
      expect([401, 404]).toContain(triggered.status);
      expect(
        (await call(world.instance, 'POST', '/api/v4/runners/verify', { body: { token: runner.token } }))
          .status,
      ).toBe(403);
      expect(
        (await call(world.instance, 'POST', '/api/v4/jobs/request', { body: { token: runner.token } }))
          .status,
      ).toBe(403);
      // The project's bot went with it, and its repository left the disk.
      const db = world.instance.context.db;
      expect(
        await db.selectFrom('users').select('id').where('id', '=', projectToken.user_id).executeTakeFirst(),
      ).toBeUndefined();
      expect(existsSync(join(world.instance.settings.dataDir, 'repositories', `${pid}.git`))).toBe(false);

      const actions = (await db.selectFrom('audit_events').select(['action', 'details']).execute()).filter(
        (e) => e.details.includes('"reason":"project_deleted"'),
      );
      expect(actions.map((e) => e.action).sort()).toEqual(
        expect.arrayContaining([
          'project_access_token.revoked',
          'deploy_token.revoked',
          'pipeline_trigger.deleted',
          'runner.deleted',
          'ci_job_token.revoked',
          'user.deleted',
          'project.deleted',
        ]),
      );
    });
  });

  describe('DELETE /groups/:id', () => {
    let group: Namespace;
    let sub: Namespace;
    let inner: Project;

    beforeAll(async () => {
      const db = world.instance.context.db;
      group = await createGroup(db, { path: `tree-${Date.now()}` });
      sub = await createGroup(db, { path: 'sub', parent: group });
      inner = await createProject(db, sub, { path: 'inner' });
      await addMember(db, group, world.bob, ACCESS_LEVELS.maintainer);
    });

    it('takes its subgroups, their projects and every one of their credentials', async () => {
      const groupToken = await createVia(`/api/v4/groups/${group.id}/access_tokens`, {
        name: 'group-bot',
        scopes: ['api', 'read_registry'],
        access_level: 30,
        expires_at: inAMonth(),
      });
      const subDeploy = await createVia(`/api/v4/groups/${sub.id}/deploy_tokens`, {
        name: 'sub-cluster',
        scopes: ['read_repository', 'read_registry'],
      });
      const innerToken = await createVia(`/api/v4/projects/${inner.id}/access_tokens`, {
        name: 'inner-bot',
        scopes: ['read_repository'],
        access_level: 30,
        expires_at: inAMonth(),
      });
      expect((await call(world.instance, 'GET', '/api/v4/user', { token: groupToken.token })).status).toBe(
        200,
      );

      const bobPat = (await givePat(depsOf(world.instance), world.bob, ['api'])).plaintext;
      const host = world.instance.url;
      expect(await client.deleteGroup(host, bobPat, group.id)).toBe(403);
      expect(await client.deleteGroup(host, rootPat, group.id)).toBe('done');
      for (const path of [`/api/v4/groups/${sub.id}`, `/api/v4/projects/${inner.id}`])
        expect((await call(world.instance, 'GET', path, { token: rootPat })).status).toBe(404);

      await expectDeadEverywhere(patBasic(groupToken.token), {
        headers: { 'private-token': groupToken.token },
      });
      await expectDeadEverywhere(patBasic(innerToken.token), {
        headers: { 'private-token': innerToken.token },
      });
      await expectDeadEverywhere({ username: subDeploy.username, password: subDeploy.token });
      // bob was a member, not a holder: his own token still works.
      expect((await call(world.instance, 'GET', '/api/v4/user', { token: bobPat })).status).toBe(200);
      expect(await auditEvents(world.instance.context.db, 'group.deleted')).toHaveLength(2);
    });
  });

  describe('DELETE /users/:id', () => {
    it('kills their tokens, OAuth grants, sessions, job tokens and personal projects', async () => {
      const db = world.instance.context.db;
      const alice = world.alice;
      const pat = (
        await givePat(depsOf(world.instance), alice, [
          'api',
          'read_repository',
          'read_registry',
          'write_repository',
        ])
      ).plaintext;
      const app = await world.createApp();
      const { verifier, challenge } = pkcePair();
      const callback = await approveInBrowser(world.instance, world.asAlice, {
        client_id: app.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'api',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const oauth = await oauthPost(
        world.instance,
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: CALLBACK,
          code_verifier: verifier,
        },
        app,
      );
      expect(oauth.status).toBe(200);
      const personal = await createVia('/api/v4/projects', { name: 'mine' }, pat);
      const project = (await db
        .selectFrom('projects')
        .selectAll()
        .where('id', '=', personal.id)
        .executeTakeFirstOrThrow()) as Project;
      const runner = await registerRunner(world.instance, rootPat, { runner_type: 'instance_type' });
      const job = await runningJob(project, { user: alice, pat }, runner.token);
      const own = await createGroup(db, { path: `alone-${Date.now()}` });
      await addMember(db, own, alice, ACCESS_LEVELS.owner);

      expect(
        (
          await call(world.instance, 'GET', '/api/v4/user', {
            headers: { authorization: `Bearer ${oauth.body.access_token}` },
          })
        ).status,
      ).toBe(200);
      expect((await asBrowser(world.asAlice, `${world.instance.url}/api/v4/user`)).status).toBe(200);

      const bobsPat = (await givePat(depsOf(world.instance), world.bob, ['api'])).plaintext;
      const host = world.instance.url;
      expect(await client.deleteUser(host, bobsPat, alice.id)).toBe(403);
      // A sole owner of a group is kept unless the deletion is hard.
      expect(await client.deleteUser(host, rootPat, alice.id)).toBe(409);
      expect(await client.deleteUser(host, rootPat, alice.id, { hardDelete: true })).toBe('done');
      expect(
        (await call(world.instance, 'GET', `/api/v4/users/${alice.id}`, { token: rootPat })).status,
      ).toBe(404);

      await expectDeadEverywhere(patBasic(pat), { headers: { 'private-token': pat } });
      await expectDeadEverywhere(patBasic(oauth.body.access_token), {
        headers: { authorization: `Bearer ${oauth.body.access_token}` },
      });
      await expectDeadEverywhere(
        { username: 'gitlab-ci-token', password: job.token },
        { headers: { 'job-token': job.token } },
      );
      expect((await asBrowser(world.asAlice, `${world.instance.url}/api/v4/user`)).status).toBe(401);
      const refreshed = await oauthPost(
        world.instance,
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: oauth.body.refresh_token },
        app,
      );
      expect(refreshed.status).toBe(400);
      for (const path of [`/api/v4/projects/${project.id}`, `/api/v4/groups/${own.id}`])
        expect((await call(world.instance, 'GET', path, { token: rootPat })).status).toBe(404);
      for (const action of [
        'personal_access_token.revoked',
        'oauth_grant.revoked',
        'session.revoked',
        'ci_job_token.revoked',
        'user.deleted',
      ])
        expect((await auditEvents(db, action)).length, action).toBeGreaterThan(0);
    });

    it('is for administrators only and answers 404 for nobody', async () => {
      expect((await call(world.instance, 'DELETE', '/api/v4/users/999999', { token: rootPat })).status).toBe(
        404,
      );
    });
  });

  describe("GitLab's answers to deletions", () => {
    it('202 Accepted for a project and a group, 204 for a user', async () => {
      const db = world.instance.context.db;
      const group = await createGroup(db, { path: `answers-${Date.now()}` });
      const project = await createProject(db, group, { path: 'p' });
      const user = await createUser(db, { username: `gone-${Date.now()}` });
      const remove = (path: string) => call(world.instance, 'DELETE', path, { token: rootPat });
      expect(await remove(`/api/v4/projects/${project.id}`)).toMatchObject({
        status: 202,
        body: { message: '202 Accepted' },
      });
      expect(await remove(`/api/v4/groups/${group.id}`)).toMatchObject({
        status: 202,
        body: { message: '202 Accepted' },
      });
      expect((await remove(`/api/v4/users/${user.id}`)).status).toBe(204);
    });
  });
});
