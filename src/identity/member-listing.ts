import type { Executor } from '../store/database.ts';
import { listMembersOfSources, type MemberSource } from '../store/members.repository.ts';
import { namespaceWithAncestors } from '../store/namespaces.repository.ts';
import type { User } from '../store/schema.ts';
import { findUsersByIds } from '../store/users.repository.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { inheritanceRootOf, sourceOf, type MemberTarget } from './member-target.ts';

/** One member as the API shows it: the user and the membership that gives them their level. */
export interface MemberView {
  user: User;
  accessLevel: number;
  expiresAt: string | null;
  createdAt: string;
  source: MemberSource;
}

/**
 * The direct members of a project or group, in the order they were added.
 *
 * @example
 * const members = await listDirectMembers(db, { kind: 'group', group });
 */
export async function listDirectMembers(db: Executor, target: MemberTarget): Promise<MemberView[]> {
  return views(db, await listMembersOfSources(db, [sourceOf(target)]));
}

/**
 * Direct and inherited members (from every ancestor group, and the owner of a personal namespace),
 * each user once at the highest level they hold — GitLab's `/members/all`.
 */
export async function listAllMembers(db: Executor, target: MemberTarget): Promise<MemberView[]> {
  const root = inheritanceRootOf(target);
  const ancestors = root === null ? [] : await namespaceWithAncestors(db, root);
  const sources: MemberSource[] = [
    sourceOf(target),
    ...ancestors.filter((n) => n.kind === 'group').map((n) => ({ type: 'namespace' as const, id: n.id })),
  ];
  const rows = await listMembersOfSources(db, sources);
  const personal = ancestors.find((n) => n.kind === 'user');
  if (personal?.owner_user_id != null && !rows.some((row) => row.user_id === personal.owner_user_id)) {
    rows.push({
      id: 0,
      source_type: 'namespace',
      source_id: personal.id,
      user_id: personal.owner_user_id,
      access_level: ACCESS_LEVELS.owner,
      expires_at: null,
      created_at: personal.created_at,
    });
  }
  const highest = new Map<number, (typeof rows)[number]>();
  for (const row of rows) {
    const seen = highest.get(row.user_id);
    if (!seen || row.access_level > seen.access_level) highest.set(row.user_id, row);
  }
  return views(db, [...highest.values()]);
}

async function views(
  db: Executor,
  rows: Awaited<ReturnType<typeof listMembersOfSources>>,
): Promise<MemberView[]> {
  const users = new Map(
    (
      await findUsersByIds(
        db,
        rows.map((row) => row.user_id),
      )
    ).map((user) => [user.id, user]),
  );
  return rows.flatMap((row) => {
    const user = users.get(row.user_id);
    if (!user) return [];
    return [
      {
        user,
        accessLevel: row.access_level,
        expiresAt: row.expires_at,
        createdAt: row.created_at,
        source: { type: row.source_type, id: row.source_id },
      },
    ];
  });
}
