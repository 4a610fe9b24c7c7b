import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import { canManageProject } from '../../identity/permissions.ts';
import { authorizeProject } from '../../identity/resource-access.ts';
import type { Executor } from '../../store/database.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findProjectDeploySettings,
  upsertProjectDeploySettings,
} from '../../store/project-deploy-settings.repository.ts';
import type { Project, User } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { instanceAutoDevOps, reconcileAutoDevOpsToken } from './auto-devops.service.ts';
import { DEFAULT_GRACE_SECONDS, type DeployTokenDeps } from './deploy-token-deps.ts';

/** Longest grace period a project may give a rotated deploy token's old secret: 30 days. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** A project's Auto DevOps and deploy token settings, in the API's field names. */
export interface ProjectDeploySettingsView {
  /** Whether Auto DevOps applies, by the project's own setting or the instance default. */
  auto_devops_enabled: boolean;
  /** The project's own setting; null when it follows the instance. */
  auto_devops_override: boolean | null;
  /** Seconds a rotated deploy token's old secret keeps working. */
  deploy_token_grace_period: number;
  /** `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD` only for jobs that deploy to an environment. */
  deploy_token_variables_environment_only: boolean;
}

/** A change asked for; absent fields stay as they are. `autoDevOpsEnabled: null` returns to the instance default. */
export interface ProjectDeploySettingsChange {
  autoDevOpsEnabled?: boolean | null;
  graceSeconds?: number;
  environmentOnly?: boolean;
}

export async function projectDeploySettingsView(
  db: Executor,
  project: Project,
): Promise<ProjectDeploySettingsView> {
  const row = await findProjectDeploySettings(db, project.id);
  const override =
    row?.auto_devops_enabled === null || row === undefined ? null : row.auto_devops_enabled === 1;
  return {
    auto_devops_enabled: override ?? (await instanceAutoDevOps(db)),
    auto_devops_override: override,
    deploy_token_grace_period: row?.deploy_token_grace_seconds ?? DEFAULT_GRACE_SECONDS,
    deploy_token_variables_environment_only: row?.deploy_variables_environment_only === 1,
  };
}

/**
 * Changes a project's settings (maintainers; 404 when hidden, 403 otherwise) and, when its Auto DevOps
 * setting changed, creates or revokes its `gitlab-deploy-token` in step. Audited without secrets.
 */
export async function updateProjectDeploySettings(
  deps: DeployTokenDeps,
  actor: Actor,
  requester: User,
  projectRef: string,
  change: ProjectDeploySettingsChange,
): Promise<{ project: Project; settings: ProjectDeploySettingsView }> {
  const { project } = await authorizeProject(deps.db, requester, projectRef, canManageProject);
  if (change.graceSeconds !== undefined) {
    const grace = change.graceSeconds;
    if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw badRequest(
        'deploy_token_grace_period',
        `must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`,
      );
    }
  }
  const columns = {
    ...(change.autoDevOpsEnabled === undefined
      ? {}
      : { auto_devops_enabled: change.autoDevOpsEnabled === null ? null : change.autoDevOpsEnabled ? 1 : 0 }),
    ...(change.graceSeconds === undefined ? {} : { deploy_token_grace_seconds: change.graceSeconds }),
    ...(change.environmentOnly === undefined
      ? {}
      : { deploy_variables_environment_only: change.environmentOnly ? 1 : 0 }),
  };
  if (Object.keys(columns).length > 0) {
    await inTransaction(deps.db, async (trx) => {
      await upsertProjectDeploySettings(trx, project.id, columns, isoNow(deps.clock));
      await recordAudit(trx, deps.clock, actor, {
        action: 'project_setting.updated',
        entity: { type: 'Project', id: project.id },
        target: { type: 'Project', id: project.id, details: project.full_path },
        details: columns,
      });
    });
  }
  if (change.autoDevOpsEnabled !== undefined) await reconcileAutoDevOpsToken(deps, actor, project);
  return { project, settings: await projectDeploySettingsView(deps.db, project) };
}
