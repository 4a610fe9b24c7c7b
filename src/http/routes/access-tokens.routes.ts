import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TesseraError, notFound } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findAccessTokenById } from '../../store/access-tokens.repository.ts';
import type { AccessToken } from '../../store/schema.ts';
import { accessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import { listPersonalAccessTokens } from '../../tokens/access/list-access-tokens.ts';
import {
  createPersonalAccessToken,
  findVisiblePersonalAccessToken,
  revokePersonalAccessToken,
} from '../../tokens/access/personal-access-token.service.ts';
import { revokeAccessToken } from '../../tokens/access/revoke-access-token.ts';
import { revokeFamilyOnReuse, rotateAccessToken } from '../../tokens/access/rotate-access-token.service.ts';
import { READ_API, WRITE_API, actorOf, presentedToken, requireScope } from '../authenticate.ts';
import { presentAccessToken } from '../presenters/access-token.presenter.ts';
import {
  NEW_TOKEN_PARAMETERS,
  ROTATION_PARAMETERS,
  TOKEN_QUERY_PARAMETERS,
  newTokenRequest,
  numericId,
  rotationExpiresAt,
  tokenQuery,
} from './access-token-request.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type IdParams = { Params: { id: string } };

const ACCESS_TOKEN_CREDENTIALS = new Set([
  'personal_access_token',
  'project_access_token',
  'group_access_token',
]);

/** Self-rotation is allowed to tokens made only for that. */
const SELF_ROTATE = ['api', 'self_rotate'] as const;

/**
 * Personal access tokens at the platform's v4 paths: list and inspect, create (for oneself, or by an
 * administrator for anyone), revoke and rotate, by id or `self` (the token the request came with).
 */
export async function accessTokensRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = accessTokenDeps(options.context);
  const { clock } = deps;
  const baseUrl = options.context.settings.externalUrl;

  /** The token the request authenticated with; a session or other credential has none. */
  const ownToken = async (principal: Principal): Promise<AccessToken> => {
    const { kind, id } = principal.credential;
    const token = ACCESS_TOKEN_CREDENTIALS.has(kind)
      ? await findAccessTokenById(deps.db, Number(id))
      : undefined;
    if (!token) throw notFound('Token');
    return token;
  };

  app.get(
    '/api/v4/personal_access_tokens',
    { config: requires(PERMISSIONS.readPersonalAccessToken), schema: TOKEN_QUERY_PARAMETERS },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const page = pageRequest(request);
      const { tokens, total } = await listPersonalAccessTokens(
        deps,
        principal.user,
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

  app.get(
    '/api/v4/personal_access_tokens/self',
    { config: requires(PERMISSIONS.readPersonalAccessToken) },
    async (request) => {
      const principal = requireScope(request, READ_API);
      return presentAccessToken(await ownToken(principal), clock);
    },
  );

  app.get<IdParams>(
    '/api/v4/personal_access_tokens/:id',
    { config: requires(PERMISSIONS.readPersonalAccessToken) },
    async (request) => {
      const principal = requireScope(request, READ_API);
      const token = await findVisiblePersonalAccessToken(deps, principal.user, numericId(request.params.id));
      return presentAccessToken(token, clock);
    },
  );

  app.delete(
    '/api/v4/personal_access_tokens/self',
    { config: requires(PERMISSIONS.revokePersonalAccessToken) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      await revokeAccessToken(deps, actorOf(request), await ownToken(principal));
      return reply.status(204).send();
    },
  );

  app.delete<IdParams>(
    '/api/v4/personal_access_tokens/:id',
    { config: requires(PERMISSIONS.revokePersonalAccessToken) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      await revokePersonalAccessToken(deps, actorOf(request), principal.user, numericId(request.params.id));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v4/personal_access_tokens/self/rotate',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.rotatePersonalAccessToken) },
      schema: ROTATION_PARAMETERS,
      // A revoked secret presented for rotation is a leaked one: its whole family is revoked, and the
      // client still gets the same 401 as for any dead token.
      onError: async (request: FastifyRequest, _reply, error) => {
        if (!(error instanceof TesseraError) || error.code !== 'unauthorized') return;
        const presented = presentedToken(request);
        if (presented) await revokeFamilyOnReuse(deps, actorOf(request), presented);
      },
    },
    async (request) => {
      const principal = requireScope(request, SELF_ROTATE);
      const token = await ownToken(principal);
      const rotated = await rotateAccessToken(deps, actorOf(request), token, rotationExpiresAt(request));
      return presentAccessToken(rotated.token, clock, rotated.plaintext);
    },
  );

  app.post<IdParams>(
    '/api/v4/personal_access_tokens/:id/rotate',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.rotatePersonalAccessToken) },
      schema: ROTATION_PARAMETERS,
    },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const token = await findVisiblePersonalAccessToken(deps, principal.user, numericId(request.params.id));
      const rotated = await rotateAccessToken(deps, actorOf(request), token, rotationExpiresAt(request));
      return presentAccessToken(rotated.token, clock, rotated.plaintext);
    },
  );

  app.post(
    '/api/v4/user/personal_access_tokens',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createUserPersonalAccessToken) },
      schema: NEW_TOKEN_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const issued = await createPersonalAccessToken(
        deps,
        actorOf(request),
        principal.user,
        principal.user.id,
        newTokenRequest(request, true),
      );
      return reply.status(201).send(presentAccessToken(issued.token, clock, issued.plaintext));
    },
  );

  app.post<IdParams>(
    '/api/v4/users/:id/personal_access_tokens',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createPersonalAccessToken) },
      schema: NEW_TOKEN_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const ownerId = numericId(request.params.id);
      if (Number.isNaN(ownerId)) throw notFound('User');
      const issued = await createPersonalAccessToken(
        deps,
        actorOf(request),
        principal.user,
        ownerId,
        newTokenRequest(request, true),
      );
      return reply.status(201).send(presentAccessToken(issued.token, clock, issued.plaintext));
    },
  );
}
