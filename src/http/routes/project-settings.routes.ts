import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { presentCiSettings, type ProjectCiSettingsChange } from '../../ci/project-ci-settings.service.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import { VISIBILITIES } from '../../identity/visibility.ts';
import { changeProject, type ProjectChange } from '../../projects/update-project.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { ciSettingsOf } from '../../store/ci-settings.repository.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import {
  projectDeploySettingsView,
  type ProjectDeploySettingsChange,
} from '../../tokens/deploy/project-deploy-settings.service.ts';
import {
  apiParams,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  type ApiParams,
} from '../api-params.ts';
import { actingUserOf, requireScope, WRITE_API } from '../authenticate.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { presentProject } from '../presenters/project.presenter.ts';
import { parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/**
 * `PUT /api/v4/projects/:id` (maintainers; `visibility` owners): `visibility`; the CI settings
 * (`ci_id_token_sub_claim_components`, `ci_legacy_job_jwt_enabled`, `build_timeout`); the
 * deploy-token settings (`auto_devops_enabled`, `deploy_token_grace_period`,
 * `deploy_token_variables_environment_only`). One route, one service; answers the project with all
 * of its settings. Other project attributes are ignored, as unknown parameters are.
 */
export async function projectSettingsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = { ci: ciDeps(options.context), deploy: deployTokenDeps(options.context) };
  const url = options.context.settings.externalUrl;

  app.put<{ Params: { id: string } }>(
    '/api/v4/projects/:id',
    {
      config: requires(PERMISSIONS.updateProject),
      schema: parameters(
        {
          visibility: { type: 'string', enum: VISIBILITIES, description: 'Visibility (owners only)' },
          ci_id_token_sub_claim_components: {
            type: 'array',
            items: 'string',
            description: 'Claims that make up the sub of the ID tokens of its jobs',
          },
          ci_legacy_job_jwt_enabled: {
            type: 'boolean',
            description: 'Whether its jobs get the legacy CI_JOB_JWT variables',
          },
          build_timeout: { type: 'integer', description: 'Job timeout in seconds' },
          auto_devops_enabled: {
            type: 'boolean',
            description: 'Auto DevOps for this project; null for the instance default',
          },
          deploy_token_grace_period: {
            type: 'integer',
            description: 'Seconds a rotated deploy token’s old secret keeps working',
          },
          deploy_token_variables_environment_only: {
            type: 'boolean',
            description: 'Hand CI_DEPLOY_USER/PASSWORD only to jobs with an environment',
          },
        },
        { in: 'body' },
      ),
    },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const project = await changeProject(
        deps,
        actingUserOf(request, principal),
        request.params.id,
        projectChange(apiParams(request)),
      );
      const { namespace, fullName } = await new NamespaceNames(deps.ci.db).describe(project.namespace_id);
      return {
        ...presentProject(project, namespace, fullName, url),
        ...presentCiSettings(await ciSettingsOf(deps.ci.db, project.id)),
        ...(await projectDeploySettingsView(deps.ci.db, project)),
      };
    },
  );
}

function projectChange(params: ApiParams): ProjectChange {
  const change: ProjectChange = { ci: ciChange(params), deploy: deployChange(params) };
  const visibility = optionalChoice(params, 'visibility', VISIBILITIES);
  if (visibility) change.visibility = visibility;
  if (Object.keys(params).length === 0) {
    throw new TesseraError('bad_request', '400 Bad request - at least one parameter must be provided');
  }
  return change;
}

function ciChange(params: ApiParams): ProjectCiSettingsChange {
  const change: ProjectCiSettingsChange = {};
  const components = params.ci_id_token_sub_claim_components;
  if (components !== undefined) {
    // A form sends one value as a string (or a comma list); a JSON client and `a[]=` send the list.
    change.ci_id_token_sub_claim_components =
      typeof components === 'string' ? components.split(',') : components;
  }
  const legacy = optionalBoolean(params, 'ci_legacy_job_jwt_enabled');
  if (legacy !== undefined) change.ci_legacy_job_jwt_enabled = legacy;
  const timeout = optionalInteger(params, 'build_timeout');
  if (timeout !== undefined) change.build_timeout = timeout;
  return change;
}

function deployChange(params: ApiParams): ProjectDeploySettingsChange {
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
  return change;
}
