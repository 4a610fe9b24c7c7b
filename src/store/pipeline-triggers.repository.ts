import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import type { CiPipelineTriggersTable, PipelineTrigger } from './pipeline-triggers.tables.ts';

export async function insertPipelineTrigger(
  db: Executor,
  trigger: Insertable<CiPipelineTriggersTable>,
): Promise<PipelineTrigger> {
  return db.insertInto('ci_pipeline_triggers').values(trigger).returningAll().executeTakeFirstOrThrow();
}

export async function listPipelineTriggers(db: Executor, projectId: number): Promise<PipelineTrigger[]> {
  return db
    .selectFrom('ci_pipeline_triggers')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
}

export async function findPipelineTriggerByDigest(
  db: Executor,
  digest: string,
): Promise<PipelineTrigger | undefined> {
  return db
    .selectFrom('ci_pipeline_triggers')
    .selectAll()
    .where('token_digest', '=', digest)
    .executeTakeFirst();
}

/** One trigger of the project, by id. */
export async function findProjectPipelineTrigger(
  db: Executor,
  projectId: number,
  id: number,
): Promise<PipelineTrigger | undefined> {
  return db
    .selectFrom('ci_pipeline_triggers')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Changes one trigger's description; undefined when the project has no such trigger. */
export async function updatePipelineTriggerDescription(
  db: Executor,
  projectId: number,
  id: number,
  description: string,
): Promise<PipelineTrigger | undefined> {
  return db
    .updateTable('ci_pipeline_triggers')
    .set({ description })
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes one trigger of the project; false when it has no such trigger. */
export async function deletePipelineTrigger(db: Executor, projectId: number, id: number): Promise<boolean> {
  const rows = await db
    .deleteFrom('ci_pipeline_triggers')
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returning('id')
    .execute();
  return rows.length > 0;
}

export async function touchPipelineTrigger(db: Executor, id: number, at: string): Promise<void> {
  await db.updateTable('ci_pipeline_triggers').set({ last_used: at }).where('id', '=', id).execute();
}
