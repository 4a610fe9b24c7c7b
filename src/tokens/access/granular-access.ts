import { insufficientGranularScope } from '../../errors/tessera-error.ts';
import { ACCESS_LEVELS } from '../../identity/access-levels.ts';
import { groupAccessFacts, projectAccessFacts } from '../../identity/access-facts.service.ts';
import type { Permission } from '../../identity/permission-catalogue.ts';
import type { GranularGrant } from '../../identity/principal.ts';
import type { Executor } from '../../store/database.ts';
import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import type { Namespace, Project, User } from '../../store/schema.ts';

/**
 * What a request acts on, for a fine-grained token's check: a project, a group, or neither (a route
 * about the user or the instance).
 */
export type GranularTarget =
  | { readonly kind: 'project'; readonly project: Project }
  | { readonly kind: 'group'; readonly group: Namespace }
  | { readonly kind: 'none' };

/**
 * Whether the grants hold `permission` on a boundary containing the target. A selected group covers
 * its subgroups and their projects; `all_memberships` covers what the user is a member of (directly
 * or through a group); `personal_projects` the projects of the user's own namespace. Without a
 * target, a `user` or `instance` grant holds it — and, for a permission that applies only to
 * projects and groups (a route whose project is not in its path), any grant that names it: the
 * route's own authorization then decides on the project it finds.
 */
export async function holdsGranularPermission(
  db: Executor,
  user: User,
  grants: readonly GranularGrant[],
  permission: Permission,
  target: GranularTarget,
): Promise<boolean> {
  const naming = grants.filter((grant) => grant.permissions.includes(permission.name));
  if (naming.length === 0) return false;
  if (target.kind === 'none') {
    if (naming.some((grant) => grant.access === 'user' || grant.access === 'instance')) return true;
    return !permission.boundaries.some((boundary) => boundary === 'user' || boundary === 'instance');
  }
  const namespaceId = target.kind === 'project' ? target.project.namespace_id : target.group.id;
  // Loaded once, and only when a grant needs the hierarchy.
  let chain: Namespace[] | undefined;
  const ancestors = async () => (chain ??= await namespaceWithAncestors(db, namespaceId));
  for (const grant of naming) {
    switch (grant.access) {
      case 'selected_memberships':
        if (target.kind === 'project' && grant.project_id === target.project.id) return true;
        if (grant.group_id !== null && (await ancestors()).some((n) => n.id === grant.group_id)) return true;
        break;
      case 'all_memberships':
        if (await isMember(db, user, target)) return true;
        break;
      case 'personal_projects': {
        const own = (await ancestors())[0];
        if (target.kind === 'project' && own?.kind === 'user' && own.owner_user_id === user.id) return true;
        break;
      }
      default:
        // A user or instance grant reaches no project or group.
        break;
    }
  }
  return false;
}

/** Every permission held for the target, or a 403 `insufficient_granular_scope` naming the first missing. */
export async function assertGranularPermissions(
  db: Executor,
  user: User,
  grants: readonly GranularGrant[],
  permissions: readonly Permission[],
  target: GranularTarget,
): Promise<void> {
  for (const permission of permissions) {
    if (!(await holdsGranularPermission(db, user, grants, permission, target))) {
      throw insufficientGranularScope(permission.name);
    }
  }
}

/** Membership, not administration: an administrator's fine-grained token reaches what they belong to. */
async function isMember(db: Executor, user: User, target: GranularTarget): Promise<boolean> {
  const asMember = { ...user, is_admin: 0 };
  if (target.kind === 'project') {
    return (await projectAccessFacts(db, asMember, target.project)).memberLevel >= ACCESS_LEVELS.guest;
  }
  if (target.kind === 'group') {
    return (await groupAccessFacts(db, asMember, target.group)).memberLevel >= ACCESS_LEVELS.guest;
  }
  return false;
}
