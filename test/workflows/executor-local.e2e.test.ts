import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { createWorkflowClient } from '../../src/services/workflow-service/workflow-client.ts';
import {
  startWorkflowService,
  type RunningWorkflowService,
} from '../../src/services/workflow-service/start-workflow-service.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { createApplication } from '../../src/tokens/oauth/application.service.ts';
import { oauthDeps } from '../../src/tokens/oauth/oauth-deps.ts';
import { call, cloneUrl, git, personWithPat, projectOf, pushFiles, type CiActor } from '../ci/ci-world.ts';
import { startCloudInstance, startTestAuthority, type TestAuthority } from '../cloud/support/cloud-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { serviceLogger } from '../services/support/test-issuer.ts';
import { freePort, type TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';

/*
 * Local execution, end to end: a person signs in from the CLI with the device grant, starts a local
 * workflow, gets a workflow-service token through direct_access, and runs `tessera executor run
 * --local` in their own clone. The branch lands through real git, the workflow finishes, and its
 * workflow-service token dies with it.
 */

const GOAL = 'document the widget rendering pipeline';

/** `tessera oauth device-login` approved by the person on the device page; answers the access token. */
async function deviceLogin(
  instance: TestInstance,
  session: BrowserSession,
  clientId: string,
): Promise<string> {
  const cli = spawn(
    process.execPath,
    [
      'bin/tessera.mjs',
      'oauth',
      'device-login',
      '--url',
      instance.url,
      '--client-id',
      clientId,
      '--scope',
      'ai_workflows',
      '--json',
    ],
    { env: { PATH: process.env.PATH, HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
  const userCode = await new Promise<string>((resolve, reject) => {
    cli.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /enter the code: ([B-Z]{4}-[B-Z]{4})/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    cli.on('exit', () => reject(new Error(`device-login exited early: ${stderr}`)));
  });
  const page = await fetch(`${instance.url}/oauth/device?user_code=${userCode}`, {
    headers: { cookie: session.cookie },
  });
  const csrf = /name="authenticity_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const approved = await fetch(`${instance.url}/oauth/device`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      user_code: userCode,
      decision: 'approve',
      authenticity_token: csrf,
    }).toString(),
  });
  expect(approved.status).toBe(200);
  expect(await exited).toBe(0);
  const tokens = JSON.parse(stdout) as { access_token: string; refresh_token?: string; scope: string };
  if (tokens.refresh_token) rememberSecret(tokens.refresh_token);
  expect(tokens.scope).toBe('ai_workflows');
  return rememberSecret(tokens.access_token);
}

