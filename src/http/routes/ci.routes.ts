import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { startJobWatchdog } from '../../ci/finish-job.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { gitHttpRoutes } from './git-http.routes.ts';
import { jobTokenScopeRoutes } from './job-token-scope.routes.ts';
import { jobsRoutes } from './jobs.routes.ts';
import { pipelinesRoutes } from './pipelines.routes.ts';
import { runnerApiRoutes } from './runner-api.routes.ts';
import { runnersRoutes } from './runners.routes.ts';

/**
 * Everything CI serves: git over HTTP, pipelines and jobs, runners and the runner API, the job-token
 * allowlist; and the watchdog that fails jobs past their timeout while
 * the server runs.
 */
export async function ciRoutes(app: FastifyInstance, options: { context: InstanceContext }): Promise<void> {
  await app.register(gitHttpRoutes, options);
  await app.register(pipelinesRoutes, options);
  await app.register(jobsRoutes, options);
  await app.register(runnersRoutes, options);
  await app.register(runnerApiRoutes, options);
  await app.register(jobTokenScopeRoutes, options);

  const deps = ciDeps(options.context);
  let stopWatchdog: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stopWatchdog = startJobWatchdog(deps, options.context.settings.ci.watchdogIntervalSeconds * 1000);
  });
  app.addHook('onClose', async () => stopWatchdog?.());
}
