import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, notFound, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject, canWriteRepository } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { ProtectedBranch } from '../store/ci-schema.ts';
import {
  ciSettingsOf,
  deleteProtectedBranch,
  insertProtectedBranch,
  listProtectedBranches,
  updateCiSettings,
} from '../store/ci-settings.repository.ts';
import { ACCESS_LEVELS } from '../identity/access-levels.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import type { CiDeps } from './ci-deps.ts';

/** The push access levels a protected branch may require: No one, Developers + Maintainers, Maintainers. */
export const PUSH_ACCESS_LEVELS: readonly number[] = [0, 30, 40];

/** A protected-branch rule as the API lists it; the default branch's own protection has no row (`id` null). */
export type ProtectedBranchRule = Pick<ProtectedBranch, 'name' | 'push_access_level'> & { id: number | null };

/**
 * The project's protected-branch rules (developers may read them, as in GitLab), the default branch's
 * protection first when the project keeps it and no rule of that name replaces it: GitLab lists it too.
 */
export async function listProjectProtectedBranches(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
): Promise<ProtectedBranchRule[]> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canWriteRepository);
  const [settings, rules] = await Promise.all([
    ciSettingsOf(deps.db, project.id),
    listProtectedBranches(deps.db, project.id),
  ]);
  const implicit =
    settings.default_branch_protected === 1 && !rules.some((rule) => rule.name === project.default_branch);
  return implicit
    ? [{ id: null, name: project.default_branch, push_access_level: ACCESS_LEVELS.maintainer }, ...rules]
    : rules;
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

/**
 * Removes the rule of that name (maintainers); 404 when there is none. Unprotecting the default branch
 * when no rule names it turns off its implicit protection (the project's setting). Audited.
 */
export async function unprotectBranch(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  name: string,
): Promise<void> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  await inTransaction(deps.db, async (trx) => {
    if (!(await deleteProtectedBranch(trx, project.id, name))) {
      const settings = await ciSettingsOf(trx, project.id);
      if (name !== project.default_branch || settings.default_branch_protected !== 1) {
        throw notFound('Protected Branch');
      }
      await updateCiSettings(
        trx,
        project.id,
        { default_branch_protected: 0 },
        deps.clock.now().toISOString(),
      );
    }
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'protected_branch.deleted',
      entity: { type: 'Project', id: project.id },
      target: { type: 'ProtectedBranch', id: null, details: name },
    });
  });
}
