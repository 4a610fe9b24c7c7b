import type { User, Visibility } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';

/*
 * Permission decisions as pure functions of plain facts, so they are tested as a table and every
 * transport asks the same question the same way.
 */

/** What is known about a user's standing towards one project or group. */
export interface AccessFacts {
  /** null for an anonymous request. */
  user: Pick<User, 'id' | 'is_admin' | 'state' | 'bot_kind'> | null;
  visibility: Visibility;
  /** Highest level among the direct membership and the memberships of every ancestor group. */
  memberLevel: number;
  /**
   * For a group: the user is a member of a project or subgroup below it. As on GitLab, that lets them
   * see the group (its page, and whether it exists) and nothing more: it grants no level.
   */
  memberBelow?: boolean;
}

/** The level the user effectively holds: membership, or owner-equivalent for an admin. */
export function effectiveAccessLevel(facts: AccessFacts): number {
  if (!facts.user || facts.user.state !== 'active') return ACCESS_LEVELS.none;
  if (facts.user.is_admin) return ACCESS_LEVELS.owner;
  return facts.memberLevel;
}

/** Whether the project or group is visible at all: public to all, internal to signed-in people, private to members. */
export function canSee(facts: AccessFacts): boolean {
  if (facts.user && facts.user.state !== 'active') return false;
  if (effectiveAccessLevel(facts) >= ACCESS_LEVELS.guest) return true;
  if (facts.visibility === 'public' || facts.memberBelow === true) return true;
  // Bots are members of exactly what they were made for; internal visibility does not extend to them.
  return facts.visibility === 'internal' && facts.user !== null && facts.user.bot_kind === null;
}

/** Reading code (clone, pull images): reporter on a private project, anyone who can see a public or internal one. */
export function canReadRepository(facts: AccessFacts): boolean {
  if (!canSee(facts)) return false;
  if (facts.visibility !== 'private') return true;
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.reporter;
}

/** Pushing code or images. */
export function canWriteRepository(facts: AccessFacts): boolean {
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.developer;
}

/** Managing members, access tokens and deploy tokens of a project. */
export function canManageProject(facts: AccessFacts): boolean {
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.maintainer;
}

/** Deleting a project: its owners and administrators, as on the platform. */
export function canDeleteProject(facts: AccessFacts): boolean {
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.owner;
}

/** Listing the runners that serve a group (GitLab's `read_group_runners`): its maintainers. */
export function canReadGroupRunners(facts: AccessFacts): boolean {
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.maintainer;
}

/** Managing a group's tokens and deleting it. */
export function canAdministerGroup(facts: AccessFacts): boolean {
  return effectiveAccessLevel(facts) >= ACCESS_LEVELS.owner;
}

/** Adding or changing a member at `level`: nobody grants more than they hold (owners excepted). */
export function canGrantAccessLevel(facts: AccessFacts, level: number): boolean {
  const own = effectiveAccessLevel(facts);
  return own >= ACCESS_LEVELS.maintainer && (own >= ACCESS_LEVELS.owner || level <= own);
}
