import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  createPipelineTrigger,
  deleteProjectTrigger,
  findProjectTrigger,
  listProjectTriggers,
  updateProjectTrigger,
  runTriggeredPipeline,
} from '../../ci/pipeline-trigger.service.ts';
import { pipelineVariablesFrom } from '../../ci/variables/pipeline-variables.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { PipelineTrigger } from '../../store/pipeline-triggers.tables.ts';
import { findUserById, findUsersByIds } from '../../store/users.repository.ts';
import type { User } from '../../store/schema.ts';
import { apiParams, optionalString, requiredInteger, requiredString } from '../api-params.ts';
import { actingUserOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { sendArrayPage } from '../pagination.ts';
import { presentPipeline } from '../presenters/ci.presenter.ts';
import { presentUserBasic } from '../presenters/user.presenter.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { exempt, requires } from '../route-permission.ts';

type TriggerParams = { Params: { id: string; trigger_id: string } };

/**
 * Pipeline trigger tokens: `/api/v4/projects/:id/triggers` (maintainers manage them) and
 * `POST /api/v4/projects/:id/trigger/pipeline` (anyone holding a token runs a pipeline with it).
 */
export async function pipelineTriggersRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const url = deps.settings.externalUrl;
  const ownerOf = async (trigger: PipelineTrigger) =>
    trigger.owner_id === null ? undefined : await findUserById(deps.db, trigger.owner_id);
  const present = (trigger: PipelineTrigger, owner: User | undefined, token?: string) => ({
    id: trigger.id,
    // GitLab shows a trigger's token only to the request that created it; listings get its first characters.
    token: token ?? trigger.token_hint,
    description: trigger.description,
    created_at: trigger.created_at,
    updated_at: trigger.created_at,
    last_used: trigger.last_used,
    expires_at: null,
    owner: owner ? presentUserBasic(owner, url) : null,
  });

  app.post<{ Params: { id: string } }>(
    '/api/v4/projects/:id/triggers',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createTrigger) },
      schema: parameters(
        { description: { type: 'string', required: true, description: 'Description of the trigger' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const description = optionalString(apiParams(request), 'description') ?? '';
      const acting = actingUserOf(request, principal);
      const { trigger, token } = await createPipelineTrigger(deps, acting, request.params.id, description);
      return reply.status(201).send(present(trigger, principal.user, token));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id/triggers',
    { config: requires(PERMISSIONS.readTrigger), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const acting = actingUserOf(request, principal);
      const triggers = await listProjectTriggers(deps, acting, request.params.id);
      const ownerIds = triggers.flatMap((t) => (t.owner_id === null ? [] : [t.owner_id]));
      const owners = new Map((await findUsersByIds(deps.db, ownerIds)).map((u) => [u.id, u]));
      const items = triggers.map((t) => present(t, t.owner_id === null ? undefined : owners.get(t.owner_id)));
      return sendArrayPage(request, reply, url, items);
    },
  );

  app.delete<TriggerParams>(
    '/api/v4/projects/:id/triggers/:trigger_id',
    { config: requires(PERMISSIONS.deleteTrigger) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const triggerId = requiredInteger(request.params, 'trigger_id');
      await deleteProjectTrigger(deps, actingUserOf(request, principal), request.params.id, triggerId);
      return reply.status(204).send();
    },
  );

  app.get<TriggerParams>(
    '/api/v4/projects/:id/triggers/:trigger_id',
    { config: requires(PERMISSIONS.readTrigger) },
    async (request) => {
      const principal = requireScope(request, READ_API);
      const triggerId = requiredInteger(request.params, 'trigger_id');
      const trigger = await findProjectTrigger(
        deps,
        actingUserOf(request, principal),
        request.params.id,
        triggerId,
      );
      return present(trigger, await ownerOf(trigger));
    },
  );

  app.put<TriggerParams>(
    '/api/v4/projects/:id/triggers/:trigger_id',
    {
      config: requires(PERMISSIONS.updateTrigger),
      schema: parameters(
        { description: { type: 'string', description: 'Description of the trigger' } },
        { in: 'body' },
      ),
    },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const triggerId = requiredInteger(request.params, 'trigger_id');
      const description = optionalString(apiParams(request), 'description');
      const acting = actingUserOf(request, principal);
      const trigger =
        description === undefined
          ? await findProjectTrigger(deps, acting, request.params.id, triggerId)
          : await updateProjectTrigger(deps, acting, request.params.id, triggerId, description);
      return present(trigger, await ownerOf(trigger));
    },
  );

  const runWithToken = async (request: FastifyRequest<{ Params: { id: string } }>, ref: string) => {
    const params = apiParams(request);
    const token = requiredString(params, 'token');
    const variables = pipelineVariablesFrom(params);
    const { pipeline, project, owner } = await runTriggeredPipeline(deps, {
      variables,
      projectRef: request.params.id,
      token,
      ref,
      ip: request.ip,
    });
    return presentPipeline(pipeline, project, owner, url);
  };

  app.post<{ Params: { id: string } }>(
    '/api/v4/projects/:id/trigger/pipeline',
    {
      config: exempt(
        'authenticated by the trigger token (or CI job token) it is given, not by the caller’s token',
      ),
      schema: parameters(
        {
          token: { type: 'string', required: true, description: 'The trigger token, or a CI job token' },
          variables: { type: 'object', description: 'variables[KEY]=value: variables of the pipeline' },
          ref: { type: 'string', required: true, description: 'Branch or tag to run the pipeline on' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) =>
      reply.status(201).send(await runWithToken(request, requiredString(apiParams(request), 'ref'))),
  );

  // The older form, with the ref in the path and the token usually in the query (webhooks).
  app.post<{ Params: { id: string; ref: string } }>(
    '/api/v4/projects/:id/ref/:ref/trigger/pipeline',
    {
      config: exempt(
        'authenticated by the trigger token (or CI job token) it is given, not by the caller’s token',
      ),
      schema: parameters(
        {
          token: { type: 'string', required: true, description: 'The trigger token, or a CI job token' },
          variables: { type: 'object', description: 'variables[KEY]=value: variables of the pipeline' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => reply.status(201).send(await runWithToken(request, request.params.ref)),
  );
}
