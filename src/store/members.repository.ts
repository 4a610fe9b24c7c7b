import type { Executor } from './database.ts';
import type { Member } from './schema.ts';

export type MemberSource = { type: 'project' | 'namespace'; id: number };

export async function insertMember(
  db: Executor,
  member: {
    source: MemberSource;
    userId: number;
    accessLevel: number;
    expiresAt: string | null;
    createdAt: string;
  },
): Promise<Member> {
  return db
    .insertInto('members')
    .values({
      source_type: member.source.type,
      source_id: member.source.id,
      user_id: member.userId,
      access_level: member.accessLevel,
      expires_at: member.expiresAt,
      created_at: member.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findMember(
  db: Executor,
  source: MemberSource,
  userId: number,
): Promise<Member | undefined> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function listMembers(db: Executor, source: MemberSource): Promise<Member[]> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .orderBy('id')
    .execute();
}

/** The user's memberships of the given namespaces (for inherited project access). */
export async function membershipsInNamespaces(
  db: Executor,
  userId: number,
  namespaceIds: number[],
): Promise<Member[]> {
  if (namespaceIds.length === 0) return [];
  return db
    .selectFrom('members')
    .selectAll()
    .where('user_id', '=', userId)
    .where('source_type', '=', 'namespace')
    .where('source_id', 'in', namespaceIds)
    .execute();
}

/** The user's memberships of the given groups and of the projects directly in them. */
export async function membershipsOfUserBelow(
  db: Executor,
  userId: number,
  namespaceIds: number[],
): Promise<Member[]> {
  if (namespaceIds.length === 0) return [];
  return db
    .selectFrom('members')
    .selectAll()
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([
        eb.and([eb('source_type', '=', 'namespace'), eb('source_id', 'in', namespaceIds)]),
        eb.and([
          eb('source_type', '=', 'project'),
          eb(
            'source_id',
            'in',
            eb
              .selectFrom('projects')
              .select('projects.id')
              .where('projects.namespace_id', 'in', namespaceIds),
          ),
        ]),
      ]),
    )
    .execute();
}

export async function updateMemberAccessLevel(
  db: Executor,
  source: MemberSource,
  userId: number,
  accessLevel: number,
): Promise<Member | undefined> {
  return db
    .updateTable('members')
    .set({ access_level: accessLevel })
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteMember(db: Executor, source: MemberSource, userId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('members')
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every membership the user holds, of projects and of groups. */
export async function listMembershipsOfUser(db: Executor, userId: number): Promise<Member[]> {
  return db.selectFrom('members').selectAll().where('user_id', '=', userId).execute();
}

/** The members of several sources at once (a project and its ancestor groups). */
export async function listMembersOfSources(
  db: Executor,
  sources: readonly MemberSource[],
): Promise<Member[]> {
  if (sources.length === 0) return [];
  return db
    .selectFrom('members')
    .selectAll()
    .where((eb) =>
      eb.or(
        sources.map((source) =>
          eb.and([eb('source_type', '=', source.type), eb('source_id', '=', source.id)]),
        ),
      ),
    )
    .orderBy('id')
    .execute();
}

/** Members of the source at exactly this level (how many owners a group has left). */
export async function countMembersAtLevel(
  db: Executor,
  source: MemberSource,
  accessLevel: number,
): Promise<number> {
  const row = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('access_level', '=', accessLevel)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateMemberExpiry(
  db: Executor,
  source: MemberSource,
  userId: number,
  expiresAt: string | null,
): Promise<Member | undefined> {
  return db
    .updateTable('members')
    .set({ expires_at: expiresAt })
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
}
