import { join } from 'node:path';
import { RepositoryStore } from '../../git/repository-store.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { accessTokenDeps, type AccessTokenDeps } from '../../tokens/access/access-token-deps.ts';
import { deployTokenCacheFor, type DeployTokenCache } from '../../tokens/deploy/deploy-token-cache.ts';

/** What tearing down a credential holder needs: the store, the token caches to purge, the repositories to remove. */
export interface TeardownDeps {
  access: AccessTokenDeps;
  deployTokenCache: DeployTokenCache;
  repositories: RepositoryStore;
}

/** The teardown's dependencies, taken from the instance context. */
export function teardownDeps(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'metrics' | 'settings'>,
): TeardownDeps {
  return {
    access: accessTokenDeps(context),
    deployTokenCache: deployTokenCacheFor(
      context.db,
      context.clock,
      context.settings.tokenCacheTtlSeconds * 1000,
    ),
    repositories: new RepositoryStore(join(context.settings.dataDir, 'repositories')),
  };
}
