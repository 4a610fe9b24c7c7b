import type { Updateable } from 'kysely';
import type { CiProjectSettings, CiProjectSettingsTable, ProtectedBranch } from './ci-schema.ts';
import type { Executor } from './database.ts';

/** What a project without a settings row has. */
export const DEFAULT_CI_SETTINGS: Omit<CiProjectSettings, 'project_id' | 'updated_at'> = {
  job_token_inbound_enabled: 1,
  id_token_sub_claim_components: null,
  legacy_job_jwt_enabled: 0,
  default_branch_protected: 1,
  job_timeout_seconds: 3600,
};

/** The project's CI settings, defaults filled in when it never changed them. */
export async function ciSettingsOf(db: Executor, projectId: number): Promise<CiProjectSettings> {
  const row = await db
    .selectFrom('ci_project_settings')
    .selectAll()
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row ?? { ...DEFAULT_CI_SETTINGS, project_id: projectId, updated_at: '' };
}

/** Changes some of the project's CI settings, creating its row on first change. */
export async function updateCiSettings(
  db: Executor,
  projectId: number,
  changes: Omit<Updateable<CiProjectSettingsTable>, 'project_id' | 'updated_at'>,
  at: string,
): Promise<CiProjectSettings> {
  const current = await ciSettingsOf(db, projectId);
  const next = { ...current, ...changes, project_id: projectId, updated_at: at };
  if (current.updated_at === '') {
    return db.insertInto('ci_project_settings').values(next).returningAll().executeTakeFirstOrThrow();
  }
  return db
    .updateTable('ci_project_settings')
    .set({ ...changes, updated_at: at })
    .where('project_id', '=', projectId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listProtectedBranches(db: Executor, projectId: number): Promise<ProtectedBranch[]> {
  return db
    .selectFrom('protected_branches')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('id')
    .execute();
}

export async function insertProtectedBranch(
  db: Executor,
  branch: { projectId: number; name: string; pushAccessLevel: number; createdAt: string },
): Promise<ProtectedBranch> {
  return db
    .insertInto('protected_branches')
    .values({
      project_id: branch.projectId,
      name: branch.name,
      push_access_level: branch.pushAccessLevel,
      created_at: branch.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteProtectedBranch(db: Executor, projectId: number, name: string): Promise<boolean> {
  const rows = await db
    .deleteFrom('protected_branches')
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .returning('id')
    .execute();
  return rows.length > 0;
}
