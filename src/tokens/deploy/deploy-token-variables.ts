import { SYSTEM_ACTOR } from '../../audit/audit-log.ts';
import type { JobVariableProvider } from '../../ci/job-variables.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { listDeployTokens } from '../../store/deploy-tokens.repository.ts';
import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import { findProjectDeploySettings } from '../../store/project-deploy-settings.repository.ts';
import type { DeployToken, Project } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { reconcileAutoDevOpsToken } from './auto-devops.service.ts';
import { deployTokenDeps, type DeployTokenDeps } from './deploy-token-deps.ts';
import { GITLAB_DEPLOY_TOKEN_NAME } from './deploy-token-state.ts';
import { sealContextOf } from './issue-deploy-token.ts';

/** One CI/CD variable in the runner payload's shape. */
export interface CiVariable {
  key: string;
  value: string;
  public: boolean;
  masked: boolean;
}

/**
 * `CI_DEPLOY_USER` and `CI_DEPLOY_PASSWORD` for a job of the project: the username and (unsealed)
 * secret of its active `gitlab-deploy-token` — the project's own, else one of its groups' (nearest
 * first). Empty when there is none, or when the project limits them to jobs that deploy to an
 * environment and this job has none. When Auto DevOps applies and the token is missing (a project
 * created before it was turned on, say) it is provisioned first, so a deploy job never goes without.
 *
 * @example
 * const variables = await deployTokenVariables(context, project, { environment: 'production' });
 */
export async function deployTokenVariables(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'metrics' | 'settings'>,
  project: Project,
  job: { environment?: string | null },
): Promise<CiVariable[]> {
  const deps = deployTokenDeps(context);
  const settings = await findProjectDeploySettings(deps.db, project.id);
  if (settings?.deploy_variables_environment_only === 1 && !job.environment) return [];
  let token = await findGitlabDeployToken(deps, project);
  if (!token && (await reconcileAutoDevOpsToken(deps, SYSTEM_ACTOR, project)) === 'created') {
    token = await findGitlabDeployToken(deps, project);
  }
  if (!token?.secret_sealed) return [];
  const secret = deps.box.open(token.secret_sealed, sealContextOf(token.id));
  return [
    { key: 'CI_DEPLOY_USER', value: token.username, public: true, masked: false },
    { key: 'CI_DEPLOY_PASSWORD', value: secret, public: false, masked: true },
  ];
}

/**
 * The CI engine's hook for these variables: registered by the instance at start-up. It answers only
 * for jobs of its own instance's store (several instances can share a process, in tests and `serve
 * all`), so it never unseals with another instance's key.
 *
 * @example
 * const unregister = registerJobVariableProvider(deployTokenVariableProvider(context));
 */
export function deployTokenVariableProvider(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'metrics' | 'settings'>,
): JobVariableProvider {
  return async (job) =>
    job.db === context.db
      ? deployTokenVariables(context, job.project, { environment: job.environment?.name })
      : [];
}

/** The active `gitlab-deploy-token` that applies to the project: its own, else its nearest group's. */
export async function findGitlabDeployToken(
  deps: DeployTokenDeps,
  project: Project,
): Promise<DeployToken | undefined> {
  const now = isoNow(deps.clock);
  const named = async (owner: { kind: 'project' | 'group'; id: number }) =>
    (
      await listDeployTokens(
        deps.db,
        { owner, name: GITLAB_DEPLOY_TOKEN_NAME, active: { value: true, now } },
        { limit: 1, offset: 0 },
      )
    )[0];
  const own = await named({ kind: 'project', id: project.id });
  if (own) return own;
  for (const namespace of await namespaceWithAncestors(deps.db, project.namespace_id)) {
    if (namespace.kind !== 'group') continue;
    const inherited = await named({ kind: 'group', id: namespace.id });
    if (inherited) return inherited;
  }
  return undefined;
}
