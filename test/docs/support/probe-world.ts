import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SEALED } from '../../../src/cloud/instance/cloud-connector-deps.ts';
import { cloudConnectorState } from '../../../src/cloud/instance/instance-identity.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { seedCloudDemo } from '../../../src/runtime/seed-cloud-demo.ts';
import { seedDemo } from '../../../src/runtime/seed-demo.ts';
import { startWorkflowServiceRole } from '../../../src/runtime/start-workflow-service.ts';
import type { RunningWorkflowService } from '../../../src/services/workflow-service/start-workflow-service.ts';
import { createWorkflowClient } from '../../../src/services/workflow-service/workflow-client.ts';
import { findProjectByFullPath } from '../../../src/store/projects.repository.ts';
import type { Project, User } from '../../../src/store/schema.ts';
import { findUserById, findUserByUsername } from '../../../src/store/users.repository.ts';
import { issueCompositeToken } from '../../../src/tokens/oauth/composite-token.ts';
import { pushFiles } from '../../ci/ci-world.ts';
import {
  startTestAuthority,
  startTestGateway,
  storedInstanceToken,
  type TestAuthority,
} from '../../cloud/support/cloud-world.ts';
import { serviceLogger } from '../../services/support/test-issuer.ts';
import { workflowServiceStore } from '../../services/support/workflow-service-store.ts';
import { freePort, startTestInstance, type TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { depsOf, givePat } from '../../tokens/token-fixtures.ts';
import type { RunningAiGateway } from '../../../src/runtime/start-ai-gateway.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every scope a PAT may carry, so that a probe never fails for want of one (that would be a 403). */
const ALL_SCOPES = [
  'api',
  'read_api',
  'read_user',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'ai_features',
  'self_rotate',
];
const CALLBACK = 'http://127.0.0.1:9/callback';

/**
 * Every Tessera role running in this process — instance, license authority, AI gateway, workflow
 * service — with the npm start demo seeded (root, `demo/hello`, a licensed and synced instance), a
 * runner with a running job, a deploy token, OAuth applications and a composite-identity service
 * account: a live credential of every vocabulary kind.
 */
export interface LiveWorld {
  instance: TestInstance;
  authority: TestAuthority;
  gateway: RunningAiGateway;
  workflow: RunningWorkflowService;
  root: User;
  rootPassword: string;
  project: Project;
  /** The Fastify app of an HTTP role. */
  apps: Record<'instance' | 'license-authority' | 'ai-gateway', { app: FastifyInstance; url: string }>;
  stop(): Promise<void>;
}

export async function startLiveWorld(): Promise<LiveWorld> {
  const authority = await startTestAuthority();
  const [gatewayPort, workflowPort] = [await freePort(), await freePort()];
  const rootPassword = rememberSecret(randomBytes(12).toString('base64url'));
  const instance = await startTestInstance({
    name: 'flow-docs',
    env: {
      TESSERA_LICENSE_AUTHORITY_URL: authority.url,
      TESSERA_AI_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      TESSERA_ROOT_PASSWORD: rootPassword,
      TESSERA_ROOT_TOKEN: rememberSecret(`glpat-${randomBytes(20).toString('base64url')}`),
      TESSERA_AUTH_FAILURE_LIMIT: '100000',
      TESSERA_REGISTRY_PASSWORD_AUTH: 'true',
      TESSERA_CI_RUNNER_LONG_POLL: '1',
    },
  });
  await seedDemo(instance.context);
  await seedCloudDemo(instance.context, authority.running.deps);
  const issuers = [instance.url, authority.url];
  const gateway = await startTestGateway(issuers, gatewayPort);
  const workflowStore = await workflowServiceStore();
  const workflow = await startWorkflowServiceRole(
    loadSettings({ ...workflowStore.env, TESSERA_WORKFLOW_SERVICE_PORT: String(workflowPort) }),
    { logger: serviceLogger('flow-docs-workflow-service'), issuers: issuers.map((issuer) => ({ issuer })) },
  );
  const root = (await findUserByUsername(instance.context.db, 'root'))!;
  const project = (await findProjectByFullPath(instance.context.db, 'demo/hello'))!;
  return {
    instance,
    authority,
    gateway,
    workflow,
    root,
    rootPassword,
    project,
    apps: {
      instance: { app: instance.app, url: instance.url },
      'license-authority': { app: authority.running.app, url: authority.url },
      'ai-gateway': { app: gateway.app, url: gateway.url },
    },
    async stop() {
      await workflow.close();
      await workflowStore.drop();
      await gateway.close();
      await instance.stop();
      await authority.stop();
    },
  };
}

/** A fetch against the world, JSON in and out. */
export async function send(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    json?: unknown;
    form?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: Json = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a page, a git advertisement): keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** `true` / `dead`: a credential of its own for one probe (that may change it / will kill it). */
export type Freshness = boolean | 'dead';

/** Minting every live credential of the world, each remembered for the leak check. */
export class CredentialMint {
  private cache = new Map<string, Promise<Json>>();

  constructor(private readonly world: LiveWorld) {}

  /**
   * The value under `key`, minted once and shared (GET probes), or minted for one probe only (a probe
   * that may change or kill it — rotate, revoke, finish — must not spoil the shared one).
   */
  get<T>(key: string, mint: () => Promise<T>, fresh: Freshness = false): Promise<T> {
    if (fresh) return mint();
    if (!this.cache.has(key)) this.cache.set(key, mint());
    return this.cache.get(key)!;
  }

  /** The instance's URL. */
  get baseUrl(): string {
    return this.world.instance.url;
  }

  pat(fresh: Freshness = false): Promise<{ id: number; plaintext: string }> {
    return this.get('pat', () => givePat(depsOf(this.world.instance), this.world.root, ALL_SCOPES), fresh);
  }

  async adminPat(): Promise<string> {
    return (await this.pat()).plaintext;
  }

  session(fresh: Freshness = false): Promise<{ cookie: string; csrfToken: string }> {
    return this.get(
      'session',
      async () => {
        const signedIn = await send(`${this.baseUrl}/users/sign_in`, {
          method: 'POST',
          json: { login: 'root', password: this.world.rootPassword },
        });
        const pair = signedIn.headers
          .getSetCookie()
          .find((c) => c.startsWith('_tessera_session='))!
          .split(';')[0]!;
        rememberSecret(pair.slice('_tessera_session='.length));
        return { cookie: pair, csrfToken: rememberSecret(signedIn.body.csrf_token) };
      },
      fresh,
    );
  }

  /** A confidential, trusted application allowed the dynamic `user:*` scope; and a public one. */
  application(
    kind: 'confidential' | 'public' = 'confidential',
  ): Promise<{ id: number; clientId: string; secret: string }> {
    return this.get(`application-${kind}`, async () => {
      const created = await send(`${this.baseUrl}/api/v4/applications`, {
        method: 'POST',
        headers: { 'private-token': await this.adminPat() },
        json: {
          name: `flow docs ${kind}`,
          redirect_uri: CALLBACK,
          scopes: 'api read_user openid profile email ai_workflows',
          trusted: true,
          confidential: kind === 'confidential',
          dynamic_user_scope: true,
        },
      });
      if (created.status !== 201)
        throw new Error(`application: ${created.status} ${JSON.stringify(created.body)}`);
      return {
        id: created.body.id,
        clientId: created.body.application_id,
        secret: created.body.secret ? rememberSecret(created.body.secret) : '',
      };
    });
  }

  /** An OAuth access token for root, through the real authorization code + PKCE exchange. */
  oauth(fresh: Freshness = false): Promise<string> {
    return this.get(
      'oauth',
      async () => {
        const app = await this.application();
        const session = await this.session();
        const verifier = randomBytes(32).toString('base64url');
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const authorize = new URL(`${this.baseUrl}/oauth/authorize`);
        for (const [key, value] of Object.entries({
          client_id: app.clientId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'api read_user',
          state: 'probe',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }))
          authorize.searchParams.set(key, value);
        const redirect = await send(authorize.toString(), { headers: { cookie: session.cookie } });
        const code = new URL(redirect.headers.get('location')!).searchParams.get('code');
        if (!code) throw new Error(`no authorization code: ${redirect.status}`);
        const token = await send(`${this.baseUrl}/oauth/token`, {
          method: 'POST',
          headers: { authorization: basic(app.clientId, app.secret) },
          form: { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
        });
        if (token.status !== 200)
          throw new Error(`oauth token: ${token.status} ${JSON.stringify(token.body)}`);
        rememberSecret(token.body.refresh_token);
        return rememberSecret(token.body.access_token as string);
      },
      fresh,
    );
  }

  /** A composite-identity token: a service account (developer of demo/hello) acting for root. */
  composite(fresh: Freshness = false): Promise<string> {
    return this.get(
      'composite',
      async () => {
        const account = await this.serviceAccount();
        const issued = await issueCompositeToken(this.world.instance.context, {
          serviceAccount: account,
          user: this.world.root,
          scopes: ['api', `user:${this.world.root.id}`],
          expiresInSeconds: 3600,
          applicationId: (await this.application()).id,
        });
        return rememberSecret(issued.accessToken);
      },
      fresh,
    );
  }

  private serviceAccount(): Promise<User> {
    return this.get('service-account', async () => {
      const headers = { 'private-token': await this.adminPat() };
      const created = await send(`${this.baseUrl}/api/v4/service_accounts`, {
        method: 'POST',
        headers,
        json: { name: 'Flow docs workflow', username: 'flow-docs-sa', composite_identity_enforced: true },
      });
      await send(`${this.baseUrl}/api/v4/projects/${this.world.project.id}/members`, {
        method: 'POST',
        headers,
        json: { user_id: created.body.id, access_level: 40 },
      });
      return (await findUserById(this.world.instance.context.db, created.body.id))!;
    });
  }

  runner(fresh: Freshness = false): Promise<string> {
    return this.get(
      'runner',
      async () => {
        const created = await send(`${this.baseUrl}/api/v4/user/runners`, {
          method: 'POST',
          headers: { 'private-token': await this.adminPat() },
          json: { runner_type: 'instance_type', description: 'flow docs' },
        });
        return rememberSecret(created.body.token as string);
      },
      fresh,
    );
  }

  /** A running job of demo/hello (its pipeline made through the API), taken by the world's runner. */
  job(fresh: Freshness = false): Promise<{ id: number; token: string }> {
    return this.get(
      'job',
      async () => {
        await this.ciConfig();
        const pat = await this.adminPat();
        const pipeline = await send(`${this.baseUrl}/api/v4/projects/${this.world.project.id}/pipeline`, {
          method: 'POST',
          headers: { 'private-token': pat },
          json: { ref: 'main' },
        });
        if (pipeline.status !== 201)
          throw new Error(`pipeline: ${pipeline.status} ${JSON.stringify(pipeline.body)}`);
        const taken = await send(`${this.baseUrl}/api/v4/jobs/request`, {
          method: 'POST',
          json: { token: await this.runner() },
        });
        if (taken.status !== 201) throw new Error(`no job for the runner: ${taken.status}`);
        return { id: taken.body.id as number, token: rememberSecret(taken.body.token as string) };
      },
      fresh,
    );
  }

  private ciConfig(): Promise<void> {
    return this.get('ci-config', async () => {
      const user = this.world.root;
      await pushFiles(
        this.world.instance,
        this.world.project,
        { user, pat: await this.adminPat() },
        { '.gitlab-ci.yml': 'probe:\n  timeout: 1h\n  script: [echo probe]\n' },
      );
    });
  }

  deployToken(fresh: Freshness = false): Promise<{ id: number; username: string; token: string }> {
    return this.get(
      'deploy-token',
      async () => {
        const created = await send(`${this.baseUrl}/api/v4/projects/${this.world.project.id}/deploy_tokens`, {
          method: 'POST',
          headers: { 'private-token': await this.adminPat() },
          json: { name: 'flow docs', scopes: ['read_repository', 'read_registry', 'write_registry'] },
        });
        if (created.status !== 201) throw new Error(`deploy token: ${created.status}`);
        return {
          id: created.body.id,
          username: created.body.username,
          token: rememberSecret(created.body.token),
        };
      },
      fresh,
    );
  }

  activationCode(): Promise<string> {
    return this.world.authority.createLicense([{ name: 'duo_pro', seats: 1 }]).then(({ code }) => code);
  }

  licenseKey(): Promise<string> {
    return this.get('license-key', async () => {
      const { context } = this.world.instance;
      const state = await cloudConnectorState(context.db, context.clock);
      return rememberSecret(context.secrets.box.open(state.license_key_encrypted!, SEALED.licenseKey));
    });
  }

  instanceToken(): Promise<string> {
    return this.get('instance-token', () => storedInstanceToken(this.world.instance));
  }

  userAiToken(): Promise<string> {
    return this.get('user-ai-token', async () => {
      const access = await send(`${this.baseUrl}/api/v4/code_suggestions/direct_access`, {
        method: 'POST',
        headers: { 'private-token': await this.adminPat() },
      });
      if (access.status !== 201)
        throw new Error(`direct_access: ${access.status} ${JSON.stringify(access.body)}`);
      return rememberSecret(access.body.token as string);
    });
  }

  gatewayUserToken(): Promise<string> {
    return this.get('gateway-user-token', async () => {
      const answer = await send(`${this.world.gateway.url}/v1/code/user_access_token`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.instanceToken()}`,
          'x-gitlab-global-user-id': 'flow-docs',
        },
      });
      if (answer.status !== 200) throw new Error(`user_access_token: ${answer.status}`);
      return rememberSecret(answer.body.token as string);
    });
  }

  workflowToken(): Promise<string> {
    return this.get('workflow-token', async () => {
      const client = createWorkflowClient(this.world.workflow.address);
      try {
        const { token } = await client.generateToken(await this.instanceToken(), {
          globalUserId: 'flow-docs',
        });
        return rememberSecret(token);
      } finally {
        client.close();
      }
    });
  }
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
