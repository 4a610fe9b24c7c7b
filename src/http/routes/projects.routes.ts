import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { projectRegistrationToken, registrationTokensAllowed } from '../../ci/runner-registration.service.ts';
import { deleteProject } from '../../identity/teardown/delete-holder.service.ts';
import { teardownDeps } from '../../identity/teardown/teardown-deps.ts';
import { initializeWithReadme } from '../../projects/initialize-repository.ts';
import { createProject } from '../../identity/project.service.ts';
import { ACCESS_LEVELS } from '../../identity/access-levels.ts';
import { canManageProject } from '../../identity/permissions.ts';
import { authorizeProject } from '../../identity/resource-access.ts';
import { membershipScope, visibilityScope } from '../../identity/visibility-scope.ts';
import { VISIBILITIES } from '../../identity/visibility.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findUserNamespace } from '../../store/namespaces.repository.ts';
import { countAccessibleProjects, listAccessibleProjects } from '../../store/projects.repository.ts';
import type { Project } from '../../store/schema.ts';
import {
  apiParams,
  optionalBoolean,
  optionalChoice,
  optionalInteger,
  optionalString,
  type ApiParams,
} from '../api-params.ts';
import { actingUserOf, requireScope, WRITE_API } from '../authenticate.ts';
import { optionalReader } from '../optional-reader.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { NamespaceNames } from '../presenters/namespace-names.ts';
import { presentProject } from '../presenters/project.presenter.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** `/api/v4/projects`: list what the caller can see, show one (404 when hidden), create one. Members are in `members.routes.ts`. */
export async function projectsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const ci = ciDeps(options.context);
  const { repositories } = ci;
  const url = settings.externalUrl;
  const present = async (projects: Project[]) => {
    const names = new NamespaceNames(db);
    return Promise.all(
      projects.map(async (p) => {
        const { namespace, fullName } = await names.describe(p.namespace_id);
        return presentProject(p, namespace, fullName, url);
      }),
    );
  };

  app.get(
    '/api/v4/projects',
    {
      config: requires(PERMISSIONS.readProject),
      schema: parameters(
        {
          ...PAGINATION,
          search: { type: 'string', description: 'Projects whose name or path contains this' },
          visibility: { type: 'string', enum: VISIBILITIES, description: 'Only projects of this visibility' },
          owned: { type: 'boolean', description: "Only projects in the caller's own namespace" },
          membership: { type: 'boolean', description: 'Only projects the caller is a member of' },
          min_access_level: {
            type: 'integer',
            description: 'Only projects where the caller has at least this access level',
          },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const viewer = optionalReader(request);
      const params = apiParams(request);
      const minLevel = membershipLevel(params);
      const scope =
        viewer && minLevel !== undefined
          ? await membershipScope(db, viewer, minLevel)
          : await visibilityScope(db, viewer);
      const ownNamespace =
        viewer && optionalBoolean(params, 'owned') ? await findUserNamespace(db, viewer.id) : undefined;
      const query = {
        access: scope.projects,
        search: optionalString(params, 'search') || undefined,
        visibility: optionalChoice(params, 'visibility', VISIBILITIES),
        namespaceIds: optionalBoolean(params, 'owned') ? (ownNamespace ? [ownNamespace.id] : []) : undefined,
      };
      const page = pageRequest(request);
      const [projects, total] = await Promise.all([
        listAccessibleProjects(db, { ...query, limit: page.limit, offset: page.offset }),
        countAccessibleProjects(db, query),
      ]);
      return sendPage(request, reply, url, page, total, await present(projects));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id',
    { config: requires(PERMISSIONS.readProject) },
    async (request) => {
      const { project, facts } = await authorizeProject(db, optionalReader(request), request.params.id);
      const shown = (await present([project]))[0]!;
      // The legacy runner registration token, for those who manage the project, as the platform shows it.
      if (!canManageProject(facts)) return shown;
      const allowed = await registrationTokensAllowed(db);
      return { ...shown, runners_token: allowed ? await projectRegistrationToken(ci, project) : null };
    },
  );

  app.post(
    '/api/v4/projects',
    {
      config: requires(PERMISSIONS.createProject),
      schema: parameters(
        {
          name: { type: 'string', description: 'Name (required unless path is given)' },
          path: { type: 'string', description: 'Path (required unless name is given)' },
          namespace_id: {
            type: 'string',
            description: "Namespace (id or path) of the project; the caller's own by default",
          },
          visibility: { type: 'string', enum: VISIBILITIES, description: 'Visibility (default private)' },
          description: { type: 'string', description: 'Description' },
          default_branch: { type: 'string', description: 'Default branch name' },
          auto_devops_enabled: {
            type: 'boolean',
            description: 'Auto DevOps for this project; the instance default when left out',
          },
          initialize_with_readme: {
            type: 'boolean',
            description: 'Make a first commit with a README on the default branch',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const params = apiParams(request);
      // Read before anything is made, so a malformed value creates nothing.
      const withReadme = optionalBoolean(params, 'initialize_with_readme') ?? false;
      const project = await createProject(db, clock, actingUserOf(request, principal), {
        name: optionalString(params, 'name') || undefined,
        path: optionalString(params, 'path') || undefined,
        namespace: optionalString(params, 'namespace_id') || undefined,
        visibility: optionalChoice(params, 'visibility', VISIBILITIES),
        description: optionalString(params, 'description'),
        defaultBranch: optionalString(params, 'default_branch') || undefined,
      });
      if (withReadme) await initializeWithReadme(repositories, project, principal.user);
      return reply.status(201).send((await present([project]))[0]);
    },
  );

  // Deletion is immediate (no delayed-deletion grace): every credential of the project dies with it.
  app.delete<{ Params: { id: string } }>(
    '/api/v4/projects/:id',
    { config: requires(PERMISSIONS.deleteProject) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      await deleteProject(teardownDeps(options.context), actingUserOf(request, principal), request.params.id);
      return reply.status(202).send({ message: '202 Accepted' });
    },
  );
}

/** `membership=true` (any level) or `min_access_level=N`: the lowest level a listed project must give the caller. */
function membershipLevel(params: ApiParams): number | undefined {
  const min = optionalInteger(params, 'min_access_level');
  if (min !== undefined) return min;
  return optionalBoolean(params, 'membership') ? ACCESS_LEVELS.guest : undefined;
}
