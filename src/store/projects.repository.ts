import { sql, type Insertable, type Updateable } from 'kysely';
import type { Executor } from './database.ts';
import type { Project, ProjectsTable, Visibility } from './schema.ts';
import { containsIgnoringCase } from './like-pattern.ts';

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
    query = query.where(containsIgnoringCase('full_path', filter.search));
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

/** Which projects a listing may return: those of the visibilities, plus the listed projects and namespaces. */
export interface ProjectAccess {
  visibilities: readonly Visibility[];
  projectIds: readonly number[];
  namespaceIds: readonly number[];
}

export interface ProjectQuery {
  /** Absent: every project (an administrator's view). */
  access?: ProjectAccess;
  search?: string;
  visibility?: Visibility;
  namespaceIds?: readonly number[];
  limit: number;
  offset: number;
}

/** Projects the caller may see, newest first; `access` is decided by the identity module. */
export async function listAccessibleProjects(db: Executor, query: ProjectQuery): Promise<Project[]> {
  return accessibleProjects(db, query)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
}

export async function countAccessibleProjects(
  db: Executor,
  query: Omit<ProjectQuery, 'limit' | 'offset'>,
): Promise<number> {
  const row = await accessibleProjects(db, query)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function accessibleProjects(db: Executor, query: Omit<ProjectQuery, 'limit' | 'offset'>) {
  let select = db.selectFrom('projects');
  const access = query.access;
  if (access) {
    select = select.where((eb) => {
      const allowed = [];
      if (access.visibilities.length > 0) allowed.push(eb('visibility', 'in', [...access.visibilities]));
      if (access.projectIds.length > 0) allowed.push(eb('id', 'in', [...access.projectIds]));
      if (access.namespaceIds.length > 0) allowed.push(eb('namespace_id', 'in', [...access.namespaceIds]));
      return allowed.length > 0 ? eb.or(allowed) : sql<boolean>`1 = 0`;
    });
  }
  if (query.namespaceIds !== undefined) {
    select =
      query.namespaceIds.length > 0
        ? select.where('namespace_id', 'in', [...query.namespaceIds])
        : select.where(sql<boolean>`1 = 0`);
  }
  if (query.visibility !== undefined) select = select.where('visibility', '=', query.visibility);
  if (query.search !== undefined) {
    const search = query.search;
    select = select.where((eb) =>
      eb.or([containsIgnoringCase('full_path', search), containsIgnoringCase('name', search)]),
    );
  }
  return select;
}
