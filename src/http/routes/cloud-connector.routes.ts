import type { FastifyInstance } from 'fastify';
import { cloudConnectorFor } from '../../cloud/instance/cloud-connector.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { addOnSeatsRoutes } from './add-on-seats.routes.ts';
import { cloudConnectorAdminRoutes } from './cloud-connector-admin.routes.ts';
import { cloudConnectorInstanceTokenRoutes } from './cloud-connector-instance-token.routes.ts';
import { codeSuggestionsRoutes } from './code-suggestions.routes.ts';

/**
 * Everything Cloud Connector serves on the instance — admin status and activation, seats, user AI
 * tokens, the SaaS instance-token endpoint — and the background sync of the instance token, which
 * runs while the server does.
 */
export async function cloudConnectorRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const cloud = cloudConnectorFor(options.context);
  app.addHook('onReady', async () => cloud.start());
  app.addHook('onClose', async () => cloud.stop());
  await app.register(cloudConnectorAdminRoutes, { cloud });
  await app.register(addOnSeatsRoutes, { cloud });
  await app.register(codeSuggestionsRoutes, { cloud });
  await app.register(cloudConnectorInstanceTokenRoutes, { cloud });
}
