import type { FastifyInstance } from 'fastify';
import { deleteGroup } from '../../identity/teardown/delete-holder.service.ts';
import { teardownDeps } from '../../identity/teardown/teardown-deps.ts';
import { createGroup } from '../../identity/group.service.ts';
import { ACCESS_LEVELS } from '../../identity/access-levels.ts';
import { authorizeGroup } from '../../identity/resource-access.ts';
import { membershipScope, visibilityScope } from '../../identity/visibility-scope.ts';
import { VISIBILITIES } from '../../identity/visibility.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { countAccessibleGroups, listAccessibleGroups } from '../../store/namespaces.repository.ts';
import type { Namespace } from '../../store/schema.ts';
import {
  apiParams,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalString,
  requiredString,
} from '../api-params.ts';
import { actingUserOf, requireScope, WRITE_API } from '../authenticate.ts';
import { optionalReader } from '../optional-reader.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { presentGroup } from '../presenters/group.presenter.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** `/api/v4/groups`: list the groups the caller can see, show one, create one. Members are in `members.routes.ts`. */
export async function groupsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const url = settings.externalUrl;
  const present = async (groups: Namespace[]) => {
    const names = new NamespaceNames(db);
    return Promise.all(groups.map(async (g) => presentGroup(g, (await names.describe(g.id)).fullName, url)));
  };

  app.get(
    '/api/v4/groups',
    {
      config: requires(PERMISSIONS.readGroup),
      schema: parameters(
        {
          ...PAGINATION,
          search: { type: 'string', description: 'Groups whose name or path contains this' },
          owned: { type: 'boolean', description: 'Only groups the caller owns' },
          min_access_level: {
            type: 'integer',
            description: 'Only groups where the caller has at least this access level',
          },
          top_level_only: { type: 'boolean', description: 'Only top-level groups' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const viewer = optionalReader(request);
      const params = apiParams(request);
      const minLevel = optionalBoolean(params, 'owned')
        ? ACCESS_LEVELS.owner
        : optionalInteger(params, 'min_access_level');
      const scope =
        viewer && minLevel !== undefined
          ? await membershipScope(db, viewer, minLevel)
          : await visibilityScope(db, viewer);
      const query = {
        access: scope.groups,
        search: optionalString(params, 'search') || undefined,
        topLevelOnly: optionalBoolean(params, 'top_level_only') ?? false,
      };
      const page = pageRequest(request);
      const [groups, total] = await Promise.all([
        listAccessibleGroups(db, { ...query, limit: page.limit, offset: page.offset }),
        countAccessibleGroups(db, query),
      ]);
      return sendPage(request, reply, url, page, total, await present(groups));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v4/groups/:id',
    { config: requires(PERMISSIONS.readGroup) },
    async (request) => {
      const { group } = await authorizeGroup(db, optionalReader(request), request.params.id);
      return (await present([group]))[0];
    },
  );

  app.post(
    '/api/v4/groups',
    {
      config: requires(PERMISSIONS.createGroup),
      schema: parameters(
        {
          name: { type: 'string', required: true, description: 'Name' },
          path: { type: 'string', required: true, description: 'Path' },
          parent_id: { type: 'integer', description: 'Parent group id, for a subgroup' },
          visibility: { type: 'string', enum: VISIBILITIES, description: 'Visibility (default private)' },
          description: { type: 'string', description: 'Description' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const params = apiParams(request);
      const group = await createGroup(db, clock, actingUserOf(request, principal), {
        name: requiredString(params, 'name'),
        path: requiredString(params, 'path'),
        parentId: optionalInteger(params, 'parent_id') ?? null,
        visibility: optionalChoice(params, 'visibility', VISIBILITIES),
        description: optionalString(params, 'description'),
      });
      return reply.status(201).send((await present([group]))[0]);
    },
  );

  // Deletion is immediate (no delayed-deletion grace): every credential of the group dies with it.
  app.delete<{ Params: { id: string } }>(
    '/api/v4/groups/:id',
    { config: requires(PERMISSIONS.deleteGroup) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      await deleteGroup(teardownDeps(options.context), actingUserOf(request, principal), request.params.id);
      return reply.status(202).send({ message: '202 Accepted' });
    },
  );
}
