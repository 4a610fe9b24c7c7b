import { forbidden, notFound } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { findGroupByRef } from '../store/namespaces.repository.ts';
import { findProjectByRef } from '../store/projects.repository.ts';
import type { Namespace, Project, User } from '../store/schema.ts';
import { groupAccessFacts, projectAccessFacts } from './access-facts.service.ts';
import { canSee, type AccessFacts } from './permissions.ts';

/** A permission question over access facts, such as `canManageProject` from `permissions.ts`. */
export type Permission = (facts: AccessFacts) => boolean;

/**
 * The project a URL names (numeric id or full path) when the user may do what `permission` asks:
 * 404 when it does not exist or is hidden from them, 403 when they see it but may not.
 *
 * @example
 * const { project } = await authorizeProject(db, principal.user, request.params.id, canManageProject);
 */
export async function authorizeProject(
  db: Executor,
  user: User | null,
  ref: string | number,
  permission: Permission = canSee,
): Promise<{ project: Project; facts: AccessFacts }> {
  const project = await findProjectByRef(db, String(ref));
  if (!project) throw notFound('Project');
  const facts = await projectAccessFacts(db, user, project);
  if (!canSee(facts)) throw notFound('Project');
  if (!permission(facts)) throw forbidden();
  return { project, facts };
}

/**
 * The same for a group (numeric id or full path).
 *
 * @example
 * const { group } = await authorizeGroup(db, principal.user, request.params.id, canAdministerGroup);
 */
export async function authorizeGroup(
  db: Executor,
  user: User | null,
  ref: string | number,
  permission: Permission = canSee,
): Promise<{ group: Namespace; facts: AccessFacts }> {
  const group = await findGroupByRef(db, String(ref));
  if (!group) throw notFound('Group');
  const facts = await groupAccessFacts(db, user, group);
  if (!canSee(facts)) throw notFound('Group');
  if (!permission(facts)) throw forbidden();
  return { group, facts };
}