/** `tessera executor run --local` in `cwd` with exactly `env`; output into the run's log directory. */
async function runExecutorLocal(
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const logFile = join(testLogDir(), `executor-local-${Date.now()}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [join(process.cwd(), 'bin/tessera.mjs'), 'executor', 'run', '--local'],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
      stdio: ['ignore', log, 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stderr };
}

describe('tessera executor run --local (an IDE acting for its user)', () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let service: RunningWorkflowService;
  let alice: { user: User; session: BrowserSession; pushing: CiActor };
  let project: Project;
  let workTree: string;
  let clone: string;
  /** alice's OAuth token from the device grant (the first test signs in). */
  let oauthToken: string;

  beforeAll(async () => {
    authority = await startTestAuthority();
    const servicePort = await freePort();
    instance = await startCloudInstance({
      authorityUrl: authority.url,
      name: 'executor-local',
      env: {
        TESSERA_WORKFLOW_SERVICE_URL: `http://127.0.0.1:${servicePort}`,
        TESSERA_OAUTH_DEVICE_POLL_INTERVAL: '1',
      },
    });
    service = await startWorkflowService({
      port: servicePort,
      issuers: [{ issuer: authority.url }],
      logger: serviceLogger('executor-local-workflow-service'),
    });
    const admin = await personWithPat(instance, { is_admin: 1 });
    const { code } = await authority.createLicense([{ name: 'duo_enterprise', seats: 1 }]);
    const activated = await call(instance, 'POST', '/api/v4/admin/cloud_connector/activate', {
      token: admin.pat,
      body: { activation_code: code },
    });
    expect(activated.status).toBe(201);
    const person = await createUserWithPassword(instance.context.db, { username: 'alice' });
    const seat = await call(
      instance,
      'POST',
      `/api/v4/admin/add_ons/duo_enterprise/seats/${person.user.id}`,
      {
        token: admin.pat,
      },
    );
    expect(seat.status).toBe(201);
    const pat = (await givePat(depsOf(instance), person.user, ['api', 'write_repository'])).plaintext;
    alice = {
      user: person.user,
      session: await signInOverHttp(instance.url, 'alice', person.password),
      pushing: { user: person.user, pat: rememberSecret(pat) },
    };
    project = await projectOf(instance, alice.user, { path: 'widgets' });
    workTree = (
      await pushFiles(instance, project, alice.pushing, {
        'README.md': '# Widgets\n\nRenders widgets through a small rendering pipeline.\n',
        'src/render.ts': 'export const render = () => "widget";\n',
      })
    ).workTree;
    // The person's own clone, as an IDE has it: its remote URL carries no credential.
    clone = join(mkdtempSync(join(tmpdir(), 'tessera-ide-')), 'widgets');
    const url = cloneUrl(instance, project, 'alice', alice.pushing.pat);
    expect((await git(['clone', '--quiet', url, clone])).code).toBe(0);
    await git(['remote', 'set-url', 'origin', `${instance.url}/${project.full_path}.git`], clone);
  });
  afterAll(async () => {
    for (const dir of [workTree, clone && join(clone, '..')])
      if (dir) rmSync(dir, { recursive: true, force: true });
    await service?.close();
    await instance?.stop();
    await authority?.stop();
  });

  /** A local workflow and its direct_access answer, as the IDE gets them, and the executor's variables. */
  async function startLocalWorkflow(oauthToken: string, definition: string) {
    const bearer = { authorization: `Bearer ${oauthToken}` };
    const created = await call(instance, 'POST', '/api/v4/ai/duo_workflows/workflows', {
      headers: bearer,
      body: { project_id: project.id, goal: GOAL, definition, environment: 'local' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'created', pipeline_id: null, job_id: null });
    const workflowId = String(created.body.id);
    const access = await call(instance, 'POST', '/api/v4/ai/duo_workflows/direct_access', {
      headers: bearer,
      body: { workflow_id: workflowId },
    });
    expect(access.status).toBe(201);
    const direct = access.body.duo_workflow_service;
    const env: Record<string, string> = {
      GITLAB_OAUTH_TOKEN: oauthToken,
      DUO_WORKFLOW_SERVICE_TOKEN: rememberSecret(direct.token),
      DUO_WORKFLOW_SERVICE_SERVER: direct.base_url,
      DUO_WORKFLOW_WORKFLOW_ID: workflowId,
      DUO_WORKFLOW_GOAL: GOAL,
      DUO_WORKFLOW_DEFINITION: definition,
      GITLAB_BASE_URL: instance.url,
      GITLAB_PROJECT_PATH: project.full_path,
      DUO_WORKFLOW_INSTANCE_ID: direct.headers['x-gitlab-instance-id'],
      DUO_WORKFLOW_SERVICE_REALM: direct.headers['x-gitlab-realm'],
      DUO_WORKFLOW_GLOBAL_USER_ID: direct.headers['x-gitlab-global-user-id'],
    };
    return { workflowId, direct, env, bearer };
  }

  it('signs in with the device grant, runs the workflow in the clone, pushes the branch and finishes', async () => {
    const { application } = await createApplication(oauthDeps(instance.context), SYSTEM_ACTOR, {
      name: 'Widgets IDE',
      redirectUris: ['http://127.0.0.1:9/callback'],
      scopes: ['ai_workflows'],
      confidential: false,
      trusted: false,
      dynamicUserScope: false,
      ownerId: null,
    });
    oauthToken = await deviceLogin(instance, alice.session, application.uid);
    const bearer = { authorization: `Bearer ${oauthToken}` };

    const { workflowId, direct, env } = await startLocalWorkflow(oauthToken, 'software_development');
    const serviceToken = env.DUO_WORKFLOW_SERVICE_TOKEN!;
    const credentialEventsBefore = await credentialEvents(instance);

    const run = await runExecutorLocal(clone, env);
    expect(run).toEqual({ code: 0, stderr: '' });

    // The branch landed through real git, with the planner's file.
    const branch = `duo-workflow/${workflowId}`;
    const withPat = cloneUrl(instance, project, 'alice', alice.pushing.pat);
    const remote = await git(['ls-remote', withPat, branch], clone);
    expect(remote.stdout).toMatch(new RegExp(`^[0-9a-f]{40}\\trefs/heads/${branch}\\n$`));
    await git(['fetch', '--quiet', withPat, branch], clone);
    const notes = await git(['show', 'FETCH_HEAD:DUO_WORKFLOW_NOTES.md'], clone);
    expect(notes.stdout).toContain('Key term: rendering');
    // The person's checkout is as it was: same branch, clean tree.
    expect((await git(['rev-parse', '--abbrev-ref', 'HEAD'], clone)).stdout.trim()).toBe('main');
    expect((await git(['status', '--short'], clone)).stdout).toBe('');
    expect(readFileSync(join(clone, '.git/config'), 'utf8')).not.toContain(oauthToken);

    const shown = await call(instance, 'GET', `/api/v4/ai/duo_workflows/workflows/${workflowId}`, {
      headers: bearer,
    });
    expect(shown.body.status).toBe('finished');
    expect(shown.body.steps.map((step: { status: string }) => step.status)).toEqual(Array(6).fill('done'));
    expect(shown.body.steps[4].output).toBe(remote.stdout.slice(0, 40));
    expect(shown.body.notes).toEqual([
      expect.objectContaining({
        author_id: alice.user.id,
        body: expect.stringContaining(`branch ${branch}`),
      }),
    ]);

    // The executor created no credential of any kind.
    expect(await credentialEvents(instance)).toEqual(credentialEventsBefore);

    // The workflow ended, so its workflow-service token is refused (the person's own OAuth token is theirs).
    const client = createWorkflowClient(direct.base_url);
    try {
      const context = {
        instanceId: direct.headers['x-gitlab-instance-id'],
        realm: direct.headers['x-gitlab-realm'],
        globalUserId: direct.headers['x-gitlab-global-user-id'],
      };
      const start = { workflowId, goal: GOAL, workflowDefinition: 'software_development' };
      await expect(client.executeWorkflow(serviceToken, context, start)).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    } finally {
      client.close();
    }
  });

  it('fails cleanly once the person canceled the workflow: exit 1, one line, no token', async () => {
    const { workflowId, env, bearer } = await startLocalWorkflow(oauthToken, 'chat');
    const canceled = await call(instance, 'PATCH', `/api/v4/ai/duo_workflows/workflows/${workflowId}`, {
      headers: bearer,
      body: { status_event: 'cancel' },
    });
    expect(canceled.body.status).toBe('canceled');
    const run = await runExecutorLocal(clone, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^tessera: workflow ${workflowId} failed: .+\\n$`));
    expect(run.stderr).not.toContain(env.DUO_WORKFLOW_SERVICE_TOKEN);
    expect(run.stderr).not.toContain(oauthToken);
    // Its workflow-service token died with the workflow, even for a client that skips the instance.
    const client = createWorkflowClient(env.DUO_WORKFLOW_SERVICE_SERVER!);
    try {
      const start = { workflowId, goal: GOAL, workflowDefinition: 'chat' };
      const context = {
        instanceId: env.DUO_WORKFLOW_INSTANCE_ID,
        realm: env.DUO_WORKFLOW_SERVICE_REALM,
        globalUserId: env.DUO_WORKFLOW_GLOBAL_USER_ID,
      };
      await expect(
        client.executeWorkflow(env.DUO_WORKFLOW_SERVICE_TOKEN, context, start),
      ).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
        details: 'token revoked',
      });
    } finally {
      client.close();
    }
  });
});

/** Audit events that create or issue a credential, as `action` counts. */
async function credentialEvents(instance: TestInstance): Promise<Record<string, number>> {
  const rows = await instance.context.db.selectFrom('audit_events').select('action').execute();
  const counts: Record<string, number> = {};
  for (const { action } of rows) {
    if (/token|grant|key|secret|credential/.test(action) && /created|issued|rotated/.test(action)) {
      counts[action] = (counts[action] ?? 0) + 1;
    }
  }
  return counts;
}
