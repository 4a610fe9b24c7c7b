import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { findAiWorkflowById } from '../../src/store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../../src/store/ai-workflows.tables.ts';
import type { Db } from '../../src/store/database.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { duoWorkflowIdentity } from '../../src/workflows/duo-identity.ts';
import { workflowJobVariables } from '../../src/workflows/workflow-job-variables.ts';
import { retryServiceRevocations, timeOutOverdueWorkflows } from '../../src/workflows/workflow-sweeps.ts';
import { eventually, pushFiles, type CiActor } from '../ci/ci-world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import { executeWith, startWorkflowWorld, tokensOf, type WorkflowWorld } from './workflow-world.ts';

/*
 * The instance side of remote and local AI workflows over real sockets: a real license authority and
 * workflow service, an activated instance. The runner is not needed here (remote-workflow.e2e runs
 * the whole thing); the job's variables are read through the same function the runner's payload uses.
 */

const COUNTED = [
  'oauth_grants',
  'oauth_tokens',
  'ci_pipelines',
  'ci_jobs',
  'ai_workflows',
  'audit_events',
] as const;

async function counts(db: Db): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of COUNTED) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

describe('AI workflows on the instance', () => {
  const clock = new ManualClock();
  let w: WorkflowWorld;
  let alice: CiActor;
  const start = (actor: CiActor, body: Record<string, unknown>) =>
    w.api('POST', '/ai/duo_workflows/workflows', { token: actor.pat, body });
  const remote = (actor: CiActor, goal = 'Document the README') =>
    start(actor, { project_id: w.project.id, goal, definition: 'software_development' });
  const stored = async (id: number): Promise<AiWorkflow> =>
    (await findAiWorkflowById(w.instance.context.db, id))!;
  const jobTokens = async (id: number) =>
    tokensOf(await workflowJobVariables(w.instance.context, await stored(id), w.project));
  const headersFor = async (id: number) => {
    const variables = await workflowJobVariables(w.instance.context, await stored(id), w.project);
    const value = (key: string) => variables.find((v) => v.key === key)!.value;
    return {
      instanceId: value('DUO_WORKFLOW_INSTANCE_ID'),
      realm: value('DUO_WORKFLOW_SERVICE_REALM'),
      globalUserId: value('DUO_WORKFLOW_GLOBAL_USER_ID'),
    };
  };
  const statusOf = async (id: number) => (await stored(id)).status;

  beforeAll(async () => {
    w = await startWorkflowWorld('workflows-api', { clock });
    alice = w.alice;
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('the Duo service account and its application exist once, audited, made at start-up', async () => {
    const { db } = w.instance.context;
    const [a, b] = await Promise.all([
      duoWorkflowIdentity(w.instance.context),
      duoWorkflowIdentity(w.instance.context),
    ]);
    expect(a.serviceAccount.id).toBe(b.serviceAccount.id);
    expect(a.application.id).toBe(b.application.id);
    expect(a.serviceAccount).toMatchObject({
      username: 'duo-developer',
      bot_kind: 'service_account',
      composite_identity_enforced: 1,
    });
    expect(a.application).toMatchObject({
      trusted: 1,
      dynamic_user_scope: 1,
      owner_id: null,
      scopes: '["ai_workflows"]',
    });
    const created = await db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where('action', 'in', ['service_account.created', 'oauth_application.created'])
      .execute();
    expect(created).toEqual(
      expect.arrayContaining([
        { action: 'service_account.created', target_id: String(a.serviceAccount.id) },
        { action: 'oauth_application.created', target_id: String(a.application.id) },
      ]),
    );
    expect(created).toHaveLength(2);
  });

  describe('refusals create nothing (acceptance 5)', () => {
    it.each([
      [
        'an unknown definition',
        400,
        { definition: 'mine_bitcoin' },
        'definition does not have a valid value',
      ],
      ['an empty goal', 400, { goal: '   ' }, 'goal is missing'],
      ['an unknown environment', 400, { environment: 'moon' }, 'environment does not have a valid value'],
    ])('%s → %i', async (_case, status, override, message) => {
      const before = await counts(w.instance.context.db);
      const answer = await start(alice, {
        project_id: w.project.id,
        goal: 'Document the README',
        definition: 'chat',
        ...override,
      });
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({ message: `400 Bad request - ${message}` });
      expect(await counts(w.instance.context.db)).toEqual(before);
    });

    it('a project the person cannot see → 404; guest or reporter → 403; no seat → 403 naming it', async () => {
      const stranger = await w.person({});
      const guest = await w.person({ level: ACCESS_LEVELS.guest });
      const reporter = await w.person({ level: ACCESS_LEVELS.reporter });
      const unseated = await w.person({ level: ACCESS_LEVELS.developer, seat: false });
      const before = await counts(w.instance.context.db);
      const answers = await Promise.all([stranger, guest, reporter, unseated].map((actor) => remote(actor)));
      expect(answers.map((a) => [a.status, a.body])).toEqual([
        [404, { message: '404 Project Not Found' }],
        [403, { message: '403 Forbidden' }],
        [403, { message: '403 Forbidden' }],
        [
          403,
          {
            message:
              '403 Forbidden - AI workflows need a seat of the duo_enterprise add-on (ask an administrator to assign one)',
          },
        ],
      ]);
      expect(await counts(w.instance.context.db)).toEqual(before);
    });

    it('no credential → 401; a PAT without api → 403; the service account not a member → 403', async () => {
      const anonymous = await w.api('POST', '/ai/duo_workflows/workflows', {
        body: { project_id: w.project.id, goal: 'x', definition: 'chat' },
      });
      expect(anonymous).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
      const { plaintext } = await givePat(depsOf(w.instance), alice.user, ['read_api']);
      const readOnly = await start(
        { ...alice, pat: plaintext },
        { project_id: w.project.id, goal: 'x', definition: 'chat' },
      );
      expect(readOnly).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });

      const other = await world.createProject(
        w.instance.context.db,
        await world.createGroup(w.instance.context.db),
      );
      await world.addMember(w.instance.context.db, other, alice.user, ACCESS_LEVELS.developer);
      await world.addMember(w.instance.context.db, other, w.admin.user, ACCESS_LEVELS.maintainer);
      await pushFiles(w.instance, other, w.admin, { 'README.md': '# other\n' });
      const mid = await counts(w.instance.context.db);
      const refused = await start(alice, { project_id: other.id, goal: 'x', definition: 'chat' });
      expect(refused).toMatchObject({
        status: 403,
        body: {
          message: `403 Forbidden - the Duo Workflow service account (@${w.serviceAccount.username}) needs the Developer role in this project`,
        },
      });
      expect(await counts(w.instance.context.db)).toEqual(mid);
    });
  });

  describe('a remote workflow', () => {
    let id: number;
    let tokens: { oauth: string; service: string };

    it('is created with its tokens and job, in that order, before anything runs', async () => {
      const firstEvent = await lastAuditId(w.instance.context.db);
      const answer = await remote(alice);
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        project_id: w.project.id,
        goal: 'Document the README',
        definition: 'software_development',
        environment: 'remote',
        status: 'created',
        pipeline_id: expect.any(Number),
        job_id: expect.any(Number),
        steps: [],
        notes: [],
      });
      id = answer.body.id;
      tokens = await jobTokens(id);
      expect(JSON.stringify(answer.body)).not.toContain(tokens.oauth);

      const events = await auditSince(w.instance.context.db, firstEvent);
      expect(events.map((e) => e.action)).toEqual([
        'ai_workflow.created',
        'oauth_access_token.created',
        'workflow_service_token.issued',
        'ci_pipeline.created',
      ]);
      expect(JSON.parse(events[1]!.details)).toMatchObject({
        workflow_id: String(id),
        scopes: ['ai_workflows', `user:${alice.user.id}`],
        via: 'composite',
        user_id: w.serviceAccount.id,
      });
      expect(JSON.parse(events[2]!.details)).toMatchObject({ workflow_id: id, via: 'remote_workflow' });
      const everything = JSON.stringify(events);
      expect(everything).not.toContain(tokens.oauth);
      expect(everything).not.toContain(tokens.service);

      const job = await w.instance.context.db
        .selectFrom('ci_jobs')
        .innerJoin('ci_pipelines', 'ci_pipelines.id', 'ci_jobs.pipeline_id')
        .select(['ci_jobs.status', 'ci_jobs.user_id', 'ci_jobs.definition', 'ci_pipelines.source'])
        .where('ci_jobs.id', '=', answer.body.job_id)
        .executeTakeFirstOrThrow();
      expect(job).toMatchObject({ status: 'pending', user_id: w.serviceAccount.id, source: 'duo_workflow' });
      expect(JSON.parse(job.definition).script).toEqual(['tessera executor run']);

      // At rest the tokens exist only sealed (they are handed to the job again), never in plaintext.
      const row = await stored(id);
      expect(row.oauth_token_sealed).toMatch(/^v1\./);
      expect(row.service_token_sealed).toMatch(/^v1\./);
      expect(JSON.stringify(row)).not.toContain(tokens.oauth);
      expect(JSON.stringify(row)).not.toContain(tokens.service);
    });

    it('hands the job the contract variables, the tokens masked', async () => {
      const variables = await workflowJobVariables(w.instance.context, await stored(id), w.project);
      const byKey = Object.fromEntries(variables.map((v) => [v.key, v]));
      expect(byKey.GITLAB_OAUTH_TOKEN).toMatchObject({ masked: true, public: false });
      expect(byKey.DUO_WORKFLOW_SERVICE_TOKEN).toMatchObject({ masked: true, public: false });
      expect(Object.fromEntries(variables.filter((v) => !v.masked).map((v) => [v.key, v.value]))).toEqual({
        DUO_WORKFLOW_SERVICE_SERVER: w.serviceAddress,
        DUO_WORKFLOW_WORKFLOW_ID: String(id),
        DUO_WORKFLOW_GOAL: 'Document the README',
        DUO_WORKFLOW_DEFINITION: 'software_development',
        DUO_WORKFLOW_GIT_HTTP_USER: 'oauth',
        DUO_WORKFLOW_GIT_HTTP_BASE_URL: w.instance.url,
        GITLAB_BASE_URL: w.instance.url,
        GITLAB_PROJECT_PATH: w.project.full_path,
        DUO_WORKFLOW_PROJECT_ID: String(w.project.id),
        DUO_WORKFLOW_INSTANCE_ID: expect.stringMatching(/^[0-9a-f-]{36}$/),
        DUO_WORKFLOW_GLOBAL_USER_ID: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        DUO_WORKFLOW_SERVICE_REALM: 'self-managed',
      });
    });

    it('the composite token reports progress on its own workflow only, and reaches nothing else', async () => {
      const asExecutor = { bearer: tokens.oauth };
      const path = `/ai/duo_workflows/workflows/${id}`;
      expect(
        (await w.api('PATCH', path, { ...asExecutor, body: { status_event: 'start' } })).body.status,
      ).toBe('running');
      expect(
        await w.api('POST', `${path}/steps`, {
          ...asExecutor,
          body: { index: 1, title: 'Read README.md', status: 'done', output: '3 lines' },
        }),
      ).toMatchObject({ status: 201, body: { index: 1, status: 'done' } });
      const note = await w.api('POST', `${path}/notes`, {
        ...asExecutor,
        body: { body: 'Read the README.' },
      });
      expect(note).toMatchObject({
        status: 201,
        body: { body: 'Read the README.', author_id: w.serviceAccount.id },
      });

      const shown = await w.api('GET', path, { token: alice.pat });
      expect(shown.body).toMatchObject({
        status: 'running',
        steps: [{ index: 1, title: 'Read README.md', status: 'done', output: '3 lines' }],
        notes: [{ id: note.body.id, body: 'Read the README.' }],
      });
      // The executor may not manage; the owner may not report; a bad event is a 400.
      expect((await w.api('PATCH', path, { ...asExecutor, body: { status_event: 'cancel' } })).status).toBe(
        403,
      );
      expect(
        (await w.api('PATCH', path, { token: alice.pat, body: { status_event: 'finish' } })).status,
      ).toBe(403);
      expect(
        (await w.api('PATCH', path, { token: alice.pat, body: { status_event: 'explode' } })).status,
      ).toBe(400);
      // Only the API of its workflow: the rest of the REST API wants `api`.
      const project = await w.api('GET', `/projects/${w.project.id}`, asExecutor);
      expect(project).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
      // Someone else's workflow is not there for it, nor for another person.
      const bob = await w.person({ level: ACCESS_LEVELS.developer });
      expect((await w.api('GET', path, { token: bob.pat })).status).toBe(404);
    });

    it('cancel revokes every token at once and cancels the job; resume issues fresh ones', async () => {
      const job = (await stored(id)).job_id!;
      const headers = await headersFor(id);
      const startRequest = {
        workflowId: String(id),
        goal: 'Document the README',
        workflowDefinition: 'software_development',
      };
      const canceled = await w.api('PATCH', `/ai/duo_workflows/workflows/${id}`, {
        token: alice.pat,
        body: { status_event: 'cancel' },
      });
      expect(canceled).toMatchObject({
        status: 200,
        body: { status: 'canceled', end_reason: 'canceled by the user' },
      });
      expect((await w.api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: tokens.oauth })).status).toBe(
        401,
      );
      expect(await executeWith(w.serviceAddress, tokens.service, headers, startRequest)).toBe(16); // UNAUTHENTICATED
      const jobRow = await w.instance.context.db
        .selectFrom('ci_jobs')
        .select('status')
        .where('id', '=', job)
        .executeTakeFirstOrThrow();
      expect(jobRow.status).toBe('canceled');
      const row = await stored(id);
      expect(row).toMatchObject({
        oauth_token_sealed: null,
        service_token_sealed: null,
        service_revocation_pending: 0,
      });
      const actions = (await auditSince(w.instance.context.db, 0)).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'ai_workflow.canceled',
          'oauth_grant.revoked',
          'workflow_service_token.revoked',
        ]),
      );
      expect(
        (
          await w.api('PATCH', `/ai/duo_workflows/workflows/${id}`, {
            token: alice.pat,
            body: { status_event: 'cancel' },
          })
        ).status,
      ).toBe(409);

      const resumed = await w.api('PATCH', `/ai/duo_workflows/workflows/${id}`, {
        token: alice.pat,
        body: { status_event: 'resume' },
      });
      expect(resumed).toMatchObject({ status: 200, body: { status: 'running', end_reason: null } });
      expect(resumed.body.job_id).not.toBe(job);
      const fresh = await jobTokens(id);
      expect(fresh.oauth).not.toBe(tokens.oauth);
      expect(fresh.service).not.toBe(tokens.service);
      expect((await w.api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: fresh.oauth })).status).toBe(
        200,
      );
      expect((await w.api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: tokens.oauth })).status).toBe(
        401,
      );
      expect(await executeWith(w.serviceAddress, fresh.service, headers, startRequest)).toBe('finished');
      expect(await executeWith(w.serviceAddress, tokens.service, headers, startRequest)).toBe(16);
      tokens = fresh;
    });

    it('its job ending any other way ends it, and takes the tokens with it', async () => {
      const jobId = (await stored(id)).job_id!;
      const canceled = await w.api('POST', `/projects/${w.project.id}/jobs/${jobId}/cancel`, {
        token: w.admin.pat,
      });
      expect(canceled.status).toBe(200);
      await eventually(
        async () => ((await statusOf(id)) === 'canceled' ? true : undefined),
        10_000,
        'the workflow to end',
      );
      expect((await stored(id)).end_reason).toBe('its job was canceled');
      expect((await w.api('GET', `/ai/duo_workflows/workflows/${id}`, { bearer: tokens.oauth })).status).toBe(
        401,
      );
    });
  });

  describe('the workflow service being down', () => {
    it('a start fails with 503 and undoes what it made; a revocation waits for housekeeping', async () => {
      const running = await remote(alice, 'Explain the build');
      expect(running.status).toBe(201);
      const tokens = await jobTokens(running.body.id);
      const headers = await headersFor(running.body.id);

      await w.stopService();
      try {
        const before = await counts(w.instance.context.db);
        const failed = await remote(alice, 'Explain the tests');
        expect(failed).toMatchObject({
          status: 503,
          body: { message: '503 Service Unavailable - the workflow service is not reachable' },
        });
        const after = await counts(w.instance.context.db);
        // The record exists, failed; its composite token was made and revoked; no pipeline, no job.
        expect(after.ai_workflows).toBe(before.ai_workflows + 1);
        expect(after.ci_pipelines).toBe(before.ci_pipelines);
        expect(after.ci_jobs).toBe(before.ci_jobs);
        const failedRow = await w.instance.context.db
          .selectFrom('ai_workflows')
          .selectAll()
          .orderBy('id', 'desc')
          .executeTakeFirstOrThrow();
        expect(failedRow).toMatchObject({ status: 'failed', end_reason: 'the run could not be started' });
        const grants = await w.instance.context.db
          .selectFrom('oauth_grants')
          .select('revoked_reason')
          .where('workflow_id', '=', String(failedRow.id))
          .execute();
        expect(grants).toEqual([{ revoked_reason: 'workflow_ended' }]);

        const canceled = await w.api('PATCH', `/ai/duo_workflows/workflows/${running.body.id}`, {
          token: alice.pat,
          body: { status_event: 'cancel' },
        });
        expect(canceled.body.status).toBe('canceled');
        expect((await stored(running.body.id)).service_revocation_pending).toBe(1);
        expect(
          (await w.api('GET', `/ai/duo_workflows/workflows/${running.body.id}`, { bearer: tokens.oauth }))
            .status,
        ).toBe(401);
        expect(await retryServiceRevocations(w.instance.context)).toBe(0);
      } finally {
        await w.startService();
      }
      expect(await retryServiceRevocations(w.instance.context)).toBeGreaterThanOrEqual(1);
      expect((await stored(running.body.id)).service_revocation_pending).toBe(0);
      // The restarted service signs with the same stored keys: it is the retried revocation that ends the token.
      const start = {
        workflowId: String(running.body.id),
        goal: 'Explain the build',
        workflowDefinition: 'software_development',
      };
      expect(await executeWith(w.serviceAddress, tokens.service, headers, start)).toBe(16); // UNAUTHENTICATED
    });
  });

  describe('local workflows and direct_access', () => {
    it('a local workflow is only a record; the person reports on it with their own token', async () => {
      const before = await counts(w.instance.context.db);
      const created = await start(alice, {
        project_id: w.project.full_path,
        goal: 'Refactor the README',
        definition: 'chat',
        environment: 'local',
      });
      expect(created).toMatchObject({
        status: 201,
        body: { environment: 'local', status: 'created', job_id: null },
      });
      const after = await counts(w.instance.context.db);
      expect([after.oauth_tokens, after.ci_pipelines]).toEqual([before.oauth_tokens, before.ci_pipelines]);

      const path = `/ai/duo_workflows/workflows/${created.body.id}`;
      const access = await w.api('POST', '/ai/duo_workflows/direct_access', {
        token: alice.pat,
        body: { workflow_id: created.body.id },
      });
      expect(access.status).toBe(201);
      expect(access.body).toEqual({
        duo_workflow_service: {
          base_url: w.serviceAddress,
          token: expect.stringMatching(/^eyJ/),
          token_expires_at: expect.any(Number),
          headers: {
            'x-gitlab-instance-id': expect.any(String),
            'x-gitlab-realm': 'self-managed',
            'x-gitlab-global-user-id': expect.any(String),
          },
        },
      });
      const serviceToken = rememberSecret(access.body.duo_workflow_service.token);
      const headers = access.body.duo_workflow_service.headers;
      const call = {
        instanceId: headers['x-gitlab-instance-id'],
        realm: headers['x-gitlab-realm'],
        globalUserId: headers['x-gitlab-global-user-id'],
      };
      const startRequest = {
        workflowId: String(created.body.id),
        goal: 'Refactor the README',
        workflowDefinition: 'chat',
      };
      expect(await executeWith(w.serviceAddress, serviceToken, call, startRequest)).toBe('finished');

      expect(
        (await w.api('PATCH', path, { token: alice.pat, body: { status_event: 'start' } })).body.status,
      ).toBe('running');
      expect(
        (
          await w.api('POST', `${path}/steps`, {
            token: alice.pat,
            body: { index: 0, title: 'Plan', status: 'done' },
          })
        ).status,
      ).toBe(201);
      const finished = await w.api('PATCH', path, { token: alice.pat, body: { status_event: 'finish' } });
      expect(finished.body).toMatchObject({ status: 'finished', steps: [{ index: 0, title: 'Plan' }] });
      expect(await executeWith(w.serviceAddress, serviceToken, call, startRequest)).toBe(16);
      const audit = await w.instance.context.db
        .selectFrom('audit_events')
        .select('details')
        .where('action', '=', 'workflow_service_token.issued')
        .execute();
      expect(JSON.stringify(audit)).not.toContain(serviceToken);
    });

    it('direct_access needs a seat and a person; a tagged workflow must be their own', async () => {
      const unseated = await w.person({ level: ACCESS_LEVELS.developer, seat: false });
      expect((await w.api('POST', '/ai/duo_workflows/direct_access', { token: unseated.pat })).status).toBe(
        403,
      );
      const bob = await w.person({ level: ACCESS_LEVELS.developer });
      const alices = await start(alice, {
        project_id: w.project.id,
        goal: 'x',
        definition: 'chat',
        environment: 'local',
      });
      const foreign = await w.api('POST', '/ai/duo_workflows/direct_access', {
        token: bob.pat,
        body: { workflow_id: alices.body.id },
      });
      expect(foreign).toMatchObject({ status: 404, body: { message: '404 Workflow Not Found' } });
    });
  });

  describe('the timeout sweep', () => {
    it('times out a workflow past its deadline and revokes its tokens', async () => {
      const created = await remote(alice, 'Summarise the history');
      const tokens = await jobTokens(created.body.id);
      expect(await timeOutOverdueWorkflows(w.instance.context, clock.now())).toBe(0);
      clock.advance(3601);
      expect(await timeOutOverdueWorkflows(w.instance.context, clock.now())).toBeGreaterThanOrEqual(1);
      expect(await stored(created.body.id)).toMatchObject({
        status: 'timed_out',
        end_reason: 'the workflow ran past its deadline',
        service_revocation_pending: 0,
      });
      const job = await w.instance.context.db
        .selectFrom('ci_jobs')
        .select('status')
        .where('id', '=', created.body.job_id)
        .executeTakeFirstOrThrow();
      expect(job.status).toBe('canceled');
      expect(
        (await w.api('GET', `/ai/duo_workflows/workflows/${created.body.id}`, { bearer: tokens.oauth }))
          .status,
      ).toBe(401);
      const shown = await w.api('GET', `/ai/duo_workflows/workflows/${created.body.id}`, {
        token: alice.pat,
      });
      expect(shown.body.status).toBe('timed_out');
    });
  });
});

async function lastAuditId(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_events').select('id').orderBy('id', 'desc').executeTakeFirst();
  return row?.id ?? 0;
}

async function auditSince(db: Db, afterId: number) {
  return db.selectFrom('audit_events').selectAll().where('id', '>', afterId).orderBy('id').execute();
}
