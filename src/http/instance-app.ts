import type { FastifyInstance } from 'fastify';
import { registerJobVariableProvider } from '../ci/job-variables.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { RoleReadiness } from '../runtime/role-readiness.ts';
import { deployTokenVariableProvider } from '../tokens/deploy/deploy-token-variables.ts';
import { AuthenticationThrottle } from '../security/authentication-throttle.ts';
import { createHttpApp } from './app.ts';
import { webRoutes } from '../web/web-routes.ts';
import { installAuthentication } from './authenticate.ts';
import { installSudo } from './sudo.ts';
import { installGranularScopeBoundary } from './granular-scope-boundary.ts';
import { installListPagination } from './pagination.ts';
import { installOpenApi } from './openapi.ts';
import { installCsrfProtection, sessionDepsFor, sessionResolver } from './session-authentication.ts';
import { accessTokensRoutes } from './routes/access-tokens.routes.ts';
import { permissionsRoutes } from './routes/permissions.routes.ts';
import { impersonationTokensRoutes } from './routes/impersonation-tokens.routes.ts';
import { applicationSettingsRoutes } from './routes/application-settings.routes.ts';
import { installAutoDevOpsProvisioning } from './routes/auto-devops-provisioning.ts';
import { deployTokensRoutes } from './routes/deploy-tokens.routes.ts';
import { projectSettingsRoutes } from './routes/project-settings.routes.ts';
import { registryAuthRoutes } from './routes/registry-auth.routes.ts';
import { adminTokenRoutes } from './routes/admin-token.routes.ts';
import { auditEventsRoutes } from './routes/audit-events.routes.ts';
import { ciRoutes } from './routes/ci.routes.ts';
import { pipelineTriggersRoutes } from './routes/pipeline-triggers.routes.ts';
import { ciVariablesRoutes } from './routes/ci-variables.routes.ts';
import { protectedBranchesRoutes } from './routes/protected-branches.routes.ts';
import { repositoryBranchesRoutes } from './routes/repository-branches.routes.ts';
import { installJobTokenBoundary } from './routes/job-token-boundary.ts';
import { cloudConnectorRoutes } from './routes/cloud-connector.routes.ts';
import { discoveryRoutes } from './routes/discovery.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { metadataRoutes } from './routes/metadata.routes.ts';
import { identityRoutes } from './routes/identity.routes.ts';
import { resourceAccessTokensRoutes } from './routes/resource-access-tokens.routes.ts';
import { applicationsRoutes } from './routes/applications.routes.ts';
import { oauthAuthorizeRoutes } from './routes/oauth-authorize.routes.ts';
import { oauthTokenRoutes } from './routes/oauth-token.routes.ts';
import { oauthUserinfoRoutes } from './routes/oauth-userinfo.routes.ts';
import { oauthLogoutRoutes } from './routes/oauth-logout.routes.ts';
import { serviceAccountsRoutes } from './routes/service-accounts.routes.ts';
import { aiWorkflowsRoutes } from './routes/ai-workflows.routes.ts';
import { installCompositeIdentityBoundary } from './routes/composite-identity-boundary.ts';

/**
 * The instance role's HTTP server: every route it serves, registered in one place. It answers 503
 * (probes apart) until `readiness` is marked ready.
 */
export async function buildInstanceApp(
  context: InstanceContext,
  readiness: RoleReadiness,
): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: context.logger,
    metrics: context.metrics,
    readiness,
    trustedProxies: context.settings.trustedProxies,
  });
  await installOpenApi(app, context.settings.externalUrl);
  const sessions = sessionDepsFor(context);
  installAuthentication(app, {
    sessions: sessionResolver(sessions),
    tokenAuthenticators: context.tokenAuthenticators,
    tokenPrefix: context.settings.tokenPrefix,
    metrics: context.metrics,
    throttle: new AuthenticationThrottle({
      db: context.db,
      clock: context.clock,
      limiter: context.failureLimiter,
    }),
  });
  app.addHook('onClose', async () => context.failureLimiter.close?.());
  installSudo(app, context.db);
  installListPagination(app, context.settings.externalUrl);
  installCsrfProtection(app, context.secrets.digester);
  installJobTokenBoundary(app, context);
  installGranularScopeBoundary(app, context.db);
  installCompositeIdentityBoundary(app);
  installAutoDevOpsProvisioning(app, context);
  await app.register(healthRoutes, { readiness, db: context.db, metrics: context.metrics });
  await app.register(discoveryRoutes, { keys: context.keys, settings: context.settings });
  await app.register(metadataRoutes);
  await app.register(identityRoutes, { context, sessions });
  await app.register(accessTokensRoutes, { context });
  await app.register(permissionsRoutes);
  await app.register(impersonationTokensRoutes, { context });
  await app.register(resourceAccessTokensRoutes, { context });
  await app.register(adminTokenRoutes, { context });
  await app.register(auditEventsRoutes, { context });
  await app.register(webRoutes, { context });
  await app.register(deployTokensRoutes, { context });
  await app.register(projectSettingsRoutes, { context });
  await app.register(applicationSettingsRoutes, { context });
  await app.register(registryAuthRoutes, { context });
  // CI jobs of this instance receive CI_DEPLOY_USER / CI_DEPLOY_PASSWORD while it serves.
  const unregisterDeployVariables = registerJobVariableProvider(deployTokenVariableProvider(context));
  app.addHook('onClose', async () => unregisterDeployVariables());
  await app.register(cloudConnectorRoutes, { context });
  // The OAuth 2 provider (token, revoke, introspect, device, authorize, userinfo), its applications,
  // and service accounts.
  await app.register(oauthTokenRoutes, { context });
  await app.register(oauthAuthorizeRoutes, { context });
  await app.register(oauthUserinfoRoutes, { context });
  await app.register(oauthLogoutRoutes, { context });
  await app.register(applicationsRoutes, { context });
  await app.register(serviceAccountsRoutes, { context });
  await app.register(aiWorkflowsRoutes, { context });
  await app.register(pipelineTriggersRoutes, { context });
  await app.register(ciVariablesRoutes, { context });
  await app.register(protectedBranchesRoutes, { context });
  await app.register(repositoryBranchesRoutes, { context });
  await app.register(ciRoutes, { context });
  return app;
}
