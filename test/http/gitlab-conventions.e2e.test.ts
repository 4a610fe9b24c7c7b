import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITLAB_API_VERSION } from '../../src/runtime/version.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { cloneUrl, git } from '../ci/ci-world.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { depsOf, givePat, type Json } from '../tokens/token-fixtures.ts';
import { gitbeakerRefusal, PYTHON, runPeer, runPythonFixture } from '../support/gitlab-clients.ts';

const SCRIPT = 'test/http/fixtures/python_gitlab_conventions.py';
const IN_30_DAYS = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

async function latestAudit(instance: TestInstance, action: string) {
  const row = await instance.context.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return { author: row.author_name, details: JSON.parse(row.details) as Json };
}

describe('GitLab request conventions and sudo, through real GitLab clients', () => {
  let instance: TestInstance;
  let root: User;
  let alice: User;
  let group: Namespace;
  let publicProject: Project;
  let aliceProject: Project;
  let sudoPat: string;
  let plainAdminPat: string;
  let alicePat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'gitlab-conventions' });
    const { db } = instance.context;
    root = await createUser(db, { username: 'root', is_admin: 1 });
    alice = await createUser(db, { username: 'alice' });
    await createUser(db, { username: 'mallory', state: 'blocked' });
    group = await createGroup(db, { path: 'conventions' });
    await createProject(db, group, { path: 'by-path', creator: root });
    publicProject = await createProject(db, group, { path: 'open', visibility: 'public' });
    aliceProject = await createProject(db, group, { path: 'alices', creator: root });
    await addMember(db, aliceProject, alice, ACCESS_LEVELS.developer);
    const deps = depsOf(instance);
    sudoPat = (await givePat(deps, root, ['api', 'sudo'])).plaintext;
    plainAdminPat = (await givePat(deps, root, ['api'])).plaintext;
    alicePat = (await givePat(deps, alice, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('python-gitlab: booleans as Python spells them, a project by full path, sudo in all four cases', async () => {
    const result = await runPythonFixture(SCRIPT, [
      instance.url,
      sudoPat,
      plainAdminPat,
      alicePat,
      'conventions/by-path',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.result;

    expect(out.version).toEqual([GITLAB_API_VERSION, expect.stringMatching(/^tessera-/)]);
    expect(out.blocked_users).toEqual(['mallory']);
    expect(out.active_users).toEqual(['alice', 'root']);
    expect(out.project_by_path).toBe('conventions/by-path');

    expect(out.sudo_user).toBe('alice');
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    expect(out.sudo_made).toMatchObject({
      name: 'made-as-alice',
      user_id: alice.id,
      scopes: ['read_api'],
      expires_at: inAYear,
    });
    expect(out.manager_made_expires_at).toBe(inAYear);
    expect(out.made_token_user).toBe('alice');
    expect(out.sudo_by_id).toBe('alice');
    expect(out.sudo_without_scope).toEqual({
      code: 403,
      message: expect.stringContaining('insufficient_scope'),
    });
    expect(out.sudo_by_non_admin).toEqual({
      code: 403,
      message: '403 Forbidden - Must be admin to use sudo',
    });
    expect(out.sudo_unknown_user).toEqual({
      code: 404,
      message: "404 User with ID or username 'nobody-by-that-name' Not Found",
    });
    expect(out.made_token_refused).toMatchObject({ code: 401 });

    // The audit trail names the user the request acted as, and the administrator behind it.
    for (const action of ['personal_access_token.created', 'personal_access_token.revoked']) {
      const event = await latestAudit(instance, action);
      expect(event.author).toBe('alice');
      expect(event.details.impersonated_by).toEqual({ id: root.id, username: 'root' });
    }
  });

  it('gitbeaker: metadata, boolean filters, a project by full path, pagination, and sudo as a client option in all four cases', async () => {
    const host = instance.url;
    const admin = new Gitlab({ host, token: sudoPat });
    expect(await admin.Metadata.show()).toMatchObject({ version: GITLAB_API_VERSION, enterprise: true });
    const blocked = await admin.Users.all({ blocked: true });
    expect(blocked.map((user) => user.username)).toEqual(['mallory']);

    // A project by its full path: gitbeaker URL-encodes it into :id.
    expect((await admin.Projects.show('conventions/by-path')).path_with_namespace).toBe(
      'conventions/by-path',
    );
    // Pagination: gitbeaker follows the pages of a list one user at a time, and reads the totals.
    const everyone = await admin.Users.all({ perPage: 1 });
    const firstPage = await admin.Users.all({ perPage: 1, maxPages: 1, showExpanded: true });
    expect(firstPage.data).toHaveLength(1);
    expect(firstPage.paginationInfo).toMatchObject({ perPage: 1, total: everyone.length, next: 2 });
    expect(everyone.length).toBeGreaterThan(2);

    const asAlice = new Gitlab({ host, token: sudoPat, sudo: 'alice' });
    expect((await asAlice.Users.showCurrentUser()).username).toBe('alice');
    // No expiresAt: the policy's longest lifetime, as GitLab's current API has it.
    const made = await admin.PersonalAccessTokens.create(alice.id, 'beaker-made', [
      'read_api',
      'read_repository',
      'read_registry',
    ]);
    const secret = rememberSecret(made.token as string);
    const listed = await asAlice.PersonalAccessTokens.all();
    expect(listed.map((token) => token.id)).toContain(made.id);
    const gitWorks = () => git(['ls-remote', cloneUrl(instance, aliceProject, 'alice', secret)]);
    const registryWorks = async () => {
      const url = `${instance.url}/jwt/auth?service=container_registry&scope=repository:${aliceProject.full_path}:pull`;
      const basic = Buffer.from(`alice:${secret}`).toString('base64');
      return (await fetch(url, { headers: { authorization: `Basic ${basic}` } })).status;
    };
    expect((await gitWorks()).code).toBe(0);
    expect(await registryWorks()).toBe(200);

    await asAlice.PersonalAccessTokens.remove({ tokenId: made.id });
    // Revoked: refused over the API, git and the registry alike.
    expect((await gitbeakerRefusal(new Gitlab({ host, token: secret }).Users.showCurrentUser())).status).toBe(
      401,
    );
    expect((await gitWorks()).code).not.toBe(0);
    expect(await registryWorks()).toBe(401);

    const noScope = await gitbeakerRefusal(
      new Gitlab({ host, token: plainAdminPat, sudo: 'alice' }).Users.showCurrentUser(),
    );
    expect(noScope).toEqual({ status: 403, description: 'insufficient_scope' });
    const nonAdmin = await gitbeakerRefusal(
      new Gitlab({ host, token: alicePat, sudo: 'root' }).Users.showCurrentUser(),
    );
    expect(nonAdmin).toEqual({ status: 403, description: '403 Forbidden - Must be admin to use sudo' });
    const unknown = await gitbeakerRefusal(
      new Gitlab({ host, token: sudoPat, sudo: 9_999_999 }).Users.showCurrentUser(),
    );
    expect(unknown).toEqual({ status: 404, description: "404 User with ID or username '9999999' Not Found" });

    const event = await latestAudit(instance, 'personal_access_token.revoked');
    expect(event).toMatchObject({
      author: 'alice',
      details: { impersonated_by: { id: root.id, username: 'root' } },
    });
  });

  it('curl: multipart bodies as in the platform docs, blank token headers as none', async () => {
    const created = await runPeer('curl', [
      '--silent',
      '--header',
      `PRIVATE-TOKEN: ${alicePat}`,
      '--form',
      'name=curl-form',
      '--form',
      'scopes[]=read_api',
      '--form',
      'scopes[]=read_user',
      '--form',
      `expires_at=${IN_30_DAYS}`,
      `${instance.url}/api/v4/user/personal_access_tokens`,
    ]);
    const token = JSON.parse(created.stdout) as Json;
    rememberSecret(token.token);
    expect(token).toMatchObject({ name: 'curl-form', scopes: ['read_api', 'read_user'], user_id: alice.id });

    // A client made without a token sends `PRIVATE-TOKEN:` on every call (curl spells it `NAME;`).
    for (const header of ['PRIVATE-TOKEN;', 'JOB-TOKEN;']) {
      const anonymous = await runPeer('curl', [
        '--silent',
        '--header',
        header,
        `${instance.url}/api/v4/projects/${encodeURIComponent('conventions/open')}`,
      ]);
      expect(JSON.parse(anonymous.stdout)).toMatchObject({ id: publicProject.id });
    }
  });

  it('python-gitlab pages through a list whose route returns a plain array', async () => {
    // `/admin/add_ons` returns its list whole; the shared layer pages it, so python-gitlab's
    // page-following sees one page of one item at a time and still gets them all.
    const script = [
      'import json, sys, gitlab',
      'gl = gitlab.Gitlab(sys.argv[1], private_token=sys.argv[2])',
      'first = gl.http_list("/admin/add_ons", iterator=True, per_page=1)',
      'print(json.dumps({"total": first.total, "per_page": first.per_page, "all": len(list(first))}))',
    ].join('\n');
    const result = await runPeer(PYTHON, ['-c', script, instance.url, sudoPat]);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { total: number; per_page: number; all: number };
    expect(seen.per_page).toBe(1);
    expect(seen.total).toBeGreaterThan(1);
    expect(seen.all).toBe(seen.total);
  });
});
