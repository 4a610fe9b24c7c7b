import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, notFound, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject, canWriteRepository } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { ProtectedBranch } from '../store/ci-schema.ts';
import {
  deleteProtectedBranch,
  insertProtectedBranch,
  listProtectedBranches,
} from '../store/ci-settings.repository.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import type { CiDeps } from './ci-deps.ts';

/** The push access levels a protected branch may require: No one, Developers + Maintainers, Maintainers. */
export const PUSH_ACCESS_LEVELS: readonly number[] = [0, 30, 40];

/** The project's protected-branch rules (developers may read them, as in GitLab). */
export async function listProjectProtectedBranches(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
): Promise<ProtectedBranch[]> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canWriteRepository);
  return listProtectedBranches(deps.db, project.id);
}

/**
 * Protects a branch or a `*` pattern (maintainers); a second rule of the same name is a 409. Audited.
 *
 * @example
 * await protectBranch(deps, { user, ip }, '42', { name: 'release/*', pushAccessLevel: 40 });
 */
export async function protectBranch(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  input: { name: string; pushAccessLevel: number },
): Promise<ProtectedBranch> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  if (!PUSH_ACCESS_LEVELS.includes(input.pushAccessLevel)) {
    throw badRequest('push_access_level', 'does not have a valid value');
  }
  try {
    return await inTransaction(deps.db, async (trx) => {
      const created = await insertProtectedBranch(trx, {
        projectId: project.id,
        name: input.name,
        pushAccessLevel: input.pushAccessLevel,
        createdAt: deps.clock.now().toISOString(),
      });
      await recordAudit(trx, deps.clock, actorFor(acting), {
        action: 'protected_branch.created',
        entity: { type: 'Project', id: project.id },
        target: { type: 'ProtectedBranch', id: created.id, details: input.name },
        details: { push_access_level: input.pushAccessLevel },
      });
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new TesseraError('conflict', `Protected branch '${input.name}' already exists`);
    }
    throw error;
  }
}

/** Removes the rule of that name (maintainers); 404 when there is none. Audited. */
export async function unprotectBranch(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  name: string,
): Promise<void> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  await inTransaction(deps.db, async (trx) => {
    if (!(await deleteProtectedBranch(trx, project.id, name))) throw notFound('Protected Branch');
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'protected_branch.deleted',
      entity: { type: 'Project', id: project.id },
      target: { type: 'ProtectedBranch', id: null, details: name },
    });
  });
}
