import type { Digester, SecretBox } from '../../crypto/secrets.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';
import { deployTokenCacheFor, type DeployTokenCache } from './deploy-token-cache.ts';

/** A rotated secret keeps working this long unless the project says otherwise. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

/** What the deploy token services need from the instance. */
export interface DeployTokenDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  /** Seals the secret of `gitlab-deploy-token`, which later CI jobs must receive again. */
  box: SecretBox;
  metrics: Metrics;
  /** Recently authenticated tokens; every change to a token in this process must forget it here. */
  cache: DeployTokenCache;
  /** Instance prefix before `gldt-`, or ''. */
  tokenPrefix: string;
}

/** The services' dependencies, taken from the instance context. */
export function deployTokenDeps(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'metrics' | 'settings'>,
): DeployTokenDeps {
  return {
    db: context.db,
    clock: context.clock,
    digester: context.secrets.digester,
    box: context.secrets.box,
    metrics: context.metrics,
    cache: deployTokenCacheFor(context.db, context.clock, context.settings.tokenCacheTtlSeconds * 1000),
    tokenPrefix: context.settings.tokenPrefix,
  };
}
