import type { Executor } from '../store/database.ts';
import { listMembershipsOfUser } from '../store/members.repository.ts';
import { findUserNamespace, groupWithDescendantIds } from '../store/namespaces.repository.ts';
import type { GroupAccess } from '../store/namespaces.repository.ts';
import type { ProjectAccess } from '../store/projects.repository.ts';
import type { User, Visibility } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';

/*
 * The set-based form of `canSee` for listings: which visibilities a user sees everywhere, and which
 * groups and projects they reach through membership. It must answer what `canSee` answers for each
 * single resource (membership inherits downwards; the personal namespace is owned).
 */

/** `undefined` access means everything (an administrator). */
export interface VisibilityScope {
  groups: GroupAccess | undefined;
  projects: ProjectAccess | undefined;
}

const NOTHING: VisibilityScope = {
  groups: { visibilities: [], ids: [] },
  projects: { visibilities: [], projectIds: [], namespaceIds: [] },
};

/** What the user (null: anonymous) may see in listings of groups and projects. */
export async function visibilityScope(db: Executor, user: User | null): Promise<VisibilityScope> {
  if (!user) {
    return {
      groups: { visibilities: ['public'], ids: [] },
      projects: { visibilities: ['public'], projectIds: [], namespaceIds: [] },
    };
  }
  if (user.state !== 'active') return NOTHING;
  if (user.is_admin) return { groups: undefined, projects: undefined };
  const visibilities: Visibility[] = user.bot_kind === null ? ['public', 'internal'] : ['public'];
  const reach = await membershipReach(db, user, ACCESS_LEVELS.guest);
  return {
    groups: { visibilities, ids: reach.groupIds },
    projects: { visibilities, projectIds: reach.projectIds, namespaceIds: reach.namespaceIds },
  };
}

/**
 * What the user is a member of, directly or through a group, at `minAccessLevel` or above
 * (`membership=true`, `min_access_level`, `owned` listings); an admin's own memberships only.
 */
export async function membershipScope(
  db: Executor,
  user: User,
  minAccessLevel: number = ACCESS_LEVELS.guest,
): Promise<VisibilityScope> {
  if (user.state !== 'active') return NOTHING;
  const reach = await membershipReach(db, user, minAccessLevel);
  return {
    groups: { visibilities: [], ids: reach.groupIds },
    projects: { visibilities: [], projectIds: reach.projectIds, namespaceIds: reach.namespaceIds },
  };
}

async function membershipReach(
  db: Executor,
  user: User,
  minAccessLevel: number,
): Promise<{ groupIds: number[]; projectIds: number[]; namespaceIds: number[] }> {
  const [all, personal] = await Promise.all([
    listMembershipsOfUser(db, user.id),
    findUserNamespace(db, user.id),
  ]);
  const memberships = all.filter((m) => m.access_level >= minAccessLevel);
  const projectIds = memberships.filter((m) => m.source_type === 'project').map((m) => m.source_id);
  const groupIds = new Set<number>();
  for (const membership of memberships.filter((m) => m.source_type === 'namespace')) {
    if (groupIds.has(membership.source_id)) continue;
    for (const id of await groupWithDescendantIds(db, membership.source_id)) groupIds.add(id);
  }
  const namespaceIds = [...groupIds];
  // The owner of a personal namespace holds every level there.
  if (personal) namespaceIds.push(personal.id);
  return { groupIds: [...groupIds], projectIds, namespaceIds };
}
