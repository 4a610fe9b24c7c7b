import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraError } from '../../src/errors/tessera-error.ts';
import { authorizeGitAccess } from '../../src/git/git-access.ts';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { resolveBasicCredentials } from '../../src/tokens/basic-credentials.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { issueCompositeToken, revokeWorkflowTokens } from '../../src/tokens/oauth/composite-token.ts';
import { OAuthError } from '../../src/tokens/oauth/oauth-error.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import { auditEvents } from '../identity/identity-fixtures.ts';
import { asBrowser } from '../identity/http-session.ts';
import { registryAuth, scopeQuery } from '../registry/registry-fixtures.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as build from '../support/world.ts';
import { startOAuthWorld, withBearer, type OAuthWorld, json } from './oauth-fixtures.ts';

let world: OAuthWorld;
let group: Namespace;
let account: User;
let appId: number;
/** P: only the service account is a member; Q: only alice; R: both developers; S: account maintainer, alice developer. */
let onlyAccount: Project, onlyAlice: Project, both: Project, mixed: Project;

const api = (path: string) => `${world.instance.url}/api/v4${path}`;

beforeAll(async () => {
  world = await startOAuthWorld('oauth-composite');
  const db = world.instance.context.db;
  group = await build.createGroup(db, { path: 'workflows' });
  await build.addMember(db, group, world.root, ACCESS_LEVELS.owner);
  [onlyAccount, onlyAlice, both, mixed] = (await Promise.all(
    ['p-account', 'q-alice', 'r-both', 's-mixed'].map((path) => build.createProject(db, group, { path })),
  )) as [Project, Project, Project, Project];

  const created = await asBrowser(world.asRoot, api('/service_accounts'), {
    method: 'POST',
    json: { name: 'Duo Workflow', username: 'duo-workflow', composite_identity_enforced: true },
  });
  expect(created.status).toBe(201);
  const body = await json(created);
  account = (await findUserById(db, body.id))!;
  for (const [project, who, level] of [
    [onlyAccount, account, ACCESS_LEVELS.developer],
    [onlyAlice, world.alice, ACCESS_LEVELS.developer],
    [both, account, ACCESS_LEVELS.developer],
    [both, world.alice, ACCESS_LEVELS.developer],
    [mixed, account, ACCESS_LEVELS.maintainer],
    [mixed, world.alice, ACCESS_LEVELS.developer],
  ] as const) {
    await build.addMember(db, project, who, level);
  }
  const app = await asBrowser(world.asRoot, api('/applications'), {
    method: 'POST',
    json: {
      name: 'GitLab Duo',
      redirect_uri: 'http://127.0.0.1:9/cb',
      scopes: 'api ai_workflows',
      dynamic_user_scope: true,
      trusted: true,
    },
  });
  expect(app.status).toBe(201);
  const appBody = await json(app);
  rememberSecret(appBody.secret);
  appId = appBody.id;
});
afterAll(async () => {
  await world.instance.stop();
});

async function compositeToken(scopes: string[] = ['api', `user:${world.alice.id}`], workflowId?: string) {
  const issued = await issueCompositeToken(world.instance.context, {
    serviceAccount: account,
    user: world.alice,
    scopes,
    expiresInSeconds: 3600,
    applicationId: appId,
    ...(workflowId ? { workflowId } : {}),
  });
  rememberSecret(issued.accessToken);
  return issued;
}

describe('service accounts', () => {
  it("are created by an administrator with GitLab's fields and the composite identity flag", async () => {
    expect(account).toMatchObject({
      username: 'duo-workflow',
      bot_kind: 'service_account',
      composite_identity_enforced: 1,
    });
    const listed = await asBrowser(world.asRoot, api('/service_accounts'));
    expect(listed.status).toBe(200);
    // Besides the instance's own Duo workflow account, made at start-up.
    expect((await json(listed)).filter((a: { id: number }) => a.id === account.id)).toEqual([
      {
        id: account.id,
        username: 'duo-workflow',
        name: 'Duo Workflow',
        email: `duo-workflow@noreply.127.0.0.1`,
        composite_identity_enforced: true,
      },
    ]);
    const refused = await asBrowser(world.asAlice, api('/service_accounts'), { method: 'POST', json: {} });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toEqual({ message: '403 Forbidden' });
  });

  it("are provisioned by a group's owner, and by no one else", async () => {
    const made = await asBrowser(world.asRoot, api(`/groups/${group.id}/service_accounts`), {
      method: 'POST',
      json: {},
    });
    expect(made.status).toBe(201);
    const body = await json(made);
    expect(body.username).toMatch(new RegExp(`^service_account_group_${group.id}_[0-9a-f]{16}$`));
    expect(body.composite_identity_enforced).toBe(false);
    const listed = await asBrowser(world.asRoot, api(`/groups/${group.id}/service_accounts`));
    expect((await json(listed)).map((a: { id: number }) => a.id)).toEqual([body.id]);
    // alice is no member of the group, only of projects below it: as on GitLab she sees the
    // group, so she is refused for lack of the owner role rather than told it does not exist.
    const refused = await asBrowser(world.asAlice, api(`/groups/${group.id}/service_accounts`), {
      method: 'POST',
      json: {},
    });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toEqual({ message: '403 Forbidden' });
    expect(
      (await auditEvents(world.instance.context.db, 'service_account.created')).at(-1)!.details,
    ).toMatchObject({
      user_id: body.id,
      group_id: group.id,
    });
  });
});

