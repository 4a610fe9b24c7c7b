import type { Digester } from '../../crypto/secrets.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';
import { jobTokenCacheFor, type JobTokenCache } from './job-token-cache.ts';

/** What job-token authentication needs from the instance. */
export interface JobTokenDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  /** Instance prefix before `glcbt-`, or ''. */
  tokenPrefix: string;
  cache: JobTokenCache;
}

export function jobTokenDeps(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'settings'>,
): JobTokenDeps {
  return {
    db: context.db,
    clock: context.clock,
    digester: context.secrets.digester,
    tokenPrefix: context.settings.tokenPrefix,
    cache: jobTokenCacheFor(context.db, context.clock, context.settings.jobTokenCacheTtlMs),
  };
}
