import { sql, type Insertable } from 'kysely';
import type { Executor } from './database.ts';
import type { Namespace, NamespacesTable, Visibility } from './schema.ts';
import { containsIgnoringCase } from './like-pattern.ts';

export async function insertNamespace(
  db: Executor,
  namespace: Insertable<NamespacesTable>,
): Promise<Namespace> {
  return db.insertInto('namespaces').values(namespace).returningAll().executeTakeFirstOrThrow();
}

export async function findNamespaceById(db: Executor, id: number): Promise<Namespace | undefined> {
  return db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findNamespaceByFullPath(
  db: Executor,
  fullPath: string,
): Promise<Namespace | undefined> {
  return db
    .selectFrom('namespaces')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['full_path']), '=', fullPath.toLowerCase()))
    .executeTakeFirst();
}

export async function findUserNamespace(db: Executor, userId: number): Promise<Namespace | undefined> {
  return db
    .selectFrom('namespaces')
    .selectAll()
    .where('kind', '=', 'user')
    .where('owner_user_id', '=', userId)
    .executeTakeFirst();
}

export async function listGroups(
  db: Executor,
  filter: { search?: string; parentId?: number; limit: number; offset: number },
): Promise<Namespace[]> {
  let query = db.selectFrom('namespaces').selectAll().where('kind', '=', 'group');
  if (filter.parentId !== undefined) query = query.where('parent_id', '=', filter.parentId);
  if (filter.search !== undefined) {
    query = query.where(containsIgnoringCase('full_path', filter.search));
  }
  return query.orderBy('id').limit(filter.limit).offset(filter.offset).execute();
}

/** The namespace and every ancestor, nearest first. */
export async function namespaceWithAncestors(db: Executor, id: number): Promise<Namespace[]> {
  const chain: Namespace[] = [];
  let next: number | null = id;
  // Nesting is shallow (GitLab allows 20 levels), so walking up is cheaper than a recursive query
  // written twice for two engines.
  while (next !== null && chain.length < 21) {
    const namespace = await findNamespaceById(db, next);
    if (!namespace) break;
    chain.push(namespace);
    next = namespace.parent_id;
  }
  return chain;
}

/** Ids of the group and every group below it. */
export async function groupWithDescendantIds(db: Executor, id: number): Promise<number[]> {
  const ids = [id];
  for (let i = 0; i < ids.length; i++) {
    const children = await db
      .selectFrom('namespaces')
      .select('id')
      .where('parent_id', '=', ids[i]!)
      .execute();
    ids.push(...children.map((c) => c.id));
  }
  return ids;
}

/** A group by the `:id` of a URL: a numeric id or a (decoded) full path. */
export async function findGroupByRef(db: Executor, ref: string): Promise<Namespace | undefined> {
  const namespace = /^\d+$/.test(ref)
    ? await findNamespaceById(db, Number(ref))
    : await findNamespaceByFullPath(db, ref);
  return namespace?.kind === 'group' ? namespace : undefined;
}

export async function findNamespacesByIds(db: Executor, ids: readonly number[]): Promise<Namespace[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('namespaces')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute();
}

/** Which groups a listing may return: those of the visibilities, plus the listed ids. */
export interface GroupAccess {
  visibilities: readonly Visibility[];
  ids: readonly number[];
}

export interface GroupQuery {
  /** Absent: every group (an administrator's view). */
  access?: GroupAccess;
  search?: string;
  topLevelOnly?: boolean;
  limit: number;
  offset: number;
}

/** Groups the caller may see, by id; `access` is decided by the identity module. */
export async function listAccessibleGroups(db: Executor, query: GroupQuery): Promise<Namespace[]> {
  return accessibleGroups(db, query)
    .selectAll()
    .orderBy('id')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
}

export async function countAccessibleGroups(
  db: Executor,
  query: Omit<GroupQuery, 'limit' | 'offset'>,
): Promise<number> {
  const row = await accessibleGroups(db, query)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function accessibleGroups(db: Executor, query: Omit<GroupQuery, 'limit' | 'offset'>) {
  let select = db.selectFrom('namespaces').where('kind', '=', 'group');
  const access = query.access;
  if (access) {
    select = select.where((eb) => {
      const allowed = [];
      if (access.visibilities.length > 0) allowed.push(eb('visibility', 'in', [...access.visibilities]));
      if (access.ids.length > 0) allowed.push(eb('id', 'in', [...access.ids]));
      return allowed.length > 0 ? eb.or(allowed) : sql<boolean>`1 = 0`;
    });
  }
  if (query.topLevelOnly) select = select.where('parent_id', 'is', null);
  if (query.search !== undefined) {
    const search = query.search;
    select = select.where((eb) =>
      eb.or([containsIgnoringCase('full_path', search), containsIgnoringCase('name', search)]),
    );
  }
  return select;
}
