import { recordAudit } from '../audit/audit-log.ts';
import { badRequest } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { CiProjectSettings } from '../store/ci-schema.ts';
import { updateCiSettings } from '../store/ci-settings.repository.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction } from '../store/in-transaction.ts';
import type { Project } from '../store/schema.ts';
import { DEFAULT_SUB_CLAIM_COMPONENTS, validateSubClaimComponents } from '../tokens/id-token/sub-claim.ts';
import type { Clock } from '../util/clock.ts';

/** The platform's bounds on a project's job timeout (`build_timeout`): ten minutes to a month. */
export const BUILD_TIMEOUT_RANGE = { min: 600, max: 30 * 24 * 3600 } as const;

/** The project's CI settings as `PUT /projects/:id` takes them; absent fields stay as they are. */
export interface ProjectCiSettingsChange {
  /** Claim keys of the ID tokens' `sub`, in order (validated). */
  ci_id_token_sub_claim_components?: unknown;
  /** Legacy `CI_JOB_JWT`/`_V1`/`_V2` for jobs that declare no `id_tokens`. */
  ci_legacy_job_jwt_enabled?: boolean;
  /** Default job timeout in seconds. */
  build_timeout?: number;
}

/** The names `PUT /projects/:id` reads for CI. */
export const PROJECT_CI_SETTING_NAMES = [
  'ci_id_token_sub_claim_components',
  'ci_legacy_job_jwt_enabled',
  'build_timeout',
] as const;

/**
 * Changes a project's CI settings (maintainers). A new `sub` composition applies to the ID tokens of
 * jobs that start afterwards. Audited, since it changes what federated clouds will trust.
 */
export async function updateProjectCiSettings(
  deps: { db: Executor; clock: Clock },
  acting: ActingUser,
  ref: string,
  change: ProjectCiSettingsChange,
): Promise<{ project: Project; settings: CiProjectSettings }> {
  const { project } = await authorizeProject(deps.db, acting.user, ref, canManageProject);
  const update: Parameters<typeof updateCiSettings>[2] = {};
  if (change.ci_id_token_sub_claim_components !== undefined) {
    const components = validateSubClaimComponents(change.ci_id_token_sub_claim_components);
    if (typeof components === 'string') throw badRequest('ci_id_token_sub_claim_components', components);
    update.id_token_sub_claim_components = JSON.stringify(components);
  }
  if (change.ci_legacy_job_jwt_enabled !== undefined) {
    update.legacy_job_jwt_enabled = change.ci_legacy_job_jwt_enabled ? 1 : 0;
  }
  if (change.build_timeout !== undefined) {
    const timeout = change.build_timeout;
    if (
      !Number.isInteger(timeout) ||
      timeout < BUILD_TIMEOUT_RANGE.min ||
      timeout > BUILD_TIMEOUT_RANGE.max
    ) {
      throw badRequest(
        'build_timeout',
        `must be between ${BUILD_TIMEOUT_RANGE.min} and ${BUILD_TIMEOUT_RANGE.max} seconds`,
      );
    }
    update.job_timeout_seconds = timeout;
  }
  const settings = await inTransaction(deps.db, async (trx) => {
    const saved = await updateCiSettings(trx, project.id, update, deps.clock.now().toISOString());
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'project_ci_settings.updated',
      entity: { type: 'project', id: project.id },
      target: { type: 'project', id: project.id, details: project.full_path },
      details: { ...change },
    });
    return saved;
  });
  return { project, settings };
}

/** The CI fields of the project entity. */
export function presentCiSettings(settings: CiProjectSettings) {
  return {
    ci_id_token_sub_claim_components:
      settings.id_token_sub_claim_components === null
        ? [...DEFAULT_SUB_CLAIM_COMPONENTS]
        : (JSON.parse(settings.id_token_sub_claim_components) as string[]),
    ci_legacy_job_jwt_enabled: settings.legacy_job_jwt_enabled === 1,
    ci_job_token_scope_enabled: settings.job_token_inbound_enabled === 1,
    build_timeout: settings.job_timeout_seconds,
  };
}
