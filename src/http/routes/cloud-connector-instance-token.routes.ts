import type { FastifyInstance } from 'fastify';
import type { CloudConnector } from '../../cloud/instance/cloud-connector.ts';
import { apiParams } from '../api-params.ts';
import { requireScope } from '../authenticate.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/**
 * `POST /api/v4/cloud_connector/instance_token` on a SaaS-realm instance: a self-managed instance in
 * `service_account` mode exchanges its service account's access token (`api` or `ai_features`) for
 * an instance token. 404 on any other realm.
 */
export async function cloudConnectorInstanceTokenRoutes(
  app: FastifyInstance,
  options: { cloud: CloudConnector },
): Promise<void> {
  app.post(
    '/api/v4/cloud_connector/instance_token',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createInstanceToken) },
      schema: parameters(
        { instance_id: { type: 'string', description: 'The self-managed instance the token is for' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, ['ai_features', 'api']);
      const issued = await options.cloud.instanceTokenForServiceAccount(
        principal.user,
        apiParams(request).instance_id,
      );
      return reply.status(201).send(issued);
    },
  );
}
