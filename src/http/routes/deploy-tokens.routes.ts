import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findGroupByRef } from '../../store/namespaces.repository.ts';
import { findProjectByRef } from '../../store/projects.repository.ts';
import { deployTokenDeps } from '../../tokens/deploy/deploy-token-deps.ts';
import {
  createDeployToken,
  findResourceDeployToken,
  listAllDeployTokens,
  listResourceDeployTokens,
  deleteResourceDeployToken,
  type DeployTokenResource,
} from '../../tokens/deploy/deploy-token.service.ts';
import { listExpiringDeployTokens } from '../../tokens/deploy/expiring-deploy-tokens.ts';
import { rotateDeployToken } from '../../tokens/deploy/rotate-deploy-token.service.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { presentDeployToken, presentExpiringDeployToken } from '../presenters/deploy-token.presenter.ts';
import { numericId } from './access-token-request.ts';
import {
  DEPLOY_TOKEN_LIST_PARAMETERS,
  EXPIRING_DEPLOY_TOKEN_PARAMETERS,
  NEW_DEPLOY_TOKEN_PARAMETERS,
  activeParam,
  expiringDaysParam,
  newDeployTokenRequest,
} from './deploy-token-request.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type ResourceParams = { Params: { id: string } };
type TokenParams = { Params: { id: string; token_id: string } };

/**
 * Deploy tokens: `GET /deploy_tokens` (administrators), and per project and group
 * `GET|POST /…/deploy_tokens`, `GET|DELETE /…/deploy_tokens/:token_id`, `POST …/:token_id/rotate`
 * (a new secret under the same username; the old one works for the grace period) and
 * `GET …/deploy_tokens/expiring` (active tokens expiring within `days`, default 7).
 */
export async function deployTokensRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = deployTokenDeps(options.context);
  const { clock, db } = deps;
  const baseUrl = options.context.settings.externalUrl;

  app.get(
    '/api/v4/deploy_tokens',
    { config: requires(PERMISSIONS.readDeployToken), schema: DEPLOY_TOKEN_LIST_PARAMETERS },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const page = pageRequest(request);
      const { tokens, total } = await listAllDeployTokens(deps, principal.user, activeParam(request), page);
      const body = tokens.map((token) => presentDeployToken(token, clock));
      return sendPage(request, reply, baseUrl, page, total, body);
    },
  );

  app.get(
    '/api/v4/deploy_tokens/expiring',
    { config: requires(PERMISSIONS.readDeployToken), schema: EXPIRING_DEPLOY_TOKEN_PARAMETERS },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const page = pageRequest(request);
      const days = expiringDaysParam(request);
      const { tokens, total } = await listExpiringDeployTokens(deps, principal.user, null, days, page);
      const body = tokens.map((token) => presentExpiringDeployToken(token, clock));
      return sendPage(request, reply, baseUrl, page, total, body);
    },
  );

  for (const kind of ['project', 'group'] as const) {
    const base = `/api/v4/${kind}s/:id/deploy_tokens`;
    const resourceOf = async (ref: string): Promise<DeployTokenResource> => {
      if (kind === 'project') {
        const project = await findProjectByRef(db, ref);
        if (!project) throw notFound('Project');
        return { kind, project };
      }
      const group = await findGroupByRef(db, ref);
      if (!group) throw notFound('Group');
      return { kind, group };
    };

    app.get<ResourceParams>(
      base,
      { config: requires(PERMISSIONS.readDeployToken), schema: DEPLOY_TOKEN_LIST_PARAMETERS },
      async (request, reply) => {
        const principal = requireScope(request, READ_API);
        const page = pageRequest(request);
        const resource = await resourceOf(request.params.id);
        const query = activeParam(request);
        const { tokens, total } = await listResourceDeployTokens(deps, principal.user, resource, query, page);
        const body = tokens.map((token) => presentDeployToken(token, clock));
        return sendPage(request, reply, baseUrl, page, total, body);
      },
    );

    app.post<ResourceParams>(
      base,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createDeployToken) },
        schema: NEW_DEPLOY_TOKEN_PARAMETERS,
      },
      async (request, reply) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const newToken = newDeployTokenRequest(request);
        const issued = await createDeployToken(deps, actorOf(request), principal.user, resource, newToken);
        return reply.status(201).send(presentDeployToken(issued.token, clock, issued.plaintext));
      },
    );

    app.get<ResourceParams>(
      `${base}/expiring`,
      { config: requires(PERMISSIONS.readDeployToken), schema: EXPIRING_DEPLOY_TOKEN_PARAMETERS },
      async (request, reply) => {
        const principal = requireScope(request, READ_API);
        const page = pageRequest(request);
        const resource = await resourceOf(request.params.id);
        const days = expiringDaysParam(request);
        const { tokens, total } = await listExpiringDeployTokens(deps, principal.user, resource, days, page);
        const body = tokens.map((token) => presentExpiringDeployToken(token, clock));
        return sendPage(request, reply, baseUrl, page, total, body);
      },
    );

    app.get<TokenParams>(
      `${base}/:token_id`,
      { config: requires(PERMISSIONS.readDeployToken) },
      async (request) => {
        const principal = requireScope(request, READ_API);
        const resource = await resourceOf(request.params.id);
        const tokenId = numericId(request.params.token_id);
        return presentDeployToken(
          await findResourceDeployToken(deps, principal.user, resource, tokenId),
          clock,
        );
      },
    );

    app.delete<TokenParams>(
      `${base}/:token_id`,
      { config: requires(PERMISSIONS.deleteDeployToken) },
      async (request, reply) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const tokenId = numericId(request.params.token_id);
        await deleteResourceDeployToken(deps, actorOf(request), principal.user, resource, tokenId);
        return reply.status(204).send();
      },
    );

    app.post<TokenParams>(
      `${base}/:token_id/rotate`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.rotateDeployToken) },
        schema: NO_PARAMETERS,
      },
      async (request) => {
        const principal = requireScope(request, WRITE_API);
        const resource = await resourceOf(request.params.id);
        const tokenId = numericId(request.params.token_id);
        const rotated = await rotateDeployToken(deps, actorOf(request), principal.user, resource, tokenId);
        return {
          ...presentDeployToken(rotated.token, clock, rotated.plaintext),
          previous_token_expires_at: rotated.previousValidUntil,
        };
      },
    );
  }
}
