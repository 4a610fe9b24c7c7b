import { recordAudit } from '../audit/audit-log.ts';
import type { CiDeps } from '../ci/ci-deps.ts';
import { updateProjectCiSettings, type ProjectCiSettingsChange } from '../ci/project-ci-settings.service.ts';
import { badRequest, forbidden } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { ACCESS_LEVELS } from '../identity/access-levels.ts';
import { canManageProject, effectiveAccessLevel } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import { exceedsVisibility } from '../identity/visibility.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { findNamespaceById } from '../store/namespaces.repository.ts';
import { updateProject } from '../store/projects.repository.ts';
import type { Project, Visibility } from '../store/schema.ts';
import { reconcileAutoDevOpsToken } from '../tokens/deploy/auto-devops.service.ts';
import type { DeployTokenDeps } from '../tokens/deploy/deploy-token-deps.ts';
import {
  MAX_GRACE_SECONDS,
  updateProjectDeploySettings,
  type ProjectDeploySettingsChange,
} from '../tokens/deploy/project-deploy-settings.service.ts';

/*
 * `PUT /projects/:id`, assembled in one place: the project's own fields, its CI settings and its
 * deploy-token settings, and what follows from them. Every part is checked before anything is
 * written, so a bad field changes nothing; then the parts are written, each audited, and the
 * consequences applied: a change of visibility or of Auto DevOps creates or revokes the project's
 * `gitlab-deploy-token` (a public project's registry is pulled anonymously and needs none).
 */

export interface ProjectChange {
  visibility?: Visibility;
  ci?: ProjectCiSettingsChange;
  deploy?: ProjectDeploySettingsChange;
}

/** The CI module's and the deploy-token module's dependencies: the two parts a project change reaches. */
export interface ProjectChangeDeps {
  ci: CiDeps;
  deploy: DeployTokenDeps;
}

export async function changeProject(
  deps: ProjectChangeDeps,
  acting: ActingUser,
  ref: string,
  change: ProjectChange,
): Promise<Project> {
  const { db, clock } = deps.ci;
  const { project, facts } = await authorizeProject(db, acting.user, ref, canManageProject);
  if (change.visibility !== undefined && change.visibility !== project.visibility) {
    // As on the platform, only owners change who may see a project.
    if (effectiveAccessLevel(facts) < ACCESS_LEVELS.owner) {
      throw forbidden('403 Forbidden - only an owner changes the visibility');
    }
    const namespace = await findNamespaceById(db, project.namespace_id);
    if (namespace?.kind === 'group' && exceedsVisibility(change.visibility, namespace.visibility)) {
      throw badRequest(
        'visibility_level',
        `${change.visibility} is not allowed in a ${namespace.visibility} group`,
      );
    }
  }
  const grace = change.deploy?.graceSeconds;
  if (grace !== undefined && (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS)) {
    throw badRequest(
      'deploy_token_grace_period',
      `must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`,
    );
  }

  // The CI part checks its own fields before it writes; it goes first, so nothing is written when it refuses.
  if (change.ci && Object.keys(change.ci).length > 0) {
    await updateProjectCiSettings(deps.ci, acting, String(project.id), change.ci);
  }
  if (change.deploy && Object.keys(change.deploy).length > 0) {
    // Its Auto DevOps change reconciles the deploy token itself.
    await updateProjectDeploySettings(
      deps.deploy,
      actorFor(acting),
      acting.user,
      String(project.id),
      change.deploy,
    );
  }
  let current = project;
  if (change.visibility !== undefined && change.visibility !== project.visibility) {
    const visibility = change.visibility;
    current = await inTransaction(db, async (trx) => {
      const updated = (await updateProject(trx, project.id, { visibility }))!;
      await recordAudit(trx, clock, actorFor(acting), {
        action: 'project.visibility_changed',
        entity: { type: 'project', id: project.id },
        target: { type: 'project', id: project.id, details: project.full_path },
        details: { from: project.visibility, to: visibility },
      });
      return updated;
    });
    await reconcileAutoDevOpsToken(deps.deploy, actorFor(acting), current);
  }
  return current;
}
