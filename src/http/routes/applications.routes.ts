import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import {
  createApplication,
  deleteApplication,
  listApplications,
  renewApplicationSecret,
} from '../../tokens/oauth/application.service.ts';
import { oauthDeps } from '../../tokens/oauth/oauth-deps.ts';
import { parseScopes } from '../../tokens/oauth/oauth-scopes.ts';
import { apiParams, optionalBoolean, requiredString } from '../api-params.ts';
import { actorOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { presentOAuthApplication } from '../presenters/oauth-application.presenter.ts';
import { numericId } from './access-token-request.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type IdParams = { Params: { id: string } };

/**
 * OAuth applications: instance-wide ones at GitLab's `/api/v4/applications` (administrators; they may
 * be `trusted` — no consent screen — and allowed the dynamic `user:*` scope), and a user's own at
 * `/api/v4/user/applications` (neither). Create answers the `gloas-` secret once; so does
 * `POST …/:id/renew-secret`.
 */
export async function applicationsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = oauthDeps(options.context);
  const { externalUrl } = options.context.settings;

  /** Whose applications a request manages: null for the instance's (administrators only), or the user's id. */
  const routes = [
    {
      base: '/api/v4/applications',
      owner: (principal: Principal): number | null => {
        if (principal.user.is_admin !== 1) throw forbidden();
        return null;
      },
    },
    {
      base: '/api/v4/user/applications',
      owner: (principal: Principal): number | null => {
        // Applications belong to people: a bot's credential (or a composite token) may not register one.
        if (principal.user.bot_kind !== null) throw forbidden();
        return principal.user.id;
      },
    },
  ];

  for (const { base, owner } of routes) {
    const ownerFor = (request: FastifyRequest, scopes: readonly string[]) =>
      owner(requireScope(request, scopes));

    app.post(
      base,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createOauthApplication) },
        schema: parameters(
          {
            name: { type: 'string', required: true, description: 'Name of the application' },
            redirect_uri: {
              type: 'string',
              required: true,
              description: 'Redirect URIs, separated by whitespace',
            },
            scopes: {
              type: 'array',
              items: 'string',
              required: true,
              description: 'Scopes it may ask for (an array or a space-separated list)',
            },
            confidential: {
              type: 'boolean',
              description: 'Whether it keeps its secret confidential (default true)',
            },
            trusted: { type: 'boolean', description: 'Instance applications: no consent screen' },
            dynamic_user_scope: {
              type: 'boolean',
              description: 'Instance applications: may ask for the user:* scope',
            },
          },
          { in: 'body' },
        ),
      },
      async (request, reply) => {
        const ownerId = ownerFor(request, WRITE_API);
        const params = apiParams(request);
        const created = await createApplication(deps, actorOf(request), {
          name: requiredString(params, 'name'),
          redirectUris: requiredString(params, 'redirect_uri').split(/\s+/),
          scopes: parseScopes(params.scopes) ?? [],
          confidential: optionalBoolean(params, 'confidential') ?? true,
          trusted: ownerId === null ? (optionalBoolean(params, 'trusted') ?? false) : false,
          dynamicUserScope:
            ownerId === null ? (optionalBoolean(params, 'dynamic_user_scope') ?? false) : false,
          ownerId,
        });
        return reply.status(201).send(presentOAuthApplication(created.application, created.secret));
      },
    );

    app.get(
      base,
      { config: requires(PERMISSIONS.readOauthApplication), schema: parameters(PAGINATION, { in: 'query' }) },
      async (request, reply) => {
        const ownerId = ownerFor(request, READ_API);
        const page = pageRequest(request);
        const { applications, total } = await listApplications(deps, ownerId, page);
        return sendPage(
          request,
          reply,
          externalUrl,
          page,
          total,
          applications.map((a) => presentOAuthApplication(a)),
        );
      },
    );

    app.delete<IdParams>(
      `${base}/:id`,
      { config: requires(PERMISSIONS.deleteOauthApplication) },
      async (request, reply) => {
        const ownerId = ownerFor(request, WRITE_API);
        const id = numericId(request.params.id);
        if (Number.isNaN(id)) throw notFound('Application');
        await deleteApplication(deps, actorOf(request), id, ownerId);
        return reply.status(204).send();
      },
    );

    app.post<IdParams>(
      `${base}/:id/renew-secret`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.renewSecretOauthApplication) },
        schema: NO_PARAMETERS,
      },
      async (request, reply) => {
        const ownerId = ownerFor(request, WRITE_API);
        const id = numericId(request.params.id);
        if (Number.isNaN(id)) throw notFound('Application');
        const renewed = await renewApplicationSecret(deps, actorOf(request), id, ownerId);
        return reply.status(201).send(presentOAuthApplication(renewed.application, renewed.secret));
      },
    );
  }
}
