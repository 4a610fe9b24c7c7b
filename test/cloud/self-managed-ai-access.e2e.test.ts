import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { createUser } from '../../src/identity/user.service.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createInstanceContext } from '../../src/runtime/create-instance-context.ts';
import type { InstanceContext } from '../../src/runtime/instance-context.ts';
import { runWorkflowClient } from '../../src/cli/workflow-client.command.ts';
import type { User } from '../../src/store/schema.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { freePort } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { COMPLETION, completeWith, request } from './support/http.ts';
import {
  baseEnv,
  removeDir,
  runTessera,
  startRole,
  tempDataDir,
  type RoleProcess,
} from './support/role-process.ts';

/*
 * Acceptance 1 of the Cloud Connector issue: the license authority, a self-managed instance, the AI
 * gateway and the workflow service each run as their own `tessera serve <role>` process with their
 * own settings and stores, and talk over real sockets.
 */

const dirs: string[] = [];
const processes: RoleProcess[] = [];
let instanceContext: InstanceContext | undefined;

const url = (port: number) => `http://127.0.0.1:${port}`;
const adminToken = rememberSecret(`tslaa-${randomBytes(24).toString('base64url')}`);

describe('self-managed AI access across four processes', () => {
  let authority = '';
  let instance = '';
  let gateway = '';
  let workflowAddress = '';
  let instanceEnv: Record<string, string> = {};
  let root: { user: User; token: string };
  let alice: { user: User; token: string; password: string };
  let bob: { user: User; token: string };
  let carol: { user: User; token: string };

  const pat = async (user: User, scopes: string[]) => {
    const { plaintext } = await issuePersonalAccessToken(accessTokenDeps(instanceContext!), {
      user,
      name: 'ai',
      scopes,
    });
    return rememberSecret(plaintext);
  };
  const person = async (username: string, admin = false) => {
    const password = rememberSecret(randomBytes(12).toString('base64url'));
    const user = await createUser(instanceContext!.db, instanceContext!.clock, SYSTEM_ACTOR, {
      username,
      email: `${username}@example.test`,
      password,
      admin,
    });
    return { user, password };
  };
  const directAccess = (token: string) =>
    request('POST', `${instance}/api/v4/code_suggestions/direct_access`, { token });

  beforeAll(async () => {
    const [authorityPort, instancePort, gatewayPort, workflowPort] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    authority = url(authorityPort!);
    instance = url(instancePort!);
    gateway = url(gatewayPort!);
    workflowAddress = `127.0.0.1:${workflowPort}`;
    const dataDir = (name: string) => {
      const dir = tempDataDir(name);
      dirs.push(dir);
      return dir;
    };
    const trusted = {
      TESSERA_AI_TRUSTED_ISSUERS: `${instance},${authority}`,
      TESSERA_EXTERNAL_URL: instance,
    };
    instanceEnv = {
      ...baseEnv(dataDir('instance')),
      TESSERA_PORT: String(instancePort),
      TESSERA_LICENSE_AUTHORITY_URL: authority,
      TESSERA_AI_GATEWAY_URL: gateway,
    };
    const started = await Promise.all([
      startRole(
        'license-authority',
        {
          ...baseEnv(dataDir('authority')),
          TESSERA_LICENSE_AUTHORITY_PORT: String(authorityPort),
          TESSERA_LICENSE_AUTHORITY_URL: authority,
          TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: adminToken,
        },
        'e2e-license-authority',
      ),
      startRole('instance', instanceEnv, 'e2e-instance'),
      startRole(
        'ai-gateway',
        { ...baseEnv(dataDir('gateway')), ...trusted, TESSERA_AI_GATEWAY_PORT: String(gatewayPort) },
        'e2e-ai-gateway',
      ),
      startRole(
        'workflow-service',
        { ...baseEnv(dataDir('workflow')), ...trusted, TESSERA_WORKFLOW_SERVICE_PORT: String(workflowPort) },
        'e2e-workflow-service',
      ),
    ]);
    processes.push(...started);

    // The instance's operator creates people in its store, as `tessera users create` would.
    instanceContext = await createInstanceContext(loadSettings(instanceEnv), {
      logger: createLogger({
        level: 'info',
        destination: pino.destination({ dest: `${testLogDir()}/e2e-instance-operator.log`, sync: true }),
      }),
    });
    const admin = await person('operator', true);
    root = { user: admin.user, token: await pat(admin.user, ['api']) };
    const a = await person('alice');
    alice = { ...a, token: await pat(a.user, ['ai_features']) };
    const b = await person('bob');
    bob = { user: b.user, token: await pat(b.user, ['ai_features']) };
    const c = await person('carol');
    carol = { user: c.user, token: await pat(c.user, ['api']) };
  });

  afterAll(async () => {
    await instanceContext?.db.destroy();
    await Promise.all(processes.map((p) => p.stop()));
    dirs.forEach(removeDir);
  });

  it('the vendor creates a license and the instance activates it and syncs an instance token', async () => {
    const created = await request('POST', `${authority}/api/v1/admin/licenses`, {
      bearer: adminToken,
      body: {
        licensee: 'ACME',
        plan: 'ultimate',
        add_ons: [
          { name: 'duo_enterprise', seats: 1 },
          { name: 'duo_core', seats: 1 },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ licensee: 'ACME', state: 'active', activated: false });
    const code = rememberSecret(created.body.activation_code);

    const activated = await request('POST', `${instance}/api/v4/admin/cloud_connector/activate`, {
      token: root.token,
      body: { activation_code: code },
    });
    expect(activated.status).toBe(201);
    expect(activated.body).toMatchObject({
      realm: 'self-managed',
      mode: 'license',
      license: { licensee: 'ACME', plan: 'ultimate' },
      instance_token: { issuer: authority, expired: false },
      sync: { last_error: null, consecutive_failures: 0 },
    });
    expect(activated.body.instance_token.scopes).toEqual(
      expect.arrayContaining(['complete_code', 'duo_chat', 'duo_agent_platform']),
    );
    expect(activated.body.instance_token.scopes).toHaveLength(11);

    const licenses = await request('GET', `${authority}/api/v1/admin/licenses`, { bearer: adminToken });
    expect(licenses.body[0]).toMatchObject({ activated: true, instance_id: activated.body.instance_id });
  });

  it('admins assign seats; a seated user gets a direct_access token with a PAT and the gateway answers', async () => {
    for (const [addOn, who] of [
      ['duo_enterprise', alice],
      ['duo_core', bob],
    ] as const) {
      const seat = await request('POST', `${instance}/api/v4/admin/add_ons/${addOn}/seats/${who.user.id}`, {
        token: root.token,
      });
      expect(seat.status).toBe(201);
      expect(seat.body).toMatchObject({ add_on: addOn, user_id: who.user.id, username: who.user.username });
    }

    const access = await directAccess(alice.token);
    expect(access.status).toBe(201);
    expect(access.body).toEqual({
      base_url: gateway,
      token: expect.stringMatching(/^eyJ/),
      expires_at: expect.any(Number),
      headers: {
        'X-Gitlab-Instance-Id': expect.any(String),
        'X-Gitlab-Realm': 'self-managed',
        'X-Gitlab-Global-User-Id': expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        'X-Gitlab-Host-Name': '127.0.0.1',
      },
    });
    const claims = decodeJwt(rememberSecret(access.body.token));
    expect(claims).toMatchObject({
      iss: instance,
      aud: 'gitlab-ai-gateway',
      sub: access.body.headers['X-Gitlab-Global-User-Id'],
      gitlab_realm: 'self-managed',
      gitlab_instance_id: access.body.headers['X-Gitlab-Instance-Id'],
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    // The gateway's primitives of duo_enterprise: the workflow ones are not for this audience.
    expect(claims.scopes).toEqual([
      'complete_code',
      'generate_code',
      'duo_chat',
      'explain_code',
      'generate_commit_message',
      'troubleshoot_job',
      'summarize_comments',
      'ai_gateway_model_provider_proxy',
    ]);

    const completion = await completeWith(access.body);
    expect(completion.status).toBe(200);
    expect(completion.body).toMatchObject({ object: 'text_completion', model: { lang: 'python' } });
  });

  it('a seated user signed in with a session cookie gets one too (and needs the CSRF token)', async () => {
    const session: BrowserSession = await signInOverHttp(instance, 'alice', alice.password);
    const withoutCsrf = await fetch(`${instance}/api/v4/code_suggestions/direct_access`, {
      method: 'POST',
      headers: { cookie: session.cookie },
    });
    expect(withoutCsrf.status).toBe(403);
    expect(await withoutCsrf.json()).toEqual({ message: '403 Forbidden - CSRF token invalid' });

    const access = await request('POST', `${instance}/api/v4/code_suggestions/direct_access`, {
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
    });
    expect(access.status).toBe(201);
    const completion = await completeWith(access.body);
    expect(completion.status).toBe(200);
  });

  it('the older /code_suggestions/tokens endpoint answers access_token, expires_in and created_at', async () => {
    const answer = await request('POST', `${instance}/api/v4/code_suggestions/tokens`, {
      token: alice.token,
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      access_token: expect.stringMatching(/^eyJ/),
      expires_in: 3600,
      created_at: expect.any(Number),
    });
    rememberSecret(answer.body.access_token);
  });

  it('an unseated user gets 403 from the instance; a PAT without ai_features or api gets insufficient_scope', async () => {
    const refused = await directAccess(carol.token);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      message: '403 Forbidden - you need a seat of an AI add-on (ask an administrator to assign one)',
    });
    const readOnly = await directAccess(await pat(alice.user, ['read_user']));
    expect(readOnly.status).toBe(403);
    expect(readOnly.body).toMatchObject({ error: 'insufficient_scope', scope: 'ai_features api' });
    const anonymous = await request('POST', `${instance}/api/v4/code_suggestions/direct_access`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ message: '401 Unauthorized' });
  });

  it('a token without complete_code gets 403 insufficient_scope from the gateway', async () => {
    const access = await directAccess(bob.token);
    expect(access.status).toBe(201);
    expect(decodeJwt(rememberSecret(access.body.token)).scopes).toEqual(['duo_chat', 'explain_code']);
    const completion = await completeWith(access.body);
    expect(completion.status).toBe(403);
    expect(completion.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks the scope complete_code',
    });
    const chat = await request('POST', `${gateway}/v1/chat/agent`, {
      bearer: access.body.token,
      headers: access.body.headers,
      body: { prompt_components: [{ type: 'user_prompt', payload: { content: 'hi' } }] },
    });
    expect(chat.status).toBe(200);
  });

  it('the gateway refuses the user token when the headers name another instance', async () => {
    const access = await directAccess(alice.token);
    const completion = await completeWith({
      ...access.body,
      headers: { ...access.body.headers, 'X-Gitlab-Instance-Id': '00000000-0000-4000-8000-000000000000' },
    });
    expect(completion.status).toBe(401);
    expect(completion.body).toMatchObject({ error: 'invalid_token' });
  });

  it("the authority's instance token opens the gateway's user_access_token and the workflow service", async () => {
    const printed = await runTessera(['cloud', 'instance-token'], instanceEnv);
    expect(printed.status).toBe(0);
    const instanceToken = rememberSecret(printed.stdout.trim());
    expect(decodeJwt(instanceToken)).toMatchObject({ iss: authority, gitlab_realm: 'self-managed' });

    const instanceId = decodeJwt(instanceToken).sub!;
    const userToken = await request('POST', `${gateway}/v1/code/user_access_token`, {
      bearer: instanceToken,
      headers: { 'X-Gitlab-Global-User-Id': 'global-user-1', 'X-Gitlab-Instance-Id': instanceId },
    });
    expect(userToken.status).toBe(200);
    const gatewayToken = rememberSecret(userToken.body.token);
    expect(decodeJwt(gatewayToken)).toMatchObject({ iss: 'gitlab-ai-gateway', sub: 'global-user-1' });
    const completion = await request('POST', `${gateway}/v2/completions`, {
      bearer: gatewayToken,
      body: COMPLETION,
    });
    expect(completion.status).toBe(200);

    const workflow = await runWorkflowClient({
      server: workflowAddress,
      instanceToken,
      goal: 'Fix the flaky test',
      workflowDefinition: 'chat',
      userId: 'global-user-1',
      instanceId,
      realm: 'self-managed',
    });
    expect(workflow.userTokenExpiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(workflow.summary).toMatch(/^Completed \d+ steps\.$/);
  });
});
