import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  presentCiSettings,
  PROJECT_CI_SETTING_NAMES,
  updateProjectCiSettings,
  type ProjectCiSettingsChange,
} from '../../ci/project-ci-settings.service.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalBoolean, optionalInteger, type ApiParams } from '../api-params.ts';
import { actingUserOf, requireScope, WRITE_API } from '../authenticate.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { presentProject } from '../presenters/project.presenter.ts';

const PROJECT_ROUTE = '/api/v4/projects/:id';

/**
 * The CI part of `PUT /api/v4/projects/:id` (`ci_id_token_sub_claim_components`,
 * `ci_legacy_job_jwt_enabled`, `build_timeout`). Another module owns that route for its own
 * settings, so this runs as a hook in front of it: it applies the CI fields and removes them from the
 * body; a request with nothing else is answered here, with the project and its CI settings. When no
 * module owns the route, {@link projectCiSettingsRoute} registers it.
 */
export function installProjectCiSettings(app: FastifyInstance, context: InstanceContext): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'PUT' || request.routeOptions.url !== PROJECT_ROUTE) return;
    if (
      !PROJECT_CI_SETTING_NAMES.some(
        (name) => name in apiParams(request) || `${name}[]` in apiParams(request),
      )
    )
      return;
    const answer = await applyCiSettings(context, request);
    const body = request.body as Record<string, unknown> | undefined;
    const rest = Object.keys(body ?? {}).filter((key) => !isCiField(key));
    if (rest.length > 0) {
      // Leave the other fields to the route that owns them.
      for (const key of Object.keys(body!)) if (isCiField(key)) delete body![key];
      return;
    }
    return sendAnswer(reply, answer);
  });
}

/** Registers `PUT /api/v4/projects/:id` for the CI fields alone, unless another module already has. */
export async function projectCiSettingsRoute(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  if (app.hasRoute({ method: 'PUT', url: PROJECT_ROUTE })) return;
  app.put(PROJECT_ROUTE, async (request, reply) =>
    sendAnswer(reply, await applyCiSettings(options.context, request)),
  );
}

async function applyCiSettings(context: InstanceContext, request: FastifyRequest) {
  const principal = requireScope(request, WRITE_API);
  const { project, settings } = await updateProjectCiSettings(
    context,
    actingUserOf(request, principal),
    (request.params as { id: string }).id,
    ciChange(apiParams(request)),
  );
  const { namespace, fullName } = await new NamespaceNames(context.db).describe(project.namespace_id);
  return {
    ...presentProject(project, namespace, fullName, context.settings.externalUrl),
    ...presentCiSettings(settings),
  };
}

function sendAnswer(reply: FastifyReply, answer: unknown) {
  return reply.status(200).send(answer);
}

function isCiField(key: string): boolean {
  return (PROJECT_CI_SETTING_NAMES as readonly string[]).includes(key.replace(/\[\]$/, ''));
}

function ciChange(params: ApiParams): ProjectCiSettingsChange {
  const change: ProjectCiSettingsChange = {};
  const components = params.ci_id_token_sub_claim_components ?? params['ci_id_token_sub_claim_components[]'];
  if (components !== undefined) {
    // A form sends one value as a string; a JSON client sends the list.
    change.ci_id_token_sub_claim_components =
      typeof components === 'string' ? components.split(',') : components;
  }
  const legacy = optionalBoolean(params, 'ci_legacy_job_jwt_enabled');
  if (legacy !== undefined) change.ci_legacy_job_jwt_enabled = legacy;
  const timeout = optionalInteger(params, 'build_timeout');
  if (timeout !== undefined) change.build_timeout = timeout;
  if (Object.keys(change).length === 0) throw badRequest('ci_id_token_sub_claim_components', 'is missing');
  return change;
}
