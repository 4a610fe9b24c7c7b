import type { Executor } from '../store/database.ts';
import { findMember, membershipsInNamespaces } from '../store/members.repository.ts';
import { namespaceWithAncestors } from '../store/namespaces.repository.ts';
import type { Namespace, Project, User } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import type { AccessFacts } from './permissions.ts';

/** The facts the permission functions need about a user and a project: membership is inherited from every ancestor group. */
export async function projectAccessFacts(db: Executor, user: User | null, project: Project): Promise<AccessFacts> {
  if (!user) return { user: null, visibility: project.visibility, memberLevel: ACCESS_LEVELS.none };
  const [direct, ancestors] = await Promise.all([
    findMember(db, { type: 'project', id: project.id }, user.id),
    namespaceWithAncestors(db, project.namespace_id),
  ]);
  const inherited = await membershipsInNamespaces(
    db,
    user.id,
    ancestors.map((n) => n.id),
  );
  let level = Math.max(direct?.access_level ?? 0, ...inherited.map((m) => m.access_level));
  // The owner of a personal namespace owns its projects.
  if (ancestors[0]?.kind === 'user' && ancestors[0].owner_user_id === user.id) level = ACCESS_LEVELS.owner;
  return { user, visibility: project.visibility, memberLevel: level };
}

/** The same for a group: membership of the group or any ancestor. */
export async function groupAccessFacts(db: Executor, user: User | null, group: Namespace): Promise<AccessFacts> {
  if (!user) return { user: null, visibility: group.visibility, memberLevel: ACCESS_LEVELS.none };
  const ancestors = await namespaceWithAncestors(db, group.id);
  const memberships = await membershipsInNamespaces(
    db,
    user.id,
    ancestors.map((n) => n.id),
  );
  return {
    user,
    visibility: group.visibility,
    memberLevel: Math.max(0, ...memberships.map((m) => m.access_level)),
  };
}
