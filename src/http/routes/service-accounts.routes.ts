import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../../errors/tessera-error.ts';
import {
  createGroupServiceAccount,
  createServiceAccount,
  listServiceAccounts,
  type ServiceAccountInput,
} from '../../identity/service-account.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { User } from '../../store/schema.ts';
import { apiParams, optionalBoolean, optionalString } from '../api-params.ts';
import { actingUserOf, actorOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type GroupParams = { Params: { id: string } };

/**
 * Service accounts at GitLab's paths: instance-wide (`/api/v4/service_accounts`, administrators) and
 * provisioned by a top-level group (`/api/v4/groups/:id/service_accounts`, its owners). Tessera adds
 * `composite_identity_enforced`: the account's OAuth tokens then always act for one person, with the
 * intersection of both's permissions.
 */
export async function serviceAccountsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const deps = { db, clock, externalUrl: settings.externalUrl };

  const input = (request: FastifyRequest): ServiceAccountInput => {
    const params = apiParams(request);
    return {
      username: optionalString(params, 'username') || undefined,
      name: optionalString(params, 'name') || undefined,
      email: optionalString(params, 'email') || undefined,
      compositeIdentityEnforced: optionalBoolean(params, 'composite_identity_enforced') ?? false,
    };
  };
  const admin = (request: FastifyRequest, scopes: readonly string[]) => {
    const principal = requireScope(request, scopes);
    if (principal.user.is_admin !== 1) throw forbidden();
    return principal;
  };
  const acting = (request: FastifyRequest, scopes: readonly string[]) =>
    actingUserOf(request, requireScope(request, scopes));

  app.post(
    '/api/v4/service_accounts',
    {
      config: requires(PERMISSIONS.createServiceAccount),
      schema: parameters(
        {
          username: { type: 'string', description: 'Username (generated when left out)' },
          name: { type: 'string', description: 'Display name' },
          email: { type: 'string', format: 'email', description: 'Email address' },
          composite_identity_enforced: {
            type: 'boolean',
            description: 'Its tokens act only for a person (composite identity)',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      admin(request, WRITE_API);
      const user = await createServiceAccount(deps, actorOf(request), input(request));
      return reply.status(201).send(presentServiceAccount(user));
    },
  );

  app.get(
    '/api/v4/service_accounts',
    { config: requires(PERMISSIONS.readServiceAccount), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) => {
      admin(request, READ_API);
      const page = pageRequest(request);
      const { accounts, total } = await listServiceAccounts(deps, { group: null }, page);
      return sendPage(request, reply, settings.externalUrl, page, total, accounts.map(presentServiceAccount));
    },
  );

  app.post<GroupParams>(
    '/api/v4/groups/:id/service_accounts',
    {
      config: requires(PERMISSIONS.createServiceAccount),
      schema: parameters(
        {
          username: { type: 'string', description: 'Username (generated when left out)' },
          name: { type: 'string', description: 'Display name' },
          email: { type: 'string', format: 'email', description: 'Email address' },
          composite_identity_enforced: {
            type: 'boolean',
            description: 'Its tokens act only for a person (composite identity)',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const user = await createGroupServiceAccount(
        deps,
        acting(request, WRITE_API),
        request.params.id,
        input(request),
      );
      return reply.status(201).send(presentServiceAccount(user));
    },
  );

  app.get<GroupParams>(
    '/api/v4/groups/:id/service_accounts',
    { config: requires(PERMISSIONS.readServiceAccount), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) => {
      const page = pageRequest(request);
      const { accounts, total } = await listServiceAccounts(
        deps,
        { group: request.params.id, acting: acting(request, READ_API) },
        page,
      );
      return sendPage(request, reply, settings.externalUrl, page, total, accounts.map(presentServiceAccount));
    },
  );
}

/** GitLab's answer (`id`, `username`, `name`, `email`), with Tessera's composite identity flag. */
function presentServiceAccount(user: User) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    email: user.email,
    composite_identity_enforced: user.composite_identity_enforced === 1,
  };
}
