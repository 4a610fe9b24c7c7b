import type { Executor } from '../store/database.ts';
import { findMember, membershipsInNamespaces, membershipsOfUserBelow } from '../store/members.repository.ts';
import { groupWithDescendantIds, namespaceWithAncestors } from '../store/namespaces.repository.ts';
import type { Member, Namespace, Project, User } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { compositeIdentityOf, intersectAccess } from './composite-identity.ts';
import type { AccessFacts } from './permissions.ts';

/**
 * The facts the permission functions need about a user and a project: membership is inherited from
 * every ancestor group. For a composite identity (a service account acting for a person) they are
 * the intersection of both sides' facts, so every permission must hold for both.
 */
export async function projectAccessFacts(
  db: Executor,
  user: User | null,
  project: Project,
): Promise<AccessFacts> {
  const composite = compositeIdentityOf(user);
  if (composite) {
    const [a, b] = await Promise.all([
      ownProjectAccessFacts(db, composite.serviceAccount, project),
      ownProjectAccessFacts(db, composite.scopedUser, project),
    ]);
    return intersectAccess(a, b);
  }
  return ownProjectAccessFacts(db, user, project);
}

async function ownProjectAccessFacts(
  db: Executor,
  user: User | null,
  project: Project,
): Promise<AccessFacts> {
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
  let level = highestLevel([...(direct ? [direct] : []), ...inherited]);
  // The owner of a personal namespace owns its projects.
  if (ancestors[0]?.kind === 'user' && ancestors[0].owner_user_id === user.id) level = ACCESS_LEVELS.owner;
  return { user, visibility: project.visibility, memberLevel: level };
}

/** The same for a group: membership of the group or any ancestor (both sides' for a composite identity). */
export async function groupAccessFacts(
  db: Executor,
  user: User | null,
  group: Namespace,
): Promise<AccessFacts> {
  const composite = compositeIdentityOf(user);
  if (composite) {
    const [a, b] = await Promise.all([
      ownGroupAccessFacts(db, composite.serviceAccount, group),
      ownGroupAccessFacts(db, composite.scopedUser, group),
    ]);
    return intersectAccess(a, b);
  }
  return ownGroupAccessFacts(db, user, group);
}

async function ownGroupAccessFacts(db: Executor, user: User | null, group: Namespace): Promise<AccessFacts> {
  if (!user) return { user: null, visibility: group.visibility, memberLevel: ACCESS_LEVELS.none };
  const ancestors = await namespaceWithAncestors(db, group.id);
  const memberships = await membershipsInNamespaces(
    db,
    user.id,
    ancestors.map((n) => n.id),
  );
  const memberLevel = highestLevel(memberships);
  // Only worth asking when nothing else makes the group visible.
  const memberBelow =
    memberLevel === ACCESS_LEVELS.none &&
    group.visibility !== 'public' &&
    (await isMemberBelow(db, user, group));
  return { user, visibility: group.visibility, memberLevel, ...(memberBelow ? { memberBelow } : {}) };
}

/** Whether the user holds a membership in force of a project or group below this group. */
async function isMemberBelow(db: Executor, user: User, group: Namespace): Promise<boolean> {
  const below = await groupWithDescendantIds(db, group.id);
  const memberships = await membershipsOfUserBelow(db, user.id, below);
  return highestLevel(memberships) >= ACCESS_LEVELS.guest;
}

/**
 * The highest level among memberships still in force: a membership ends at the start of its
 * `expires_at` day (UTC), as on the platform, whether or not a cleanup job has removed it yet.
 */
export function highestLevel(memberships: readonly Member[], now: Date = new Date()): number {
  const today = now.toISOString().slice(0, 10);
  return Math.max(
    0,
    ...memberships
      .filter((m) => m.expires_at === null || m.expires_at.slice(0, 10) > today)
      .map((m) => m.access_level),
  );
}
