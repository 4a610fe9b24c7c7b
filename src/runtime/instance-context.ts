import type { Settings } from '../config/settings.ts';
import type { InstanceSecrets } from '../crypto/instance-secrets.ts';
import type { KeyManager } from '../keys/key-manager.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { FailureLimiter } from '../security/rate-limiter.ts';
import type { Db } from '../store/database.ts';
import type { BasicCredentialResolver } from '../tokens/basic-credentials.ts';
import type { TokenAuthenticator } from '../tokens/token-authenticator.ts';
import type { Clock } from '../util/clock.ts';
import type { RedisEvictionFeed } from './redis-eviction-feed.ts';

/** Everything the instance role's services share; built once at start-up. */
export interface InstanceContext {
  settings: Settings;
  db: Db;
  clock: Clock;
  logger: Logger;
  secrets: InstanceSecrets;
  keys: KeyManager;
  metrics: Metrics;
  /** Every opaque token kind the API accepts, tried by prefix. */
  tokenAuthenticators: TokenAuthenticator[];
  /** Every kind of HTTP basic credential git and the registry accept, tried in order. */
  basicCredentialResolvers: BasicCredentialResolver[];
  /** Failed sign-ins and token authentications, counted per type, address and account (Redis when configured). */
  failureLimiter: FailureLimiter;
  /** Tells the other replicas which cached credentials a revocation made stale; only with Redis. */
  evictionFeed?: RedisEvictionFeed;
}