describe('a composite token on the REST API', () => {
  it('reaches only what both the service account and the person reach', async () => {
    const { accessToken } = await compositeToken();
    expect((await withBearer(world.instance, `/api/v4/projects/${onlyAccount.id}`, accessToken)).status).toBe(
      404,
    );
    expect((await withBearer(world.instance, `/api/v4/projects/${onlyAlice.id}`, accessToken)).status).toBe(
      404,
    );
    const allowed = await withBearer(world.instance, `/api/v4/projects/${both.id}`, accessToken);
    expect(allowed.status).toBe(200);
    expect(allowed.body.path_with_namespace).toBe('workflows/r-both');
    const listed = await withBearer(world.instance, '/api/v4/projects', accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.map((p: { path: string }) => p.path).sort()).toEqual(['r-both', 's-mixed']);
    // Neither is a member of the group, but both are members of projects in it: as on GitLab, both
    // see it, so the composite identity does too.
    const groups = await withBearer(world.instance, '/api/v4/groups', accessToken);
    expect(groups.body.map((g: { full_path: string }) => g.full_path)).toEqual(['workflows']);
  });

  it('is refused what needs more than the lower of the two levels (403 where both see the project)', async () => {
    const { accessToken } = await compositeToken();
    const response = await fetch(api(`/projects/${mixed.id}/members`), {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: world.bob.id, access_level: ACCESS_LEVELS.reporter }),
    });
    expect(response.status).toBe(403);
    expect(await json(response)).toEqual({ message: '403 Forbidden' });
  });

  it('is audited as the service account acting on behalf of the person', async () => {
    const db = world.instance.context.db;
    const shared = await build.createProject(db, group, { path: 't-audited' });
    await build.addMember(db, shared, account, ACCESS_LEVELS.maintainer);
    await build.addMember(db, shared, world.alice, ACCESS_LEVELS.maintainer);
    const { accessToken } = await compositeToken();
    const response = await fetch(api(`/projects/${shared.id}/protected_branches`), {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'release/*' }),
    });
    expect(response.status).toBe(201);
    const [event] = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'protected_branch.created')
      .where('entity_id', '=', String(shared.id))
      .execute();
    expect(event).toMatchObject({ author_id: account.id, author_name: account.username });
    expect(JSON.parse(event!.details)).toMatchObject({
      on_behalf_of: { id: world.alice.id, username: world.alice.username },
    });
  });

  it('never creates, rotates or receives a credential, whatever its scopes, and the refusal changes nothing', async () => {
    const { accessToken } = await compositeToken();
    const p = mixed.id;
    const g = group.id;
    const routes = [
      '/personal_access_tokens/self/rotate',
      '/personal_access_tokens/1/rotate',
      '/user/personal_access_tokens',
      `/users/${world.alice.id}/personal_access_tokens`,
      `/projects/${p}/access_tokens`,
      `/projects/${p}/access_tokens/1/rotate`,
      `/groups/${g}/access_tokens`,
      `/projects/${p}/deploy_tokens`,
      `/projects/${p}/deploy_tokens/1/rotate`,
      `/groups/${g}/deploy_tokens`,
      `/projects/${p}/triggers`,
      '/user/runners',
      '/applications',
      '/applications/1/renew-secret',
      '/user/applications',
      '/code_suggestions/direct_access',
      '/code_suggestions/tokens',
      '/ai/duo_workflows/direct_access',
      '/cloud_connector/instance_token',
    ];
    const db = world.instance.context.db;
    const eventsBefore = (await db.selectFrom('audit_events').select('id').execute()).length;
    for (const route of routes) {
      const response = await fetch(api(route), {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'agent', scopes: ['api'], runner_type: 'instance_type' }),
      });
      expect([route, response.status, await json(response)]).toEqual([
        route,
        403,
        { message: '403 Forbidden - a composite identity cannot create credentials' },
      ]);
    }
    expect((await db.selectFrom('audit_events').select('id').execute()).length).toBe(eventsBefore);
  });

  it('is refused at authentication without exactly one user scope naming an active person', async () => {
    const { accessToken, tokenId } = await compositeToken();
    const db = world.instance.context.db;
    await db
      .updateTable('oauth_tokens')
      .set({ scopes: JSON.stringify(['api']) })
      .where('id', '=', tokenId)
      .execute();
    const unscoped = await withBearer(world.instance, '/api/v4/user', accessToken);
    expect(unscoped.status).toBe(401);
    expect(unscoped.body).toEqual({ message: '401 Unauthorized' });

    const second = await compositeToken();
    await db.updateTable('users').set({ state: 'blocked' }).where('id', '=', world.bob.id).execute();
    await db
      .updateTable('oauth_tokens')
      .set({ scopes: JSON.stringify(['api', `user:${world.bob.id}`]) })
      .where('id', '=', second.tokenId)
      .execute();
    expect((await withBearer(world.instance, '/api/v4/user', second.accessToken)).status).toBe(401);
    await db.updateTable('users').set({ state: 'active' }).where('id', '=', world.bob.id).execute();
  });

  it('can only come from an application allowed the dynamic user:* scope, and a refusal creates nothing', async () => {
    const db = world.instance.context.db;
    const count = async () =>
      Promise.all(
        (['oauth_grants', 'oauth_tokens', 'audit_events'] as const).map(async (table) =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        ),
      );
    const before = await count();
    const plain = await world.createApp({ scopes: ['api', 'ai_workflows'] });
    const afterApp = await count();
    const refusal = await issueCompositeToken(world.instance.context, {
      serviceAccount: account,
      user: world.alice,
      scopes: ['ai_workflows', `user:${world.alice.id}`],
      expiresInSeconds: 3600,
      applicationId: plain.clientId,
    }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OAuthError);
    expect((refusal as OAuthError).error).toBe('invalid_scope');

    const wrongUser = await issueCompositeToken(world.instance.context, {
      serviceAccount: account,
      user: world.alice,
      scopes: ['ai_workflows', `user:${world.bob.id}`],
      expiresInSeconds: 3600,
      applicationId: appId,
    }).catch((error: unknown) => error);
    expect(wrongUser).toBeInstanceOf(TesseraError);
    expect((wrongUser as TesseraError).status).toBe(400);
    expect((wrongUser as TesseraError).details.field).toBe('scopes');
    expect(await count()).toEqual(afterApp);
    expect(afterApp[0]).toBe(before[0]);
  });

  it('dies with its workflow', async () => {
    const { accessToken } = await compositeToken(['api', `user:${world.alice.id}`], 'wf-77');
    expect((await withBearer(world.instance, `/api/v4/projects/${both.id}`, accessToken)).status).toBe(200);
    expect(await revokeWorkflowTokens(world.instance.context, 'wf-77')).toBe(1);
    expect((await withBearer(world.instance, `/api/v4/projects/${both.id}`, accessToken)).status).toBe(401);
    expect(
      (await auditEvents(world.instance.context.db, 'oauth_grant.revoked')).at(-1)!.details,
    ).toMatchObject({
      reason: 'workflow_ended',
      workflow_id: 'wf-77',
    });
  });
});

