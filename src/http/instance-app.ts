import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { createHttpApp } from './app.ts';
import { installAuthentication } from './authenticate.ts';
import { discoveryRoutes } from './routes/discovery.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';

/** The instance role's HTTP server: every route it serves, registered in one place. */
export async function buildInstanceApp(context: InstanceContext): Promise<FastifyInstance> {
  const app = createHttpApp({ logger: context.logger, metrics: context.metrics });
  installAuthentication(app, {
    tokenAuthenticators: context.tokenAuthenticators,
    tokenPrefix: context.settings.tokenPrefix,
    metrics: context.metrics,
  });
  await app.register(healthRoutes, { db: context.db, metrics: context.metrics });
  await app.register(discoveryRoutes, { keys: context.keys, settings: context.settings });
  return app;
}
