import type { FastifyInstance } from 'fastify';
import {
  allowlistedGroups,
  allowlistedProjects,
  allowlistGroup,
  allowlistProject,
  jobTokenAuthorizationLog,
  jobTokenScope,
  removeFromAllowlist,
  setInboundScopeEnabled,
} from '../../ci/job-token-scope.service.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalBoolean, requiredInteger } from '../api-params.ts';
import { actingUserOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { sendArrayPage } from '../pagination.ts';
import { presentNamespace } from '../presenters/project.presenter.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { presentProject } from '../presenters/project.presenter.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type Params = { id: string };

/**
 * The job-token allowlist ("Authorized groups and projects") of a project, for its maintainers:
 * `GET|PATCH /projects/:id/job_token_scope`, `…/allowlist`, `…/groups_allowlist`, and the log of
 * job-token authentications from other projects (`…/authorizations`).
 */
export async function jobTokenScopeRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const deps = { db, clock };
  const url = settings.externalUrl;
  const acting = (request: Parameters<typeof requireScope>[0], scopes: readonly string[]) =>
    actingUserOf(request, requireScope(request, scopes));
  const base = '/api/v4/projects/:id/job_token_scope';

  app.get<{ Params: Params }>(base, { config: requires(PERMISSIONS.readJobTokenScope) }, async (request) =>
    jobTokenScope(deps, acting(request, READ_API), request.params.id),
  );

  app.patch<{ Params: Params }>(
    base,
    {
      config: requires(PERMISSIONS.updateJobTokenScope),
      schema: parameters(
        {
          enabled: {
            type: 'boolean',
            required: true,
            description: 'Whether the allowlist limits which job tokens reach this project',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const enabled = optionalBoolean(apiParams(request), 'enabled');
      if (enabled === undefined) throw badRequest('enabled', 'is missing');
      await setInboundScopeEnabled(deps, acting(request, WRITE_API), request.params.id, enabled);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Params }>(
    `${base}/allowlist`,
    {
      config: requires(PERMISSIONS.readJobTokenScopeAllowlist),
      schema: parameters(PAGINATION, { in: 'query' }),
    },
    async (request, reply) => {
      const projects = await allowlistedProjects(deps, acting(request, READ_API), request.params.id);
      const names = new NamespaceNames(db);
      const presented = await Promise.all(
        projects.map(async (p) => {
          const { namespace, fullName } = await names.describe(p.namespace_id);
          return presentProject(p, namespace, fullName, url);
        }),
      );
      return sendArrayPage(request, reply, url, presented);
    },
  );

  app.post<{ Params: Params }>(
    `${base}/allowlist`,
    {
      config: requires(PERMISSIONS.createJobTokenScopeAllowlist),
      schema: parameters(
        {
          target_project_id: {
            type: 'integer',
            required: true,
            description: 'The project whose job tokens may reach this one',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const target = requiredInteger(apiParams(request), 'target_project_id');
      return reply
        .status(201)
        .send(await allowlistProject(deps, acting(request, WRITE_API), request.params.id, target));
    },
  );

  app.delete<{ Params: Params & { target_project_id: string } }>(
    `${base}/allowlist/:target_project_id`,
    { config: requires(PERMISSIONS.deleteJobTokenScopeAllowlist) },
    async (request, reply) => {
      const id = requiredInteger(request.params, 'target_project_id');
      await removeFromAllowlist(deps, acting(request, WRITE_API), request.params.id, { type: 'project', id });
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Params }>(
    `${base}/groups_allowlist`,
    {
      config: requires(PERMISSIONS.readJobTokenScopeAllowlist),
      schema: parameters(PAGINATION, { in: 'query' }),
    },
    async (request, reply) => {
      const groups = await allowlistedGroups(deps, acting(request, READ_API), request.params.id);
      return sendArrayPage(
        request,
        reply,
        url,
        groups.map((g) => presentNamespace(g, url)),
      );
    },
  );

  app.post<{ Params: Params }>(
    `${base}/groups_allowlist`,
    {
      config: requires(PERMISSIONS.createJobTokenScopeAllowlist),
      schema: parameters(
        {
          target_group_id: {
            type: 'integer',
            required: true,
            description: 'The group whose projects’ job tokens may reach this one',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const target = requiredInteger(apiParams(request), 'target_group_id');
      return reply
        .status(201)
        .send(await allowlistGroup(deps, acting(request, WRITE_API), request.params.id, target));
    },
  );

  app.delete<{ Params: Params & { target_group_id: string } }>(
    `${base}/groups_allowlist/:target_group_id`,
    { config: requires(PERMISSIONS.deleteJobTokenScopeAllowlist) },
    async (request, reply) => {
      const id = requiredInteger(request.params, 'target_group_id');
      await removeFromAllowlist(deps, acting(request, WRITE_API), request.params.id, { type: 'group', id });
      return reply.status(204).send();
    },
  );

  app.get<{ Params: Params }>(
    `${base}/authorizations`,
    { config: requires(PERMISSIONS.readJobTokenScope), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) =>
      sendArrayPage(
        request,
        reply,
        url,
        await jobTokenAuthorizationLog(deps, acting(request, READ_API), request.params.id),
      ),
  );
}
