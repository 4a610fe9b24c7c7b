import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import {
  readApplicationSetting,
  writeApplicationSetting,
} from '../../store/application-settings.repository.ts';
import { listDeployTokens, revokeDeployToken } from '../../store/deploy-tokens.repository.ts';
import type { Executor } from '../../store/database.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findProjectDeploySettings,
  listNonPublicProjectIds,
  listProjectsWithAutoDevOpsOverride,
  lockProjectDeployTokens,
} from '../../store/project-deploy-settings.repository.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import type { Project } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { publishEviction } from '../cache-evictions.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { GITLAB_DEPLOY_TOKEN_NAME } from './deploy-token-state.ts';
import { auditDeployToken, countIssuedDeployToken, issueDeployToken } from './issue-deploy-token.ts';

/** The application setting "Auto DevOps for all projects". */
export const AUTO_DEVOPS_SETTING = 'auto_devops_enabled';

/** What one reconciliation did to a project's `gitlab-deploy-token`. */
export type ProvisioningOutcome = 'created' | 'revoked' | 'unchanged';

/** The instance default; off until an administrator turns it on. */
export async function instanceAutoDevOps(db: Executor): Promise<boolean> {
  return (await readApplicationSetting(db, AUTO_DEVOPS_SETTING)) === true;
}

/** Whether Auto DevOps applies to a project: its own setting when it has one, else the instance's. */
export function autoDevOpsEffective(instanceDefault: boolean, projectOverride: boolean | null): boolean {
  return projectOverride ?? instanceDefault;
}

/** A project needs `gitlab-deploy-token` when Auto DevOps applies and its registry is not public. */
export function needsDeployToken(project: Pick<Project, 'visibility'>, effective: boolean): boolean {
  return effective && project.visibility !== 'public';
}

/** Whether Auto DevOps applies to the project now. */
export async function projectAutoDevOps(db: Executor, project: Project): Promise<boolean> {
  const settings = await findProjectDeploySettings(db, project.id);
  const override = settings?.auto_devops_enabled ?? null;
  if (override !== null) return autoDevOpsEffective(false, override === 1);
  return autoDevOpsEffective(await instanceAutoDevOps(db), null);
}

/**
 * Brings a project's `gitlab-deploy-token` in line with Auto DevOps: creates it (read_registry, sealed
 * so CI jobs can receive it) when Auto DevOps applies to a private or internal project that has no
 * active token of that name, and revokes the auto-created one when it no longer applies. A token a
 * user created under that name is used, never revoked here. Each step is audited with the change.
 */
export async function reconcileAutoDevOpsToken(
  deps: DeployTokenDeps,
  actor: Actor,
  project: Project,
  effective?: boolean,
): Promise<ProvisioningOutcome> {
  const applies = effective ?? (await projectAutoDevOps(deps.db, project));
  const revokedIds: number[] = [];
  const outcome = await inTransaction(deps.db, async (trx): Promise<ProvisioningOutcome> => {
    await lockProjectDeployTokens(trx, project.id);
    const now = isoNow(deps.clock);
    const active = await listDeployTokens(
      trx,
      {
        owner: { kind: 'project', id: project.id },
        name: GITLAB_DEPLOY_TOKEN_NAME,
        active: { value: true, now },
      },
      { limit: 100, offset: 0 },
    );
    if (needsDeployToken(project, applies)) {
      if (active.length > 0) return 'unchanged';
      const { token } = await issueDeployToken(trx, deps, {
        owner: { kind: 'project', id: project.id },
        name: GITLAB_DEPLOY_TOKEN_NAME,
        scopes: ['read_registry'],
        expiresAt: null,
        autoCreated: true,
        creatorId: null,
      });
      await auditDeployToken(trx, deps, actor, 'created', token, { reason: 'auto_devops_enabled' });
      return 'created';
    }
    let revoked = false;
    for (const token of active.filter((t) => t.auto_created === 1)) {
      if (await revokeDeployToken(trx, token.id, now)) {
        await auditDeployToken(trx, deps, actor, 'revoked', token, { reason: 'auto_devops_disabled' });
        revoked = true;
      }
      revokedIds.push(token.id);
    }
    return revoked ? 'revoked' : 'unchanged';
  });
  for (const id of revokedIds) deps.cache.forgetToken(id);
  await publishEviction(deps.db, { deployTokenIds: revokedIds });
  if (outcome === 'created') countIssuedDeployToken(deps);
  return outcome;
}

/** Outcome counts of a reconciliation over many projects. */
export interface ProvisioningSummary {
  created: number;
  revoked: number;
}

/**
 * Sets "Auto DevOps for all projects" and reconciles every private and internal project that follows
 * the instance default (projects with their own setting keep it). Audited as an application setting.
 */
export async function setInstanceAutoDevOps(
  deps: DeployTokenDeps,
  actor: Actor,
  enabled: boolean,
): Promise<ProvisioningSummary> {
  await inTransaction(deps.db, async (trx) => {
    const previous = await instanceAutoDevOps(trx);
    await writeApplicationSetting(trx, AUTO_DEVOPS_SETTING, enabled, isoNow(deps.clock));
    await recordAudit(trx, deps.clock, actor, {
      action: 'application_setting.updated',
      entity: { type: 'ApplicationSetting', id: AUTO_DEVOPS_SETTING },
      details: { key: AUTO_DEVOPS_SETTING, from: previous, to: enabled },
    });
  });
  return reconcileAllProjects(deps, actor, enabled);
}

/** Reconciles, batch by batch, every non-public project that follows the instance default. */
export async function reconcileAllProjects(
  deps: DeployTokenDeps,
  actor: Actor,
  instanceDefault: boolean,
): Promise<ProvisioningSummary> {
  const overrides = await listProjectsWithAutoDevOpsOverride(deps.db);
  const summary: ProvisioningSummary = { created: 0, revoked: 0 };
  for (let after = 0; ;) {
    const ids = await listNonPublicProjectIds(deps.db, after, 100);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    for (const id of ids.filter((projectId) => !overrides.has(projectId))) {
      const project = await findProjectById(deps.db, id);
      if (!project) continue;
      const outcome = await reconcileAutoDevOpsToken(deps, actor, project, instanceDefault);
      if (outcome !== 'unchanged') summary[outcome]++;
    }
  }
  return summary;
}
