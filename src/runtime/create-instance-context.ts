import type { Settings } from '../config/settings.ts';
import { loadInstanceSecrets } from '../crypto/instance-secrets.ts';
import { KeyManager } from '../keys/key-manager.ts';
import type { Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { createFailureLimiter } from '../security/create-failure-limiter.ts';
import { openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrations/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { InstanceContext } from './instance-context.ts';
import { createEvictionFeed } from './redis-eviction-feed.ts';
import { basicCredentialResolvers, tokenAuthenticators } from './token-authenticators.ts';

/** Opens the store, brings its schema up to date, loads the instance secrets and makes sure signing keys exist. */
export async function createInstanceContext(
  settings: Settings,
  options: { logger: Logger; clock?: Clock },
): Promise<InstanceContext> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const db = openDatabase(settings.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'store migrated');
    const secrets = loadInstanceSecrets(settings, (message) => logger.warn(message));
    const keys = new KeyManager({ db, clock, box: secrets.box, settings, logger });
    await keys.ensureKeys('instance');
    // The container registry's token service signs with keys of its own (wrapped in certificates).
    await keys.ensureKeys('registry');
    const context: InstanceContext = {
      settings,
      db,
      clock,
      logger,
      secrets,
      keys,
      metrics: new Metrics({ defaultMetrics: true }),
      tokenAuthenticators: [],
      basicCredentialResolvers: [],
      failureLimiter: createFailureLimiter(settings, { clock, logger }),
    };
    const evictionFeed = createEvictionFeed(settings, db, logger);
    if (evictionFeed) context.evictionFeed = evictionFeed;
    context.tokenAuthenticators.push(...tokenAuthenticators(context));
    context.basicCredentialResolvers.push(...basicCredentialResolvers(context));
    return context;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
