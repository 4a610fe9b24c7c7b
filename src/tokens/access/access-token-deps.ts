import type { Digester } from '../../crypto/secrets.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';
import { accessTokenCacheFor, type AccessTokenCache } from './access-token-cache.ts';

/** What the access token services need from the instance. */
export interface AccessTokenDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  metrics: Metrics;
  cache: AccessTokenCache;
  policy: {
    /** Instance prefix before `glpat-`, or ''. */
    tokenPrefix: string;
    maxLifetimeDays: number;
    /** Impersonation tokens may be made and authenticate. */
    impersonationEnabled: boolean;
    /** Its host names the bot users' no-reply addresses. */
    externalUrl: string;
  };
}

/** The services' dependencies, taken from the instance context. */
export function accessTokenDeps(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'metrics' | 'settings'>,
): AccessTokenDeps {
  return {
    db: context.db,
    clock: context.clock,
    digester: context.secrets.digester,
    metrics: context.metrics,
    cache: accessTokenCacheFor(context.db, context.clock, context.settings.tokenCacheTtlSeconds * 1000),
    policy: {
      tokenPrefix: context.settings.tokenPrefix,
      maxLifetimeDays: context.settings.accessTokenMaxLifetimeDays,
      impersonationEnabled: context.settings.impersonationEnabled,
      externalUrl: context.settings.externalUrl,
    },
  };
}
