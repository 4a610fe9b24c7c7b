import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  listProjectProtectedBranches,
  protectBranch,
  type ProtectedBranchRule,
  unprotectBranch,
} from '../../ci/protected-branch.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalInteger, requiredString } from '../api-params.ts';
import { actingUserOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { sendArrayPage } from '../pagination.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

const DESCRIPTIONS: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
};

const level = (accessLevel: number) => ({
  id: null,
  access_level: accessLevel,
  access_level_description: DESCRIPTIONS[accessLevel] ?? 'Maintainers',
  user_id: null,
  group_id: null,
});

/** GitLab's protected-branch shape; merging is not modelled, so merge access is Maintainers. */
function present(branch: ProtectedBranchRule) {
  return {
    id: branch.id,
    name: branch.name,
    push_access_levels: [level(branch.push_access_level)],
    merge_access_levels: [level(40)],
    allow_force_push: false,
    code_owner_approval_required: false,
  };
}

/** `/api/v4/projects/:id/protected_branches`: list, protect, unprotect. */
export async function protectedBranchesRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const url = deps.settings.externalUrl;

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id/protected_branches',
    { config: requires(PERMISSIONS.readProtectedBranch), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const acting = actingUserOf(request, principal);
      const branches = await listProjectProtectedBranches(deps, acting, request.params.id);
      return sendArrayPage(request, reply, url, branches.map(present));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v4/projects/:id/protected_branches',
    {
      config: requires(PERMISSIONS.protectBranch),
      schema: parameters(
        {
          name: { type: 'string', required: true, description: 'Branch name or wildcard' },
          push_access_level: {
            type: 'integer',
            description: 'Lowest access level that may push (default 40)',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const params = apiParams(request);
      const name = requiredString(params, 'name');
      const pushAccessLevel = optionalInteger(params, 'push_access_level') ?? 40;
      const acting = actingUserOf(request, principal);
      const branch = await protectBranch(deps, acting, request.params.id, { name, pushAccessLevel });
      return reply.status(201).send(present(branch));
    },
  );

  app.delete<{ Params: { id: string; name: string } }>(
    '/api/v4/projects/:id/protected_branches/:name',
    { config: requires(PERMISSIONS.protectBranch) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const acting = actingUserOf(request, principal);
      await unprotectBranch(deps, acting, request.params.id, request.params.name);
      return reply.status(204).send();
    },
  );
}
