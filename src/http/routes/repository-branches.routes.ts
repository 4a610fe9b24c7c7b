import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  getProjectBranch,
  listProjectBranches,
  type BranchReader,
} from '../../git/repository-branches.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalString } from '../api-params.ts';
import { optionalReader } from '../optional-reader.ts';
import { sendArrayPage } from '../pagination.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { presentBranch } from '../presenters/branch.presenter.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** `/api/v4/projects/:id/repository/branches`: read-only, for people and for CI job tokens. */
export async function repositoryBranchesRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const url = options.context.settings.externalUrl;
  const readerOf = (request: FastifyRequest): BranchReader => ({
    user: optionalReader(request),
    credentialCanPush: request.principal?.credential.kind !== 'ci_job_token',
  });

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id/repository/branches',
    {
      config: { jobToken: 'project', ...requires(PERMISSIONS.readBranch) },
      schema: parameters(
        { ...PAGINATION, search: { type: 'string', description: 'Branches whose name contains this' } },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const search = optionalString(apiParams(request), 'search') || undefined;
      const { project, branches } = await listProjectBranches(
        deps,
        readerOf(request),
        request.params.id,
        search,
      );
      return sendArrayPage(
        request,
        reply,
        url,
        branches.map((b) => presentBranch(b, project, url)),
      );
    },
  );

  // The name may hold slashes (`feature/x`), URL-encoded or not: the wildcard takes the rest of the path.
  app.get<{ Params: { id: string; '*': string } }>(
    '/api/v4/projects/:id/repository/branches/*',
    { config: { jobToken: 'project', ...requires(PERMISSIONS.readBranch) } },
    async (request) => {
      const { project, branch } = await getProjectBranch(
        deps,
        readerOf(request),
        request.params.id,
        decodeURIComponent(request.params['*']),
      );
      return presentBranch(branch, project, url);
    },
  );
}
