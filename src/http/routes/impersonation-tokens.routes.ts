import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { accessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import {
  createImpersonationToken,
  findImpersonationToken,
  listImpersonationTokens,
  revokeImpersonationToken,
} from '../../tokens/access/impersonation-token.service.ts';
import { apiParams, optionalChoice } from '../api-params.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { presentAccessToken } from '../presenters/access-token.presenter.ts';
import { NEW_TOKEN_PARAMETERS, newTokenRequest, numericId } from './access-token-request.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type UserParams = { Params: { user_id: string } };
type TokenParams = { Params: { user_id: string; impersonation_token_id: string } };

const BASE = '/api/v4/users/:user_id/impersonation_tokens';

/** Impersonation tokens at the platform's paths (users.html): administrators only. */
export async function impersonationTokensRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = accessTokenDeps(options.context);
  const { clock } = deps;
  const baseUrl = options.context.settings.externalUrl;

  app.get<UserParams>(
    BASE,
    {
      config: requires(PERMISSIONS.readImpersonationToken),
      schema: parameters(
        {
          ...PAGINATION,
          state: {
            type: 'string',
            enum: ['all', 'active', 'inactive'],
            description: 'Tokens in this state (default all)',
          },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const state =
        optionalChoice(apiParams(request), 'state', ['all', 'active', 'inactive'] as const) ?? 'all';
      const page = pageRequest(request);
      const { tokens, total } = await listImpersonationTokens(
        deps,
        principal.user,
        numericId(request.params.user_id),
        state,
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

  app.post<UserParams>(
    BASE,
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createImpersonationToken) },
      schema: NEW_TOKEN_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const issued = await createImpersonationToken(
        deps,
        actorOf(request),
        principal.user,
        numericId(request.params.user_id),
        newTokenRequest(request, true),
      );
      return reply.status(201).send(presentAccessToken(issued.token, clock, issued.plaintext));
    },
  );

  app.get<TokenParams>(
    `${BASE}/:impersonation_token_id`,
    { config: requires(PERMISSIONS.readImpersonationToken) },
    async (request) => {
      const principal = requireScope(request, READ_API);
      const { user_id: userId, impersonation_token_id: tokenId } = request.params;
      return presentAccessToken(
        await findImpersonationToken(deps, principal.user, numericId(userId), numericId(tokenId)),
        clock,
      );
    },
  );

  app.delete<TokenParams>(
    `${BASE}/:impersonation_token_id`,
    { config: requires(PERMISSIONS.revokeImpersonationToken) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const { user_id: userId, impersonation_token_id: tokenId } = request.params;
      await revokeImpersonationToken(
        deps,
        actorOf(request),
        principal.user,
        numericId(userId),
        numericId(tokenId),
      );
      return reply.status(204).send();
    },
  );
}
