import type { Insertable, SelectQueryBuilder, Updateable } from 'kysely';
import type { Executor } from './database.ts';
import type {
  CiPipelineVariablesTable,
  CiVariableRow,
  CiVariablesTable,
  PipelineVariableRow,
  VariableOwner,
} from './ci-variables.tables.ts';
import type { Database } from './schema.ts';

type VariableQuery = SelectQueryBuilder<Database, 'ci_variables', CiVariableRow>;

function ownedBy(query: VariableQuery, owner: VariableOwner): VariableQuery {
  switch (owner.level) {
    case 'instance':
      return query.where('project_id', 'is', null).where('group_id', 'is', null);
    case 'group':
      return query.where('group_id', '=', owner.id);
    case 'project':
      return query.where('project_id', '=', owner.id);
  }
}

/** The owner's variables, optionally only those with `key` and/or one environment scope. */
export async function listCiVariables(
  db: Executor,
  owner: VariableOwner,
  filter: { key?: string; environmentScope?: string } = {},
): Promise<CiVariableRow[]> {
  let query = ownedBy(db.selectFrom('ci_variables').selectAll(), owner);
  if (filter.key !== undefined) query = query.where('key', '=', filter.key);
  if (filter.environmentScope !== undefined)
    query = query.where('environment_scope', '=', filter.environmentScope);
  return query.orderBy('id').execute();
}

export async function insertCiVariable(
  db: Executor,
  variable: Insertable<CiVariablesTable>,
): Promise<CiVariableRow> {
  return db.insertInto('ci_variables').values(variable).returningAll().executeTakeFirstOrThrow();
}

export async function updateCiVariable(
  db: Executor,
  id: number,
  patch: Updateable<CiVariablesTable>,
): Promise<CiVariableRow> {
  return db
    .updateTable('ci_variables')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteCiVariable(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('ci_variables').where('id', '=', id).execute();
}

/** Every variable a job of the project can see: the instance's, its groups' and its own. */
export async function listCiVariablesReaching(
  db: Executor,
  projectId: number,
  groupIds: readonly number[],
): Promise<CiVariableRow[]> {
  return db
    .selectFrom('ci_variables')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('project_id', 'is', null), eb('group_id', 'is', null)]),
        eb('project_id', '=', projectId),
        ...(groupIds.length > 0 ? [eb('group_id', 'in', [...groupIds])] : []),
      ]),
    )
    .orderBy('id')
    .execute();
}

export async function insertPipelineVariables(
  db: Executor,
  rows: Insertable<CiPipelineVariablesTable>[],
): Promise<void> {
  if (rows.length > 0) await db.insertInto('ci_pipeline_variables').values(rows).execute();
}

export async function listPipelineVariables(
  db: Executor,
  pipelineId: number,
): Promise<PipelineVariableRow[]> {
  return db
    .selectFrom('ci_pipeline_variables')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .orderBy('id')
    .execute();
}
