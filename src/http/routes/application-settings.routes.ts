import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  REGISTRATION_SETTING,
  registrationTokensAllowed,
  setRegistrationTokensAllowed,
} from '../../ci/runner-registration.service.ts';
import { forbidden } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { instanceAutoDevOps, setInstanceAutoDevOps } from '../../tokens/deploy/auto-devops.service.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import { apiParams, optionalBoolean } from '../api-params.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/**
 * `GET|PUT /api/v4/application/settings` (administrators): the instance settings an administrator
 * changes at run time: `auto_devops_enabled`, "Auto DevOps for all projects" (turning it on creates
 * `gitlab-deploy-token` for every private and internal project that follows the default, turning it
 * off revokes those tokens), and `allow_runner_registration_token` (the legacy runner registration).
 */
export async function applicationSettingsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = deployTokenDeps(options.context);
  const admin = (request: FastifyRequest, scopes: readonly string[]): Principal => {
    const principal = requireScope(request, scopes);
    if (!principal.user.is_admin) throw forbidden();
    return principal;
  };
  const ci = ciDeps(options.context);
  const current = async () => ({
    auto_devops_enabled: await instanceAutoDevOps(deps.db),
    allow_runner_registration_token: await registrationTokensAllowed(deps.db),
  });

  app.get(
    '/api/v4/application/settings',
    { config: requires(PERMISSIONS.readApplicationSetting) },
    async (request) => {
      admin(request, READ_API);
      return current();
    },
  );

  app.put(
    '/api/v4/application/settings',
    {
      config: requires(PERMISSIONS.updateApplicationSetting),
      schema: parameters(
        {
          auto_devops_enabled: {
            type: 'boolean',
            description: 'Auto DevOps for all projects that follow the instance default',
          },
          [REGISTRATION_SETTING]: {
            type: 'boolean',
            description: 'Allow the legacy runner registration with registration tokens',
          },
        },
        { in: 'body' },
      ),
    },
    async (request) => {
      admin(request, WRITE_API);
      const params = apiParams(request);
      // Both read before either is applied, so a malformed value changes nothing.
      const autoDevOps = optionalBoolean(params, 'auto_devops_enabled');
      const registration = optionalBoolean(params, REGISTRATION_SETTING);
      if (autoDevOps !== undefined) await setInstanceAutoDevOps(deps, actorOf(request), autoDevOps);
      if (registration !== undefined) await setRegistrationTokensAllowed(ci, actorOf(request), registration);
      return current();
    },
  );
}
