import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import type { Namespace, NamespacesTable } from './schema.ts';

export async function insertNamespace(db: Executor, namespace: Insertable<NamespacesTable>): Promise<Namespace> {
  return db.insertInto('namespaces').values(namespace).returningAll().executeTakeFirstOrThrow();
}

export async function findNamespaceById(db: Executor, id: number): Promise<Namespace | undefined> {
  return db.selectFrom('namespaces').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findNamespaceByFullPath(db: Executor, fullPath: string): Promise<Namespace | undefined> {
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
    query = query.where((eb) => eb(eb.fn('lower', ['full_path']), 'like', `%${filter.search!.toLowerCase()}%`));
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
    const children = await db.selectFrom('namespaces').select('id').where('parent_id', '=', ids[i]!).execute();
    ids.push(...children.map((c) => c.id));
  }
  return ids;
}

/** A group by the `:id` of a URL: a numeric id or a (decoded) full path. */
export async function findGroupByRef(db: Executor, ref: string): Promise<Namespace | undefined> {
  const namespace = /^\d+$/.test(ref) ? await findNamespaceById(db, Number(ref)) : await findNamespaceByFullPath(db, ref);
  return namespace?.kind === 'group' ? namespace : undefined;
}
