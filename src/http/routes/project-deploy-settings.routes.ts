import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import {
  updateProjectDeploySettings,
  type ProjectDeploySettingsChange,
} from '../../tokens/deploy/project-deploy-settings.service.ts';
import { apiParams, optionalBoolean, optionalInteger, type ApiParams } from '../api-params.ts';
import { WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { presentProject } from '../presenters/project.presenter.ts';

/**
 * `PUT /api/v4/projects/:id` for the settings deploy tokens depend on (maintainers):
 * `auto_devops_enabled` (true, false, or null to follow the instance), `deploy_token_grace_period`
 * (seconds a rotated deploy token's old secret keeps working) and
 * `deploy_token_variables_environment_only`. Answers the project with those settings. The CI module's
 * fields on the same route are handled by its hook in front of this one
 * (`project-ci-settings.routes.ts`).
 */
export async function projectDeploySettingsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = deployTokenDeps(options.context);
  const url = options.context.settings.externalUrl;

  app.put<{ Params: { id: string } }>('/api/v4/projects/:id', async (request) => {
    const principal = requireScope(request, WRITE_API);
    const change = projectSettingsChange(apiParams(request));
    const { project, settings } = await updateProjectDeploySettings(
      deps,
      actorOf(request),
      principal.user,
      request.params.id,
      change,
    );
    const { namespace, fullName } = await new NamespaceNames(deps.db).describe(project.namespace_id);
    return { ...presentProject(project, namespace, fullName, url), ...settings };
  });
}

function projectSettingsChange(params: ApiParams): ProjectDeploySettingsChange {
  const change: ProjectDeploySettingsChange = {};
  if ('auto_devops_enabled' in params) {
    const raw = params.auto_devops_enabled;
    // An explicit null (or empty value) hands the decision back to the instance default.
    change.autoDevOpsEnabled =
      raw === null || raw === '' ? null : optionalBoolean(params, 'auto_devops_enabled')!;
  }
  const grace = optionalInteger(params, 'deploy_token_grace_period');
  if (grace !== undefined) change.graceSeconds = grace;
  const environmentOnly = optionalBoolean(params, 'deploy_token_variables_environment_only');
  if (environmentOnly !== undefined) change.environmentOnly = environmentOnly;
  // Fields of other modules (the CI settings) are taken out before this route runs; unknown ones are
  // ignored, as on the platform. Only a request with nothing at all is refused.
  if (Object.keys(params).length === 0)
    throw badRequest('auto_devops_enabled', 'or another setting is missing');
  return change;
}
