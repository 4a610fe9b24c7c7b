import { PostgresAdapter, type Updateable } from 'kysely';
import type { Executor, Trx } from './database.ts';
import type { ProjectDeploySettings, ProjectDeploySettingsTable } from './schema.ts';

/** A project's Auto DevOps and deploy settings; undefined when it has never changed the defaults. */
export async function findProjectDeploySettings(
  db: Executor,
  projectId: number,
): Promise<ProjectDeploySettings | undefined> {
  return db
    .selectFrom('project_deploy_settings')
    .selectAll()
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

/** Changes some of a project's settings, creating its row with the defaults first when needed. */
export async function upsertProjectDeploySettings(
  db: Executor,
  projectId: number,
  changes: Omit<Updateable<ProjectDeploySettingsTable>, 'project_id' | 'updated_at'>,
  at: string,
): Promise<ProjectDeploySettings> {
  const row = await db
    .insertInto('project_deploy_settings')
    .values({
      project_id: projectId,
      auto_devops_enabled: null,
      deploy_token_grace_seconds: null,
      deploy_variables_environment_only: 0,
      ...changes,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ ...changes, updated_at: at }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

/** Ids of projects (after `afterId`, in order) that could hold a deploy token: private and internal ones. */
export async function listNonPublicProjectIds(
  db: Executor,
  afterId: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where('visibility', 'in', ['private', 'internal'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Ids of projects whose own setting overrides the instance's Auto DevOps default (either way). */
export async function listProjectsWithAutoDevOpsOverride(db: Executor): Promise<Map<number, boolean>> {
  const rows = await db
    .selectFrom('project_deploy_settings')
    .select(['project_id', 'auto_devops_enabled'])
    .where('auto_devops_enabled', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [r.project_id, r.auto_devops_enabled === 1]));
}

/**
 * Serialises changes to one project's deploy tokens until the transaction ends, so two concurrent
 * Auto DevOps reconciliations cannot both create `gitlab-deploy-token`. SQLite already runs one
 * write transaction at a time; PostgreSQL locks the project's row.
 */
export async function lockProjectDeployTokens(trx: Trx, projectId: number): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    await trx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
  }
}
