import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createInstanceContext } from '../../src/runtime/create-instance-context.ts';
import type { InstanceContext } from '../../src/runtime/instance-context.ts';
import type { AuditEvent, Project } from '../../src/store/schema.ts';
import { duoWorkflowIdentity } from '../../src/workflows/duo-identity.ts';
import { globalUserIdOf } from '../../src/workflows/instance-credentials.ts';
import { cloudConnectorState } from '../../src/cloud/instance/instance-identity.ts';
import { eventually, git } from '../ci/ci-world.ts';
import { request } from '../cloud/support/http.ts';
import {
  baseEnv,
  removeDir,
  startRole,
  tempDataDir,
  type RoleProcess,
} from '../cloud/support/role-process.ts';
import { freePort } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { executeWith, README } from './workflow-world.ts';

/*
 * Acceptance 1 and 4 of the remote workflow, every part its own process over real sockets: the license
 * authority, the instance (activated, a seat assigned), the workflow service, and `tessera runner run`,
 * whose job runs `tessera executor run` through a shim on the runner's PATH. The shim also keeps what
 * the job received (its tokens, the executor's stderr and exit code) for the test to check — the
 * runner masks them in the job log.
 */

const MAIN = resolve(import.meta.dirname, '../..');
const url = (port: number) => `http://127.0.0.1:${port}`;
const adminToken = rememberSecret(`tslaa-${randomBytes(24).toString('base64url')}`);
const CREDENTIAL_EVENT = /token|grant|oauth_application|signing_key|service_account|password/;

