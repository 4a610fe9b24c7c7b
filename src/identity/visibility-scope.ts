import type { Executor } from '../store/database.ts';
import { listMembershipsOfUser } from '../store/members.repository.ts';
import {
  findNamespaceById,
  findUserNamespace,
  groupWithDescendantIds,
  listAccessibleGroups,
  namespaceWithAncestors,
} from '../store/namespaces.repository.ts';
import type { GroupAccess } from '../store/namespaces.repository.ts';
import { findProjectById, listAccessibleProjects, type ProjectAccess } from '../store/projects.repository.ts';
import type { Member, User, Visibility } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { compositeIdentityOf } from './composite-identity.ts';

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

/** What the user (null: anonymous) may see in listings of groups and projects; both sides of a composite identity. */
export async function visibilityScope(db: Executor, user: User | null): Promise<VisibilityScope> {
  const composite = compositeIdentityOf(user);
  if (composite) {
    const [a, b] = await Promise.all([
      visibilityScope(db, composite.serviceAccount),
      visibilityScope(db, composite.scopedUser),
    ]);
    return intersectScopes(db, a, b);
  }
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
  const above = await groupsAbove(db, reach.memberships);
  return {
    groups: { visibilities, ids: [...new Set([...reach.groupIds, ...above])] },
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
  const composite = compositeIdentityOf(user);
  if (composite) {
    const [a, b] = await Promise.all([
      membershipScope(db, composite.serviceAccount, minAccessLevel),
      membershipScope(db, composite.scopedUser, minAccessLevel),
    ]);
    return intersectScopes(db, a, b);
  }
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
): Promise<{ groupIds: number[]; projectIds: number[]; namespaceIds: number[]; memberships: Member[] }> {
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
  return { groupIds: [...groupIds], projectIds, namespaceIds, memberships };
}

/**
 * The groups above the user's memberships (of projects and of subgroups): as on GitLab, a member
 * below a private group sees it — the listing form of `memberBelow` in the access facts.
 */
async function groupsAbove(db: Executor, memberships: readonly Member[]): Promise<number[]> {
  const parents = new Set<number>();
  for (const membership of memberships) {
    const parent =
      membership.source_type === 'project'
        ? (await findProjectById(db, membership.source_id))?.namespace_id
        : (await findNamespaceById(db, membership.source_id))?.parent_id;
    if (parent !== undefined && parent !== null) parents.add(parent);
  }
  const ids = new Set<number>();
  for (const parent of parents) {
    if (ids.has(parent)) continue;
    for (const namespace of await namespaceWithAncestors(db, parent)) {
      if (namespace.kind === 'group') ids.add(namespace.id);
    }
  }
  return [...ids];
}

/** More than any service account is a member of; the intersection lists explicit ids up to this. */
const MAX_COMPOSITE_CANDIDATES = 10_000;

/**
 * The listing scope of a composite identity: what both sides see. Visibilities both see stay
 * visibilities; what either side reaches through membership is enumerated and kept when the other
 * side sees it too, as explicit ids (the listing queries OR their conditions, so an intersection of
 * two scopes has no other exact form).
 */
async function intersectScopes(
  db: Executor,
  a: VisibilityScope,
  b: VisibilityScope,
): Promise<VisibilityScope> {
  return {
    projects: await intersectProjects(db, a.projects, b.projects),
    groups: await intersectGroups(db, a.groups, b.groups),
  };
}

async function intersectProjects(
  db: Executor,
  a: ProjectAccess | undefined,
  b: ProjectAccess | undefined,
): Promise<ProjectAccess | undefined> {
  if (!a) return b;
  if (!b) return a;
  const reaches = (access: ProjectAccess, p: { id: number; namespace_id: number; visibility: Visibility }) =>
    access.visibilities.includes(p.visibility) ||
    access.projectIds.includes(p.id) ||
    access.namespaceIds.includes(p.namespace_id);
  const ids = new Set<number>();
  for (const side of [a, b]) {
    const members = await listAccessibleProjects(db, {
      access: { visibilities: [], projectIds: side.projectIds, namespaceIds: side.namespaceIds },
      limit: MAX_COMPOSITE_CANDIDATES,
      offset: 0,
    });
    for (const project of members) if (reaches(a, project) && reaches(b, project)) ids.add(project.id);
  }
  return {
    visibilities: a.visibilities.filter((v) => b.visibilities.includes(v)),
    projectIds: [...ids],
    namespaceIds: [],
  };
}

async function intersectGroups(
  db: Executor,
  a: GroupAccess | undefined,
  b: GroupAccess | undefined,
): Promise<GroupAccess | undefined> {
  if (!a) return b;
  if (!b) return a;
  const reaches = (access: GroupAccess, g: { id: number; visibility: Visibility }) =>
    access.visibilities.includes(g.visibility) || access.ids.includes(g.id);
  const candidates = await listAccessibleGroups(db, {
    access: { visibilities: [], ids: [...new Set([...a.ids, ...b.ids])] },
    limit: MAX_COMPOSITE_CANDIDATES,
    offset: 0,
  });
  return {
    visibilities: a.visibilities.filter((v) => b.visibilities.includes(v)),
    ids: candidates.filter((g) => reaches(a, g) && reaches(b, g)).map((g) => g.id),
  };
}
