import type { Executor } from './database.ts';
import type { JobTokenAuthorization, JobTokenGroupLink, JobTokenProjectLink } from './ci-schema.ts';

/*
 * A project's inbound job-token allowlist (the projects and groups whose jobs may reach it) and the
 * log of job-token authentications from other projects.
 */

export async function listProjectLinks(
  db: Executor,
  sourceProjectId: number,
): Promise<JobTokenProjectLink[]> {
  return db
    .selectFrom('ci_job_token_project_scope_links')
    .selectAll()
    .where('source_project_id', '=', sourceProjectId)
    .orderBy('id')
    .execute();
}

export async function listGroupLinks(db: Executor, sourceProjectId: number): Promise<JobTokenGroupLink[]> {
  return db
    .selectFrom('ci_job_token_group_scope_links')
    .selectAll()
    .where('source_project_id', '=', sourceProjectId)
    .orderBy('id')
    .execute();
}

/** Entries of both lists together: the limit of 200 counts them all. */
export async function countLinks(db: Executor, sourceProjectId: number): Promise<number> {
  const [projects, groups] = await Promise.all([
    db
      .selectFrom('ci_job_token_project_scope_links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source_project_id', '=', sourceProjectId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('ci_job_token_group_scope_links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source_project_id', '=', sourceProjectId)
      .executeTakeFirstOrThrow(),
  ]);
  return Number(projects.n) + Number(groups.n);
}

export async function insertProjectLink(
  db: Executor,
  link: { sourceProjectId: number; targetProjectId: number; addedById: number | null; createdAt: string },
): Promise<JobTokenProjectLink> {
  return db
    .insertInto('ci_job_token_project_scope_links')
    .values({
      source_project_id: link.sourceProjectId,
      target_project_id: link.targetProjectId,
      added_by_id: link.addedById,
      created_at: link.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertGroupLink(
  db: Executor,
  link: { sourceProjectId: number; targetGroupId: number; addedById: number | null; createdAt: string },
): Promise<JobTokenGroupLink> {
  return db
    .insertInto('ci_job_token_group_scope_links')
    .values({
      source_project_id: link.sourceProjectId,
      target_group_id: link.targetGroupId,
      added_by_id: link.addedById,
      created_at: link.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteProjectLink(
  db: Executor,
  sourceProjectId: number,
  targetProjectId: number,
): Promise<boolean> {
  const rows = await db
    .deleteFrom('ci_job_token_project_scope_links')
    .where('source_project_id', '=', sourceProjectId)
    .where('target_project_id', '=', targetProjectId)
    .returning('id')
    .execute();
  return rows.length > 0;
}

export async function deleteGroupLink(
  db: Executor,
  sourceProjectId: number,
  targetGroupId: number,
): Promise<boolean> {
  const rows = await db
    .deleteFrom('ci_job_token_group_scope_links')
    .where('source_project_id', '=', sourceProjectId)
    .where('target_group_id', '=', targetGroupId)
    .returning('id')
    .execute();
  return rows.length > 0;
}

/** Whether `source`'s allowlist admits `origin` itself or one of the groups `originNamespaceIds` (its ancestors). */
export async function allowlistAdmits(
  db: Executor,
  sourceProjectId: number,
  originProjectId: number,
  originNamespaceIds: readonly number[],
): Promise<boolean> {
  const project = await db
    .selectFrom('ci_job_token_project_scope_links')
    .select('id')
    .where('source_project_id', '=', sourceProjectId)
    .where('target_project_id', '=', originProjectId)
    .executeTakeFirst();
  if (project) return true;
  if (originNamespaceIds.length === 0) return false;
  const group = await db
    .selectFrom('ci_job_token_group_scope_links')
    .select('id')
    .where('source_project_id', '=', sourceProjectId)
    .where('target_group_id', 'in', [...originNamespaceIds])
    .executeTakeFirst();
  return group !== undefined;
}

/** Records that a job of `origin` authenticated to `accessed` (one row per pair, last time and count). */
export async function recordJobTokenAuthorization(
  db: Executor,
  accessedProjectId: number,
  originProjectId: number,
  at: string,
): Promise<void> {
  await db
    .insertInto('ci_job_token_authorizations')
    .values({
      accessed_project_id: accessedProjectId,
      origin_project_id: originProjectId,
      last_authorized_at: at,
    })
    .onConflict((oc) =>
      oc.columns(['accessed_project_id', 'origin_project_id']).doUpdateSet((eb) => ({
        last_authorized_at: at,
        count: eb('ci_job_token_authorizations.count', '+', 1),
      })),
    )
    .execute();
}

export async function listJobTokenAuthorizations(
  db: Executor,
  accessedProjectId: number,
): Promise<JobTokenAuthorization[]> {
  return db
    .selectFrom('ci_job_token_authorizations')
    .selectAll()
    .where('accessed_project_id', '=', accessedProjectId)
    .orderBy('last_authorized_at', 'desc')
    .execute();
}
