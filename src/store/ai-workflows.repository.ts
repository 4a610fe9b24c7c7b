import type { Insertable, Updateable } from 'kysely';
import type {
  AiWorkflow,
  AiWorkflowIdentity,
  AiWorkflowNote,
  AiWorkflowsTable,
  AiWorkflowStatus,
  AiWorkflowStep,
  AiWorkflowStepStatus,
} from './ai-workflows.tables.ts';
import type { Executor } from './database.ts';

export async function insertAiWorkflow(
  db: Executor,
  workflow: Insertable<AiWorkflowsTable>,
): Promise<AiWorkflow> {
  return db.insertInto('ai_workflows').values(workflow).returningAll().executeTakeFirstOrThrow();
}

export async function findAiWorkflowById(db: Executor, id: number): Promise<AiWorkflow | undefined> {
  return db.selectFrom('ai_workflows').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The workflow whose current run is this CI job. */
export async function findAiWorkflowByJobId(db: Executor, jobId: number): Promise<AiWorkflow | undefined> {
  return db.selectFrom('ai_workflows').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

/**
 * Changes a workflow only while its status is one of `from`: the compare-and-set that lets the
 * executor's `finish`, the user's `cancel`, the job's end and the timeout sweep race with one winner.
 * Undefined for the loser.
 */
export async function transitionAiWorkflow(
  db: Executor,
  id: number,
  from: readonly AiWorkflowStatus[],
  changes: Updateable<AiWorkflowsTable>,
): Promise<AiWorkflow | undefined> {
  return db
    .updateTable('ai_workflows')
    .set(changes)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

export async function updateAiWorkflow(
  db: Executor,
  id: number,
  changes: Updateable<AiWorkflowsTable>,
): Promise<AiWorkflow | undefined> {
  return db.updateTable('ai_workflows').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Workflows still created or running whose deadline is at or before `now`. */
export async function listOverdueAiWorkflows(db: Executor, now: string): Promise<AiWorkflow[]> {
  return db
    .selectFrom('ai_workflows')
    .selectAll()
    .where('status', 'in', ['created', 'running'])
    .where('deadline_at', '<=', now)
    .orderBy('id')
    .execute();
}

/** Ended workflows whose workflow-service tokens are not yet known to be revoked. */
export async function listPendingServiceRevocations(db: Executor): Promise<AiWorkflow[]> {
  return db
    .selectFrom('ai_workflows')
    .selectAll()
    .where('service_revocation_pending', '=', 1)
    .orderBy('id')
    .execute();
}

/** Ended workflows (before `endedBefore`) whose CI job has still not ended: their jobs must be stopped. */
export async function listEndedWorkflowsWithLiveJobs(
  db: Executor,
  endedBefore: string,
): Promise<AiWorkflow[]> {
  return db
    .selectFrom('ai_workflows')
    .innerJoin('ci_jobs', 'ci_jobs.id', 'ai_workflows.job_id')
    .selectAll('ai_workflows')
    .where('ai_workflows.status', 'not in', ['created', 'running'])
    .where('ai_workflows.finished_at', '<=', endedBefore)
    .where('ci_jobs.status', 'in', ['created', 'pending', 'running'])
    .orderBy('ai_workflows.id')
    .execute();
}

export async function countAiWorkflows(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('ai_workflows')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Creates the step at `index`, or updates its title, status and output. */
export async function upsertAiWorkflowStep(
  db: Executor,
  step: {
    workflowId: number;
    index: number;
    title: string;
    status: AiWorkflowStepStatus;
    output: string | null;
    at: string;
  },
): Promise<AiWorkflowStep> {
  return db
    .insertInto('ai_workflow_steps')
    .values({
      workflow_id: step.workflowId,
      step_index: step.index,
      title: step.title,
      status: step.status,
      output: step.output,
      created_at: step.at,
      updated_at: step.at,
    })
    .onConflict((oc) =>
      oc.columns(['workflow_id', 'step_index']).doUpdateSet({
        title: step.title,
        status: step.status,
        output: step.output,
        updated_at: step.at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listAiWorkflowSteps(db: Executor, workflowId: number): Promise<AiWorkflowStep[]> {
  return db
    .selectFrom('ai_workflow_steps')
    .selectAll()
    .where('workflow_id', '=', workflowId)
    .orderBy('step_index')
    .execute();
}

export async function insertAiWorkflowNote(
  db: Executor,
  note: { workflowId: number; body: string; authorId: number | null; at: string },
): Promise<AiWorkflowNote> {
  return db
    .insertInto('ai_workflow_notes')
    .values({
      workflow_id: note.workflowId,
      body: note.body,
      author_id: note.authorId,
      created_at: note.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listAiWorkflowNotes(db: Executor, workflowId: number): Promise<AiWorkflowNote[]> {
  return db
    .selectFrom('ai_workflow_notes')
    .selectAll()
    .where('workflow_id', '=', workflowId)
    .orderBy('id')
    .execute();
}

export async function findAiWorkflowIdentity(
  db: Executor,
  name: string,
): Promise<AiWorkflowIdentity | undefined> {
  return db.selectFrom('ai_workflow_identities').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Records the identity (a unique violation when another replica recorded one first). */
export async function insertAiWorkflowIdentity(db: Executor, identity: AiWorkflowIdentity): Promise<void> {
  await db.insertInto('ai_workflow_identities').values(identity).execute();
}
