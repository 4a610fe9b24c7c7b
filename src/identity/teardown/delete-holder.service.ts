import { forbidden, notFound, TesseraError } from '../../errors/tessera-error.ts';
import { listGroupIdsSolelyOwnedBy } from '../../store/credential-holders.repository.ts';
import { findUserById } from '../../store/users.repository.ts';
import { actorFor, type ActingUser } from '../acting-user.ts';
import { canAdministerGroup, canDeleteProject } from '../permissions.ts';
import { authorizeGroup, authorizeProject } from '../resource-access.ts';
import {
  afterTeardown,
  tearDownHolders,
  type HolderRoots,
  type TeardownReason,
} from './credential-teardown.ts';
import type { TeardownDeps } from './teardown-deps.ts';

async function tearDown(
  deps: TeardownDeps,
  acting: ActingUser,
  roots: HolderRoots,
  reason: TeardownReason,
): Promise<void> {
  const removed = await deps.access.db
    .transaction()
    .execute((trx) => tearDownHolders(trx, deps, actorFor(acting), roots, reason));
  await afterTeardown(deps, removed);
}

/**
 * Deletes a project (owners and administrators) at once, and every credential it holds with it.
 * The platform may delay deletion; Tessera never does, so no credential waits out a grace period.
 *
 * @example
 * await deleteProject(teardownDeps(context), { user: alice, ip }, 'platform/api');
 */
export async function deleteProject(
  deps: TeardownDeps,
  acting: ActingUser,
  projectRef: string,
): Promise<void> {
  const { project } = await authorizeProject(deps.access.db, acting.user, projectRef, canDeleteProject);
  await tearDown(deps, acting, { projectIds: [project.id] }, 'project_deleted');
}

/** Deletes a group (owners and administrators) with its subgroups, their projects, and every credential of them. */
export async function deleteGroup(deps: TeardownDeps, acting: ActingUser, groupRef: string): Promise<void> {
  const { group } = await authorizeGroup(deps.access.db, acting.user, groupRef, canAdministerGroup);
  await tearDown(deps, acting, { groupIds: [group.id] }, 'group_deleted');
}

/**
 * Deletes a user (administrators only) with their personal projects and every credential they hold.
 * A sole owner of a group is refused unless `hardDelete`, which deletes those groups too, as on the
 * platform; without it, their contributions (pipelines, jobs) stay, attributed to nobody.
 */
export async function deleteUser(
  deps: TeardownDeps,
  acting: ActingUser,
  userId: number,
  options: { hardDelete: boolean },
): Promise<void> {
  if (!acting.user.is_admin) throw forbidden();
  const user = await findUserById(deps.access.db, userId);
  if (!user) throw notFound('User');
  const soleOwned = await listGroupIdsSolelyOwnedBy(deps.access.db, user.id);
  if (soleOwned.length > 0 && !options.hardDelete)
    throw new TesseraError('conflict', 'User cannot be removed while is the sole-owner of a group');
  await tearDown(deps, acting, { userIds: [user.id], groupIds: soleOwned }, 'user_deleted');
}
