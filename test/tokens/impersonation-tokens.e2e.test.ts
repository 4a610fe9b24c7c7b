import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { issueAccessToken } from '../../src/tokens/access/issue-access-token.ts';
import { cloneUrl, git } from '../ci/ci-world.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { depsOf, givePat, type Json } from './token-fixtures.ts';
import { gitbeakerStatus, runPythonFixture } from '../support/gitlab-clients.ts';

const SCRIPT = 'test/tokens/fixtures/python_gitlab_impersonation.py';

describe('impersonation tokens, through python-gitlab and gitbeaker', () => {
  let instance: TestInstance;
  let root: User;
  let alice: User;
  let project: Project;
  let adminPat: string;
  let alicePat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'impersonation-tokens' });
    const { db } = instance.context;
    root = await createUser(db, { username: 'root', is_admin: 1 });
    alice = await createUser(db, { username: 'alice' });
    project = await createProject(db, await createGroup(db, { path: 'support' }), { path: 'desk' });
    await addMember(db, project, alice, ACCESS_LEVELS.developer);
    adminPat = (await givePat(depsOf(instance), root, ['api'])).plaintext;
    alicePat = (await givePat(depsOf(instance), alice, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('python-gitlab: create without expires_at, act as the user, list, get, revoke', async () => {
    const run = await runPythonFixture(SCRIPT, [instance.url, adminPat, String(alice.id), alicePat]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.result;

    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    expect(out.made).toMatchObject({
      name: 'support-session',
      scopes: ['api', 'read_repository'],
      user_id: alice.id,
      active: true,
      impersonation: true,
      expires_at: inAYear,
    });
    expect(out.acts_as).toBe('alice');
    expect(out.listed_active).toEqual([out.made.id]);
    expect(out.fetched).toBe('support-session');
    expect(out.user_sees).not.toContain(out.made.id);
    expect(out.user_get).toMatchObject({ code: 404 });
    expect(out.user_may_not_list).toMatchObject({ code: 403 });
    expect(out.listed_inactive).toEqual([out.made.id]);
    expect(out.refused_after_delete).toMatchObject({ code: 401 });

    // The audit trail names the administrator who made and revoked it.
    const events = await instance.context.db
      .selectFrom('audit_events')
      .select(['action', 'author_name', 'details'])
      .where('target_id', '=', String(out.made.id))
      .orderBy('id')
      .execute();
    expect(events.map((event) => [event.action, event.author_name])).toEqual([
      ['personal_access_token.created', 'root'],
      ['personal_access_token.revoked', 'root'],
    ]);
    expect(JSON.parse(events[0]!.details)).toMatchObject({ impersonation: true, user_id: alice.id });
  });

  it('gitbeaker: the same from TypeScript, ending refused over the API, git and the registry', async () => {
    const host = instance.url;
    const api = new Gitlab({ host, token: adminPat });
    const made = await api.UserImpersonationTokens.create(alice.id, 'beaker-session', [
      'read_api',
      'read_repository',
      'read_registry',
    ]);
    const secret = rememberSecret(made.token as string);
    expect(made).toMatchObject({ impersonation: true, active: true, user_id: alice.id });
    expect((await api.UserImpersonationTokens.show(alice.id, made.id)).name).toBe('beaker-session');
    expect((await api.UserImpersonationTokens.all(alice.id, { state: 'active' })).map((t) => t.id)).toContain(
      made.id,
    );
    const inspected = await api.requester.post('admin/token', { body: { token: secret } });
    expect((inspected as { body: Json }).body).toMatchObject({ impersonation: true, user_id: alice.id });

    const gitWorks = async () =>
      (await git(['ls-remote', cloneUrl(instance, project, 'alice', secret)])).code === 0;
    const registryStatus = async () => {
      const scope = `repository:${project.full_path}:pull`;
      const basic = Buffer.from(`alice:${secret}`).toString('base64');
      const response = await fetch(`${host}/jwt/auth?service=container_registry&scope=${scope}`, {
        headers: { authorization: `Basic ${basic}` },
      });
      return response.status;
    };
    expect((await new Gitlab({ host, token: secret }).Users.showCurrentUser()).username).toBe('alice');
    expect(await gitWorks()).toBe(true);
    expect(await registryStatus()).toBe(200);

    await api.UserImpersonationTokens.revoke(alice.id, made.id);
    expect(await gitbeakerStatus(new Gitlab({ host, token: secret }).Users.showCurrentUser())).toBe(401);
    expect(await gitWorks()).toBe(false);
    expect(await registryStatus()).toBe(401);
    expect(
      await gitbeakerStatus(new Gitlab({ host, token: alicePat }).UserImpersonationTokens.all(alice.id)),
    ).toBe(403);
  });
});

describe('impersonation disabled', () => {
  let instance: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'impersonation-off',
      env: { TESSERA_IMPERSONATION_ENABLED: 'false' },
    });
  });
  afterAll(() => instance.stop());

  it('makes none and refuses the ones made before', async () => {
    const { db } = instance.context;
    const root = await createUser(db, { username: 'root', is_admin: 1 });
    const alice = await createUser(db, { username: 'alice' });
    const adminPat = (await givePat(depsOf(instance), root, ['api'])).plaintext;
    const api = new Gitlab({ host: instance.url, token: adminPat });
    expect(await gitbeakerStatus(api.UserImpersonationTokens.create(alice.id, 'nope', ['api']))).toBe(403);

    // One made while impersonation was still enabled.
    const earlier = await issueAccessToken(db, depsOf(instance), {
      kind: 'personal',
      userId: alice.id,
      resourceId: null,
      name: 'from before',
      description: '',
      scopes: ['api'],
      accessLevel: null,
      expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10),
      previousTokenId: null,
      impersonation: true,
    });
    rememberSecret(earlier.plaintext);
    expect(
      await gitbeakerStatus(
        new Gitlab({ host: instance.url, token: earlier.plaintext }).Users.showCurrentUser(),
      ),
    ).toBe(401);
  });
});
