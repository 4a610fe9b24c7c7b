import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import { CI_TEST_ENV, pushFiles, registerRunner } from '../ci/ci-world.ts';
import {
  approveInBrowser,
  CALLBACK,
  oauthPost,
  pkcePair,
  startOAuthWorld,
  type OAuthWorld,
} from '../oauth/oauth-fixtures.ts';
import { gitFetchStatus, registryPullStatus } from '../support/credential-reach.ts';
import { rememberSecret } from '../support/secrets.ts';
import { asBrowser, signInOverHttp } from './http-session.ts';
import { hashPassword } from '../../src/identity/password.ts';
import { auditEvents, newPassword } from './identity-fixtures.ts';
import { LIFECYCLE_CLIENTS } from './lifecycle-clients.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';

/*
 * A deactivated user's credentials are refused everywhere until an administrator activates them
 * again; then the same credentials work, since deactivation revokes nothing. Driven through
 * python-gitlab and gitbeaker.
 */

let world: OAuthWorld;
let rootPat: string;
let project: Project;
let pat: string;
let bearer: string;
let jobToken: string;
let alicePassword: string;

/** The status each of alice's credentials gets, on the API, git and the registry. */
async function statuses(): Promise<number[]> {
  const api = (headers: Record<string, string>) =>
    call(world.instance, 'GET', '/api/v4/user', { headers }).then((r) => r.status);
  const git = (username: string, password: string) =>
    gitFetchStatus(world.instance, project.full_path, { username, password });
  const registry = (username: string, password: string) =>
    registryPullStatus(world.instance, project.full_path, { username, password });
  return [
    await api({ 'private-token': pat }),
    await api({ authorization: `Bearer ${bearer}` }),
    (await call(world.instance, 'GET', '/api/v4/job', { headers: { 'job-token': jobToken } })).status,
    await git('alice', pat),
    await git('gitlab-ci-token', jobToken),
    await registry('alice', pat),
    await registry('gitlab-ci-token', jobToken),
  ];
}

const admin = (method: string, path: string, token = rootPat) =>
  call(world.instance, method, path, { token });

beforeAll(async () => {
  world = await startOAuthWorld('user-deactivation', { env: CI_TEST_ENV });
  alicePassword = newPassword();
  await world.instance.context.db
    .updateTable('users')
    .set({ password_digest: await hashPassword(alicePassword) })
    .where('id', '=', world.alice.id)
    .execute();
  rootPat = (await givePat(depsOf(world.instance), world.root, ['api'])).plaintext;
  pat = (
    await givePat(depsOf(world.instance), world.alice, [
      'api',
      'read_repository',
      'write_repository',
      'read_registry',
    ])
  ).plaintext;
  const created = await call(world.instance, 'POST', '/api/v4/projects', {
    token: pat,
    body: { name: 'app' },
  });
  project = (await world.instance.context.db
    .selectFrom('projects')
    .selectAll()
    .where('id', '=', created.body.id)
    .executeTakeFirstOrThrow()) as Project;
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
  const tokens = await oauthPost(
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
  bearer = tokens.body.access_token;
  const runner = await registerRunner(world.instance, rootPat, { runner_type: 'instance_type' });
  await pushFiles(
    world.instance,
    project,
    { user: world.alice, pat },
    { '.gitlab-ci.yml': 'job:\n  script: [sleep 60]\n' },
  );
  for (let attempt = 0; attempt < 20 && !jobToken; attempt++) {
    const picked = await call(world.instance, 'POST', '/api/v4/jobs/request', {
      body: { token: runner.token },
    });
    if (picked.status === 201) jobToken = rememberSecret(picked.body.token);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(() => world.instance.stop());

describe('POST /users/:id/deactivate and /activate', () => {
  it.each(LIFECYCLE_CLIENTS)(
    'through $name: refuses every credential of a deactivated user until activation, then accepts the same ones again',
    async (client) => {
      const host = world.instance.url;
      const alice = world.alice.id;
      const before = (await auditEvents(world.instance.context.db, 'user.deactivated')).length;
      // Deactivation ends browser sessions (an earlier run ended one), so each run signs in afresh.
      const browser = await signInOverHttp(host, world.alice.username, alicePassword);
      expect(await statuses()).toEqual([200, 200, 200, 200, 200, 200, 200]);
      expect((await asBrowser(browser, `${host}/api/v4/user`)).status).toBe(200);

      const bobPat = (await givePat(depsOf(world.instance), world.bob, ['api'])).plaintext;
      expect(await client.deactivateUser(host, bobPat, alice)).toBe(403);
      expect(await client.deactivateUser(host, rootPat, alice)).toBe('done');
      expect((await admin('GET', `/api/v4/users/${alice}`)).body).toMatchObject({ state: 'deactivated' });
      // Deactivating twice is not an error.
      expect(await client.deactivateUser(host, rootPat, alice)).toBe('done');

      expect(await statuses()).toEqual([401, 401, 401, 401, 401, 401, 401]);
      expect((await asBrowser(browser, `${host}/api/v4/user`)).status).toBe(401);
      // A deactivated user is not blocked: unblock is the wrong door.
      expect(await admin('POST', `/api/v4/users/${alice}/unblock`)).toMatchObject({
        status: 403,
        body: { message: 'Deactivated users cannot be unblocked by the API' },
      });

      expect(await client.activateUser(host, rootPat, alice)).toBe('done');
      expect(await statuses()).toEqual([200, 200, 200, 200, 200, 200, 200]);
      // The session it ended stays ended; signing in works again.
      expect((await asBrowser(browser, `${host}/api/v4/user`)).status).toBe(401);
      await signInOverHttp(host, world.alice.username, alicePassword);
      expect(await auditEvents(world.instance.context.db, 'user.deactivated')).toHaveLength(before + 1);
    },
  );

  it("answers GitLab's 201 with true to both", async () => {
    expect(await admin('POST', `/api/v4/users/${world.alice.id}/deactivate`)).toMatchObject({
      status: 201,
      body: true,
    });
    expect(await admin('POST', `/api/v4/users/${world.alice.id}/activate`)).toMatchObject({
      status: 201,
      body: true,
    });
  });

  it('answers 403 for a blocked user either way, and 404 for nobody', async () => {
    expect((await admin('POST', `/api/v4/users/${world.bob.id}/block`)).status).toBe(201);
    expect(await admin('POST', `/api/v4/users/${world.bob.id}/deactivate`)).toMatchObject({
      status: 403,
      body: { message: 'A blocked user cannot be deactivated by the API' },
    });
    expect(await admin('POST', `/api/v4/users/${world.bob.id}/activate`)).toMatchObject({
      status: 403,
      body: { message: 'A blocked user must be unblocked to be activated' },
    });
    expect((await admin('POST', '/api/v4/users/999999/deactivate')).status).toBe(404);
    // An administrator cannot deactivate themself.
    expect((await admin('POST', `/api/v4/users/${world.root.id}/deactivate`)).status).toBe(403);
  });
});