describe('a remote workflow, end to end', () => {
  const dirs: string[] = [];
  const processes: RoleProcess[] = [];
  let runner: ChildProcess | undefined;
  let context: InstanceContext;
  let instance = '';
  let serviceAddress = '';
  let capture = '';
  let project: Project;
  let alice: { id: number; pat: string };
  let adminPat = '';
  let serviceAccountId = 0;

  const api = (
    method: string,
    path: string,
    options: { token?: string; bearer?: string; body?: unknown } = {},
  ) => request(method, `${instance}/api/v4${path}`, options);
  const workflow = (id: number) => api('GET', `/ai/duo_workflows/workflows/${id}`, { token: alice.pat });
  const captured = (id: number, file: string) => {
    const path = join(capture, String(id), file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const auditAfter = (id: number): Promise<AuditEvent[]> =>
    context.db.selectFrom('audit_events').selectAll().where('id', '>', id).orderBy('id').execute();
  const lastAuditId = async () =>
    (await context.db.selectFrom('audit_events').select('id').orderBy('id', 'desc').executeTakeFirst())?.id ??
    0;
  /** The project's git URL with basic credentials (passed on the command line only, never stored). */
  const remote = (target: Project, username: string, secret: string) => {
    const address = new URL(`${instance}/${target.full_path}.git`);
    address.username = username;
    address.password = secret;
    return address.toString();
  };
  const headersFor = async () => {
    const state = await cloudConnectorState(context.db, context.clock);
    return {
      instanceId: state.instance_uuid,
      realm: 'self-managed',
      globalUserId: globalUserIdOf(context, state.instance_uuid, alice.id),
    };
  };

  beforeAll(async () => {
    const dataDir = (name: string) => {
      const dir = tempDataDir(name);
      dirs.push(dir);
      return dir;
    };
    const [authorityPort, instancePort, servicePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    const authority = url(authorityPort);
    instance = url(instancePort);
    serviceAddress = `127.0.0.1:${servicePort}`;
    const instanceEnv = {
      ...baseEnv(dataDir('wf-instance')),
      TESSERA_PORT: String(instancePort),
      TESSERA_LICENSE_AUTHORITY_URL: authority,
      TESSERA_WORKFLOW_SERVICE_URL: `http://${serviceAddress}`,
      TESSERA_CLOUD_CONNECTOR_RETRY_BASE: '1',
      TESSERA_CI_RUNNER_LONG_POLL: '2',
      TESSERA_CI_WATCHDOG_INTERVAL: '1',
      TESSERA_AUTH_FAILURE_LIMIT: '1000',
    };
    processes.push(
      ...(await Promise.all([
        startRole(
          'license-authority',
          {
            ...baseEnv(dataDir('wf-authority')),
            TESSERA_LICENSE_AUTHORITY_PORT: String(authorityPort),
            TESSERA_LICENSE_AUTHORITY_URL: authority,
            TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: adminToken,
          },
          'wf-e2e-license-authority',
        ),
        startRole('instance', instanceEnv, 'wf-e2e-instance'),
        startRole(
          'workflow-service',
          {
            ...baseEnv(dataDir('wf-service')),
            TESSERA_AI_TRUSTED_ISSUERS: authority,
            TESSERA_WORKFLOW_SERVICE_PORT: String(servicePort),
          },
          'wf-e2e-workflow-service',
        ),
      ])),
    );

    // The operator works in the instance's store, as `tessera users create` would.
    context = await createInstanceContext(loadSettings(instanceEnv), {
      logger: createLogger({
        level: 'info',
        destination: pino.destination({ dest: join(testLogDir(), 'wf-e2e-operator.log'), sync: true }),
      }),
    });
    const deps = depsOf({ context } as Parameters<typeof depsOf>[0]);
    const admin = await world.createUser(context.db, { is_admin: 1 });
    adminPat = (await givePat(deps, admin, ['api'])).plaintext;
    const person = await world.createUser(context.db);
    alice = { id: person.id, pat: (await givePat(deps, person, ['api'])).plaintext };
    const group = await world.createGroup(context.db, { path: `wf-${randomBytes(3).toString('hex')}` });
    project = await world.createProject(context.db, group, { path: 'demo' });
    const { serviceAccount } = await duoWorkflowIdentity(context);
    serviceAccountId = serviceAccount.id;
    await world.addMember(context.db, project, admin, ACCESS_LEVELS.maintainer);
    await world.addMember(context.db, project, person, ACCESS_LEVELS.developer);
    await world.addMember(context.db, project, serviceAccount, ACCESS_LEVELS.developer);

    const license = await request('POST', `${authority}/api/v1/admin/licenses`, {
      bearer: adminToken,
      body: { licensee: 'ACME', plan: 'ultimate', add_ons: [{ name: 'duo_enterprise', seats: 2 }] },
    });
    const activated = await api('POST', '/admin/cloud_connector/activate', {
      token: adminPat,
      body: { activation_code: rememberSecret(license.body.activation_code) },
    });
    expect(activated.status).toBe(201);
    expect(
      (await api('POST', `/admin/add_ons/duo_enterprise/seats/${alice.id}`, { token: adminPat })).status,
    ).toBe(201);

    // The project's README, pushed with real git.
    const work = mkdtempSync(join(tmpdir(), 'tessera-wf-readme-'));
    dirs.push(work);
    writeFileSync(join(work, 'README.md'), README);
    for (const args of [
      ['init', '--quiet', '--initial-branch=main'],
      ['add', 'README.md'],
      ['commit', '--quiet', '-m', 'Add README'],
      ['push', '--quiet', remote(project, 'root', adminPat), 'HEAD:refs/heads/main'],
    ]) {
      const result = await git(args, work);
      expect(result.code, result.stderr).toBe(0);
    }

    // The `tessera` command on the runner's PATH: /work/main's CLI, keeping what the job received.
    capture = mkdtempSync(join(tmpdir(), 'tessera-wf-capture-'));
    dirs.push(capture);
    const shim = join(capture, 'tessera');
    writeFileSync(
      shim,
      [
        '#!/bin/bash',
        `out="${capture}/$DUO_WORKFLOW_WORKFLOW_ID"`,
        'mkdir -p "$out"',
        `printf '%s' "$GITLAB_OAUTH_TOKEN" > "$out/oauth"`,
        `printf '%s' "$DUO_WORKFLOW_SERVICE_TOKEN" > "$out/service"`,
        `printf '%s' "$CI_JOB_TOKEN" > "$out/job"`,
        `"${process.execPath}" "${MAIN}/bin/tessera.mjs" "$@" 2> >(tee "$out/stderr" >&2)`,
        'code=$?',
        'echo "$code" > "$out/exit"',
        'exit "$code"',
        '',
      ].join('\n'),
    );
    chmodSync(shim, 0o755);
    // And a `git` in front of the real one that, once a test asks for it, takes its time: the executor
    // runs git for nearly every action, so the workflow is reliably still at work when it is canceled.
    const slowGit = join(capture, 'git');
    writeFileSync(
      slowGit,
      `#!/bin/bash\nif [ -f "${capture}/delay" ]; then sleep "$(cat "${capture}/delay")"; fi\nexec ${realGit()} "$@"\n`,
    );
    chmodSync(slowGit, 0o755);

    const registered = await api('POST', '/user/runners', {
      token: adminPat,
      body: { runner_type: 'instance_type' },
    });
    expect(registered.status).toBe(201);
    const log = openSync(join(testLogDir(), `wf-e2e-runner-${Date.now()}.log`), 'a');
    runner = spawn(process.execPath, ['bin/tessera.mjs', 'runner', 'run', '--url', instance], {
      cwd: MAIN,
      env: {
        PATH: `${capture}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: capture,
        TESSERA_RUNNER_TOKEN: rememberSecret(registered.body.token),
      },
      stdio: ['ignore', log, log],
    });
  }, 180_000);

  afterAll(async () => {
    if (runner && runner.exitCode === null && runner.signalCode === null) {
      const exited = new Promise((done) => runner!.once('exit', done));
      runner.kill('SIGTERM');
      await exited;
    }
    await context?.db.destroy();
    await Promise.all(processes.map((p) => p.stop()));
    dirs.forEach(removeDir);
  });

  it('acceptance 1: every credential exists before the job starts, the commit lands, and everything dies with the workflow', async () => {
    const since = await lastAuditId();
    const started = await api('POST', '/ai/duo_workflows/workflows', {
      token: alice.pat,
      body: { project_id: project.id, goal: 'Document the README', definition: 'software_development' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id: number = started.body.id;

    const done = await eventually(
      async () => {
        const shown = await workflow(id);
        return ['finished', 'failed', 'canceled', 'timed_out'].includes(shown.body.status)
          ? shown.body
          : undefined;
      },
      120_000,
      'the workflow to end',
    );
    expect(done, captured(id, 'stderr')).toMatchObject({
      status: 'finished',
      end_reason: 'finished by the executor',
    });
    expect(done.steps.length).toBeGreaterThan(0);
    expect(done.steps.every((step: { status: string }) => step.status === 'done')).toBe(true);
    expect(done.notes).toEqual([expect.objectContaining({ author_id: serviceAccountId })]);
    expect(await eventually(async () => captured(id, 'exit')?.trim(), 30_000, 'the executor to exit')).toBe(
      '0',
    );
    const tokens = {
      oauth: rememberSecret(captured(id, 'oauth')!),
      service: rememberSecret(captured(id, 'service')!),
      job: rememberSecret(captured(id, 'job')!),
    };
    const job = await eventually(
      async () => {
        const row = await context.db
          .selectFrom('ci_jobs')
          .selectAll()
          .where('id', '=', started.body.job_id)
          .executeTakeFirst();
        return row && ['success', 'failed', 'canceled'].includes(row.status) ? row : undefined;
      },
      60_000,
      'the job to end',
    );
    expect(job.status).toBe('success');
    for (const secret of Object.values(tokens)) expect(job.trace).not.toContain(secret);

    // The audit log: both tokens and the pipeline before the job started (its job token minted).
    const events = await auditAfter(since);
    const index = (action: string, match: (details: Record<string, unknown>) => boolean = () => true) =>
      events.findIndex((e) => e.action === action && match(JSON.parse(e.details)));
    const oauth = index('oauth_access_token.created', (d) => d.workflow_id === String(id));
    const service = index('workflow_service_token.issued', (d) => d.workflow_id === id);
    const pipeline = index('ci_pipeline.created', (d) => d.workflow_id === id);
    const jobStarted = events.findIndex(
      (e) => e.action === 'ci_job_token.created' && e.entity_id === String(job.id),
    );
    expect([oauth, service, pipeline].every((i) => i >= 0)).toBe(true);
    expect(jobStarted).toBeGreaterThan(Math.max(oauth, service, pipeline));
    for (const i of [oauth, service, pipeline]) {
      expect(events[i]!.created_at <= events[jobStarted]!.created_at).toBe(true);
    }
    // The executor created no credential: no credential event is authored by its tokens' identity,
    // and none was created after the job started.
    const credentialEvents = events.filter((e) => CREDENTIAL_EVENT.test(e.action));
    expect(credentialEvents.filter((e) => e.author_id === serviceAccountId)).toEqual([]);
    expect(
      credentialEvents
        .slice(credentialEvents.indexOf(events[jobStarted]!) + 1)
        .filter((e) => /\.(created|issued|rotated|refreshed)$/.test(e.action)),
    ).toEqual([]);
    expect(JSON.stringify(events)).not.toContain(tokens.oauth);

    // The commit is on a new branch, pushed with the composite token.
    const branch = `duo-workflow/${id}`;
    const refs = await git(['ls-remote', remote(project, 'alice', alice.pat)]);
    expect(refs.stdout).toMatch(new RegExp(`\\trefs/heads/${branch}\\n`));
    const fetched = mkdtempSync(join(tmpdir(), 'tessera-wf-fetch-'));
    dirs.push(fetched);
    expect(
      (await git(['clone', '--quiet', '--branch', branch, remote(project, 'alice', alice.pat), '.'], fetched))
        .code,
    ).toBe(0);
    const log = await git(['log', '-1', '--format=%an%n%s'], fetched);
    expect(log.stdout).toMatch(new RegExp(`^Duo Workflow\\nDuo workflow ${id}: `));

    // Every token of the workflow is now refused: API, git, job token, workflow service.
    expect((await api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: tokens.oauth })).status).toBe(
      401,
    );
    const gitAnswer = await fetch(`${instance}/${project.full_path}.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`oauth:${tokens.oauth}`).toString('base64')}` },
    });
    expect(gitAnswer.status).toBe(401);
    expect((await git(['ls-remote', remote(project, 'oauth', tokens.oauth)])).code).not.toBe(0);
    const jobAnswer = await fetch(`${instance}/api/v4/job`, { headers: { 'job-token': tokens.job } });
    expect(jobAnswer.status).toBe(401);
    const start = {
      workflowId: String(id),
      goal: 'Document the README',
      workflowDefinition: 'software_development',
    };
    expect(await executeWith(serviceAddress, tokens.service, await headersFor(), start)).toBe(16); // UNAUTHENTICATED
  }, 200_000);

  it('acceptance 4: canceling a running workflow revokes its tokens while its job runs; the job fails cleanly', async () => {
    writeFileSync(join(capture, 'delay'), '1.5');
    const since = await lastAuditId();
    const started = await api('POST', '/ai/duo_workflows/workflows', {
      token: alice.pat,
      body: { project_id: project.id, goal: 'Explain the README slowly', definition: 'software_development' },
    });
    expect(started.status).toBe(201);
    const id: number = started.body.id;
    await eventually(
      async () => {
        const shown = await workflow(id);
        return shown.body.status === 'running' && shown.body.steps.length > 0 ? true : undefined;
      },
      90_000,
      'the executor to be at work',
    );
    const jobBefore = await context.db
      .selectFrom('ci_jobs')
      .select('status')
      .where('id', '=', started.body.job_id)
      .executeTakeFirstOrThrow();
    expect(jobBefore.status).toBe('running');

    const canceled = await api('PATCH', `/ai/duo_workflows/workflows/${id}`, {
      token: alice.pat,
      body: { status_event: 'cancel' },
    });
    expect(canceled).toMatchObject({ status: 200, body: { status: 'canceled' } });
    const tokens = {
      oauth: rememberSecret(captured(id, 'oauth')!),
      service: rememberSecret(captured(id, 'service')!),
    };
    expect((await api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: tokens.oauth })).status).toBe(
      401,
    );

    // Revoked first, the job canceled after: the tokens died while it ran.
    const events = await auditAfter(since);
    const at = (action: string) => events.findIndex((e) => e.action === action);
    expect(at('oauth_grant.revoked')).toBeGreaterThan(-1);
    expect(at('workflow_service_token.revoked')).toBeGreaterThan(at('oauth_grant.revoked'));
    const jobEnded = events.findIndex(
      (e) => e.action === 'ci_job_token.expired' && e.entity_id === String(started.body.job_id),
    );
    expect(jobEnded).toBeGreaterThan(at('workflow_service_token.revoked'));

    const job = await eventually(
      async () => {
        const row = await context.db
          .selectFrom('ci_jobs')
          .selectAll()
          .where('id', '=', started.body.job_id)
          .executeTakeFirst();
        return row && row.status !== 'running' ? row : undefined;
      },
      30_000,
      'the job to end',
    );
    expect(['canceled', 'failed']).toContain(job.status);
    // The executor noticed (its stream cut, its API calls refused) and stopped with one clear line.
    const exit = await eventually(async () => captured(id, 'exit')?.trim(), 30_000, 'the executor to exit');
    expect(exit).toBe('1');
    const stderr = captured(id, 'stderr') ?? '';
    expect(stderr).toMatch(new RegExp(`workflow ${id} failed: `));
    expect(stderr).not.toContain(tokens.oauth);
    expect(stderr).not.toContain(tokens.service);
    expect((await workflow(id)).body.status).toBe('canceled');
  }, 200_000);
});

/** The git the tests' slow wrapper hands over to. */
function realGit(): string {
  const found = ['/usr/bin/git', '/usr/local/bin/git', '/bin/git'].find((path) => existsSync(path));
  if (!found) throw new Error('git not found');
  return found;
}
