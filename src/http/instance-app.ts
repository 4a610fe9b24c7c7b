import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { createHttpApp } from './app.ts';
import { installAuthentication } from './authenticate.ts';
import { installCsrfProtection, sessionDepsFor, sessionResolver } from './session-authentication.ts';
import { accessTokensRoutes } from './routes/access-tokens.routes.ts';
import { adminTokenRoutes } from './routes/admin-token.routes.ts';
import { auditEventsRoutes } from './routes/audit-events.routes.ts';
import { discoveryRoutes } from './routes/discovery.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { identityRoutes } from './routes/identity.routes.ts';
import { resourceAccessTokensRoutes } from './routes/resource-access-tokens.routes.ts';

/** The instance role's HTTP server: every route it serves, registered in one place. */
export async function buildInstanceApp(context: InstanceContext): Promise<FastifyInstance> {
  const app = createHttpApp({ logger: context.logger, metrics: context.metrics });
  const sessions = sessionDepsFor(context);
  installAuthentication(app, {
    sessions: sessionResolver(sessions),
    tokenAuthenticators: context.tokenAuthenticators,
    tokenPrefix: context.settings.tokenPrefix,
    metrics: context.metrics,
  });
  installCsrfProtection(app, context.secrets.digester);
  await app.register(healthRoutes, { db: context.db, metrics: context.metrics });
  await app.register(discoveryRoutes, { keys: context.keys, settings: context.settings });
  await app.register(identityRoutes, { context, sessions });
  await app.register(accessTokensRoutes, { context });
  await app.register(resourceAccessTokensRoutes, { context });
  await app.register(adminTokenRoutes, { context });
  await app.register(auditEventsRoutes, { context });
  return app;
}
