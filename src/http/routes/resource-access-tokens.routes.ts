import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findGroupByRef } from '../../store/namespaces.repository.ts';
import { findProjectByRef } from '../../store/projects.repository.ts';
import { accessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import {
  createResourceAccessToken,
  findResourceAccessToken,
  listResourceAccessTokens,
  revokeResourceAccessToken,
  type TokenResource,
} from '../../tokens/access/resource-access-token.service.ts';
import { rotateAccessToken } from '../../tokens/access/rotate-access-token.service.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { presentAccessToken } from '../presenters/access-token.presenter.ts';
import {
  NEW_RESOURCE_TOKEN_PARAMETERS,
  ROTATION_PARAMETERS,
  TOKEN_QUERY_PARAMETERS,
  newResourceTokenRequest,
  numericId,
  rotationExpiresAt,
  tokenQuery,
} from './access-token-request.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type ResourceParams = { Params: { id: string } };
type TokenParams = { Params: { id: string; token_id: string } };

/**
 * Project and group access tokens at `/projects/:id/access_tokens` and `/groups/:id/access_tokens`:
 * each token is a bot user, a member of its project or group. Maintainers manage a project's tokens,
 * owners a group's; a project or group the caller cannot see is a 404.
 */
export async function resourceAccessTokensRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = accessTokenDeps(options.context);
  const { clock } = deps;
  const baseUrl = options.context.settings.externalUrl;

  for (const kind of ['project', 'group'] as const) {
    const base = `/api/v4/${kind}s/:id/access_tokens`;
    const resourceOf = async (ref: string): Promise<TokenResource> => {
      if (kind === 'project') {
        const project = await findProjectByRef(deps.db, ref);
        if (!project) throw notFound('Project');
        return { kind, project };
      }
      const group = await findGroupByRef(deps.db, ref);
      if (!group) throw notFound('Group');
      return { kind, group };
    };

    app.get<ResourceParams>(
      base,
      { config: requires(PERMISSIONS.readResourceAccessToken), schema: TOKEN_QUERY_PARAMETERS },
      async (request, reply) => {
        const principal = requireScope(request, READ_API);
        const page = pageRequest(request);
        const resource = await resourceOf(request.params.id);
        const { tokens, total } = await listResourceAccessTokens(
          deps,
          principal.user,
          resource,
          tokenQuery(request),
          page,
        );
        return sendPage(
          request,
          reply,
          baseUrl,
          page,
          total,
          tokens.map((token) => presentAccessToken(token, clock)),
        );
      },
    );

    app.post<ResourceParams>(
      base,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createResourceAccessToken) },
        schema: NEW_RESOURCE_TOKEN_PARAMETERS,
      },
      async (request, reply) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const issued = await createResourceAccessToken(
          deps,
          actorOf(request),
          principal.user,
          resource,
          newResourceTokenRequest(request),
        );
        return reply.status(201).send(presentAccessToken(issued.token, clock, issued.plaintext));
      },
    );

    app.get<TokenParams>(
      `${base}/:token_id`,
      { config: requires(PERMISSIONS.readResourceAccessToken) },
      async (request) => {
        const principal = requireScope(request, READ_API);
        const resource = await resourceOf(request.params.id);
        const token = await findResourceAccessToken(
          deps,
          principal.user,
          resource,
          numericId(request.params.token_id),
        );
        return presentAccessToken(token, clock);
      },
    );

    app.delete<TokenParams>(
      `${base}/:token_id`,
      { config: requires(PERMISSIONS.deleteResourceAccessToken) },
      async (request, reply) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const tokenId = numericId(request.params.token_id);
        await revokeResourceAccessToken(deps, actorOf(request), principal.user, resource, tokenId);
        return reply.status(204).send();
      },
    );

    app.post<TokenParams>(
      `${base}/:token_id/rotate`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.rotateResourceAccessToken) },
        schema: ROTATION_PARAMETERS,
      },
      async (request) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const token = await findResourceAccessToken(
          deps,
          principal.user,
          resource,
          numericId(request.params.token_id),
        );
        const rotated = await rotateAccessToken(deps, actorOf(request), token, rotationExpiresAt(request));
        return presentAccessToken(rotated.token, clock, rotated.plaintext);
      },
    );
  }
}
