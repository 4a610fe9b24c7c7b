import type { Insertable, Updateable } from 'kysely';
import type { Executor } from './database.ts';
import type { Project, ProjectsTable } from './schema.ts';

export async function insertProject(db: Executor, project: Insertable<ProjectsTable>): Promise<Project> {
  return db.insertInto('projects').values(project).returningAll().executeTakeFirstOrThrow();
}

export async function findProjectById(db: Executor, id: number): Promise<Project | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findProjectByFullPath(db: Executor, fullPath: string): Promise<Project | undefined> {
  return db
    .selectFrom('projects')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['full_path']), '=', fullPath.toLowerCase()))
    .executeTakeFirst();
}

export async function listProjects(
  db: Executor,
  filter: { namespaceIds?: number[]; search?: string; limit: number; offset: number },
): Promise<Project[]> {
  let query = db.selectFrom('projects').selectAll();
  if (filter.namespaceIds !== undefined) {
    if (filter.namespaceIds.length === 0) return [];
    query = query.where('namespace_id', 'in', filter.namespaceIds);
  }
  if (filter.search !== undefined) {
    query = query.where((eb) => eb(eb.fn('lower', ['full_path']), 'like', `%${filter.search!.toLowerCase()}%`));
  }
  return query.orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute();
}

export async function updateProject(
  db: Executor,
  id: number,
  changes: Updateable<ProjectsTable>,
): Promise<Project | undefined> {
  return db.updateTable('projects').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/** A project by the `:id` of a URL: a numeric id or a (decoded) full path. */
export async function findProjectByRef(db: Executor, ref: string): Promise<Project | undefined> {
  return /^\d+$/.test(ref) ? findProjectById(db, Number(ref)) : findProjectByFullPath(db, ref);
}
