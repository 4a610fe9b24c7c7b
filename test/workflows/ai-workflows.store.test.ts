import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countAiWorkflows,
  findAiWorkflowByJobId,
  insertAiWorkflow,
  insertAiWorkflowNote,
  listAiWorkflowNotes,
  listAiWorkflowSteps,
  listOverdueAiWorkflows,
  listPendingServiceRevocations,
  transitionAiWorkflow,
  upsertAiWorkflowStep,
} from '../../src/store/ai-workflows.repository.ts';
import type { AiWorkflowsTable } from '../../src/store/ai-workflows.tables.ts';
import type { Insertable } from 'kysely';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createGroup, createProject, createUser } from '../support/world.ts';

describe.each(ENGINES)('AI workflow store on %s', (engine) => {
  let store: TestDatabase;
  let row: (fields?: Partial<Insertable<AiWorkflowsTable>>) => Insertable<AiWorkflowsTable>;

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    const user = await createUser(store.db);
    const project = await createProject(store.db, await createGroup(store.db));
    row = (fields = {}) => ({
      project_id: project.id,
      user_id: user.id,
      service_account_id: null,
      goal: 'Document the API',
      definition: 'chat',
      environment: 'remote',
      status: 'created',
      pipeline_id: null,
      job_id: null,
      oauth_grant_id: null,
      oauth_token_id: null,
      oauth_token_sealed: null,
      service_token_sealed: null,
      service_token_expires_at: null,
      service_revocation_pending: 0,
      deadline_at: '2030-01-01T01:00:00.000Z',
      end_reason: null,
      created_at: '2030-01-01T00:00:00.000Z',
      updated_at: '2030-01-01T00:00:00.000Z',
      finished_at: null,
      ...fields,
    });
  });
  afterAll(async () => {
    await store.destroy();
  });

  it('migration 007 is applied once', async () => {
    expect(await migrateToLatest(store.db)).toEqual([]);
  });

  it('a status change is a compare-and-set: exactly one of two racing enders wins', async () => {
    const workflow = await insertAiWorkflow(store.db, row({ job_id: 9001 }));
    const [a, b] = await Promise.all([
      transitionAiWorkflow(store.db, workflow.id, ['created', 'running'], { status: 'canceled' }),
      transitionAiWorkflow(store.db, workflow.id, ['created', 'running'], { status: 'finished' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((await findAiWorkflowByJobId(store.db, 9001))?.status).toBe((a ?? b)!.status);
  });

  it('finds the overdue and the pending revocations', async () => {
    const overdue = await insertAiWorkflow(store.db, row({ deadline_at: '2030-01-01T00:30:00.000Z' }));
    const later = await insertAiWorkflow(store.db, row({ deadline_at: '2030-01-01T02:00:00.000Z' }));
    const pending = await insertAiWorkflow(
      store.db,
      row({ status: 'failed', service_revocation_pending: 1, deadline_at: '2030-01-01T00:00:00.000Z' }),
    );
    const ids = (await listOverdueAiWorkflows(store.db, '2030-01-01T01:00:00.000Z')).map((w) => w.id);
    expect(ids).toContain(overdue.id);
    expect(ids).not.toContain(later.id);
    expect(ids).not.toContain(pending.id);
    expect((await listPendingServiceRevocations(store.db)).map((w) => w.id)).toEqual([pending.id]);
    expect(await countAiWorkflows(store.db)).toBeGreaterThanOrEqual(4);
  });

  it('upserts steps by index and keeps notes in order', async () => {
    const workflow = await insertAiWorkflow(store.db, row());
    const at = '2030-01-01T00:00:01.000Z';
    await upsertAiWorkflowStep(store.db, {
      workflowId: workflow.id,
      index: 2,
      title: 'b',
      status: 'running',
      output: null,
      at,
    });
    await upsertAiWorkflowStep(store.db, {
      workflowId: workflow.id,
      index: 1,
      title: 'a',
      status: 'done',
      output: 'x',
      at,
    });
    await upsertAiWorkflowStep(store.db, {
      workflowId: workflow.id,
      index: 2,
      title: 'b',
      status: 'done',
      output: 'y',
      at,
    });
    expect(
      (await listAiWorkflowSteps(store.db, workflow.id)).map((s) => [s.step_index, s.status, s.output]),
    ).toEqual([
      [1, 'done', 'x'],
      [2, 'done', 'y'],
    ]);
    await insertAiWorkflowNote(store.db, { workflowId: workflow.id, body: 'first', authorId: null, at });
    await insertAiWorkflowNote(store.db, { workflowId: workflow.id, body: 'second', authorId: null, at });
    expect((await listAiWorkflowNotes(store.db, workflow.id)).map((n) => n.body)).toEqual([
      'first',
      'second',
    ]);
  });
});
