import type { Executor } from './database.ts';
import type { Member } from './schema.ts';

export type MemberSource = { type: 'project' | 'namespace'; id: number };

export async function insertMember(
  db: Executor,
  member: { source: MemberSource; userId: number; accessLevel: number; expiresAt: string | null; createdAt: string },
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

export async function findMember(db: Executor, source: MemberSource, userId: number): Promise<Member | undefined> {
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
export async function membershipsInNamespaces(db: Executor, userId: number, namespaceIds: number[]): Promise<Member[]> {
  if (namespaceIds.length === 0) return [];
  return db
    .selectFrom('members')
    .selectAll()
    .where('user_id', '=', userId)
    .where('source_type', '=', 'namespace')
    .where('source_id', 'in', namespaceIds)
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