describe('a composite token at the registry (basic oauth2:<token>)', () => {
  const access = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access as {
      name: string;
      actions: string[];
    }[];

  it('gets pull and push only where both may', async () => {
    const { accessToken } = await compositeToken(['api', `user:${world.alice.id}`]);
    const credentials = { username: 'oauth2', password: accessToken };
    const allowed = await registryAuth(
      world.instance,
      scopeQuery(`repository:${both.full_path}:pull,push`),
      credentials,
    );
    expect(allowed.status).toBe(200);
    expect(access(allowed.body.token)).toEqual([
      { type: 'repository', name: both.full_path, actions: ['pull', 'push'] },
    ]);
    for (const project of [onlyAccount, onlyAlice]) {
      const refused = await registryAuth(
        world.instance,
        scopeQuery(`repository:${project.full_path}:pull`),
        credentials,
      );
      expect(refused.status).toBe(200);
      expect(access(refused.body.token)).toEqual([]);
    }
  });
});

describe('a composite token for git over HTTP (the decision git-http.routes.ts asks)', () => {
  it('may clone and push only where both may', async () => {
    const { accessToken } = await compositeToken(['api', `user:${world.alice.id}`]);
    const { context } = world.instance;
    const identity = await resolveBasicCredentials(context.basicCredentialResolvers, 'oauth2', accessToken, {
      ip: null,
    });
    expect(identity?.type).toBe('user');
    const access = await authorizeGitAccess(context.db, identity, both, 'write');
    expect(access).toEqual({
      remoteUser: 'duo-workflow',
      accessLevel: ACCESS_LEVELS.developer,
      userId: account.id,
    });
    for (const project of [onlyAccount, onlyAlice]) {
      const refused = await authorizeGitAccess(context.db, identity, project, 'read').catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(TesseraError);
      expect((refused as TesseraError).status).toBe(404);
    }
  });
});
