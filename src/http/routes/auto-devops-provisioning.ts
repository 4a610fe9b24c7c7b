import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import { reconcileAutoDevOpsToken } from '../../tokens/deploy/auto-devops.service.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import { updateProjectDeploySettings } from '../../tokens/deploy/project-deploy-settings.service.ts';
import { apiParams, optionalBoolean } from '../api-params.ts';
import { actorOf } from '../authenticate.ts';

const CREATE_ROUTE = '/api/v4/projects';

/**
 * Auto DevOps at project creation: once `POST /api/v4/projects` has created a project, and before the
 * 201 leaves, its own `auto_devops_enabled` (when given) is stored and its `gitlab-deploy-token` is
 * provisioned if Auto DevOps applies. The projects module owns that route; this runs as a hook after
 * it, as the CI module's settings hook runs before `PUT /projects/:id`. Should provisioning fail, the
 * project still exists and the token is made when a CI job first asks for it; the failure is logged.
 */
export function installAutoDevOpsProvisioning(app: FastifyInstance, context: InstanceContext): void {
  const deps = deployTokenDeps(context);
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (request.method !== 'POST' || request.routeOptions.url !== CREATE_ROUTE || reply.statusCode !== 201) {
      return payload;
    }
    const id = (payload as { id?: unknown } | null)?.id;
    const project = typeof id === 'number' ? await findProjectById(deps.db, id) : undefined;
    if (!project || !request.principal) return payload;
    try {
      const own = optionalBoolean(apiParams(request), 'auto_devops_enabled');
      if (own !== undefined) {
        const change = { autoDevOpsEnabled: own };
        await updateProjectDeploySettings(
          deps,
          actorOf(request),
          request.principal.user,
          String(project.id),
          change,
        );
      } else {
        await reconcileAutoDevOpsToken(deps, actorOf(request), project);
      }
    } catch (error) {
      request.log.warn(
        { err: error, projectId: project.id },
        'Auto DevOps provisioning at project creation failed',
      );
    }
    return payload;
  });
}
