import type { Digester } from '../../crypto/secrets.ts';
import type { KeyManager } from '../../keys/key-manager.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { FailureLimiter } from '../../security/rate-limiter.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';

/** What the OAuth provider's services need from the instance. */
export interface OAuthDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  metrics: Metrics;
  /** Signs ID tokens with the instance's key. */
  keys: KeyManager;
  /** Counts wrong user codes typed on the device page. */
  limiter: FailureLimiter;
  policy: {
    /** Instance prefix before `gloat-`/`glort-`/`gloas-`, or ''. */
    tokenPrefix: string;
    /** The issuer: `iss` of ID tokens, root of the verification URI. */
    externalUrl: string;
    accessTokenLifetimeSeconds: number;
    deviceCodeLifetimeSeconds: number;
    devicePollIntervalSeconds: number;
  };
}

/** The services' dependencies, taken from the instance context. */
export function oauthDeps(
  context: Pick<
    InstanceContext,
    'db' | 'clock' | 'secrets' | 'metrics' | 'keys' | 'settings' | 'failureLimiter'
  >,
): OAuthDeps {
  const { settings } = context;
  return {
    db: context.db,
    clock: context.clock,
    digester: context.secrets.digester,
    metrics: context.metrics,
    keys: context.keys,
    limiter: context.failureLimiter,
    policy: {
      tokenPrefix: settings.tokenPrefix,
      externalUrl: settings.externalUrl,
      accessTokenLifetimeSeconds: settings.oauth.accessTokenLifetimeSeconds,
      deviceCodeLifetimeSeconds: settings.oauth.deviceCodeLifetimeSeconds,
      devicePollIntervalSeconds: settings.oauth.devicePollIntervalSeconds,
    },
  };
}
