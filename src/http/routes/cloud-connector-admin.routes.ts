import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CloudConnector } from '../../cloud/instance/cloud-connector.ts';
import { forbidden } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import { apiParams, requiredString } from '../api-params.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** An administrator with a credential carrying one of `scopes`; 401/403 otherwise. */
export function requireAdmin(request: FastifyRequest, scopes: readonly string[]): Principal {
  const principal = requireScope(request, scopes);
  if (!principal.user.is_admin) throw forbidden();
  return principal;
}

/**
 * The instance admin's Cloud Connector API: status (license, instance token, sync health, seats),
 * activation with a code, an on-demand sync, and the service account's token (`service_account` mode).
 */
export async function cloudConnectorAdminRoutes(
  app: FastifyInstance,
  options: { cloud: CloudConnector },
): Promise<void> {
  const { cloud } = options;

  app.get(
    '/api/v4/admin/cloud_connector/status',
    { config: requires(PERMISSIONS.readCloudConnector) },
    async (request) => {
      requireAdmin(request, READ_API);
      return cloud.status();
    },
  );

  app.post(
    '/api/v4/admin/cloud_connector/activate',
    {
      config: requires(PERMISSIONS.updateCloudConnector),
      schema: parameters(
        {
          activation_code: {
            type: 'string',
            required: true,
            description: 'The activation code from the license authority',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      requireAdmin(request, WRITE_API);
      const code = requiredString(apiParams(request), 'activation_code');
      return reply.status(201).send(await cloud.activate(actorOf(request), code));
    },
  );

  app.post(
    '/api/v4/admin/cloud_connector/sync',
    { config: requires(PERMISSIONS.syncCloudConnector), schema: NO_PARAMETERS },
    async (request) => {
      requireAdmin(request, WRITE_API);
      return cloud.syncNow();
    },
  );

  app.put(
    '/api/v4/admin/cloud_connector/service_account_token',
    {
      config: requires(PERMISSIONS.updateCloudConnector),
      schema: parameters(
        {
          token: {
            type: 'string',
            required: true,
            description: 'The service account token for the AI services',
          },
        },
        { in: 'body' },
      ),
    },
    async (request) => {
      requireAdmin(request, WRITE_API);
      const token = requiredString(apiParams(request), 'token');
      return cloud.setServiceAccountToken(actorOf(request), token);
    },
  );
}
