import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import { InProcessFailureLimiter, type FailureLimiter } from './rate-limiter.ts';
import { RedisFailureLimiter, redisErrorMessage, redisKeyPrefix } from './redis-failure-limiter.ts';

/**
 * The instance's one failure limiter, shared by sign-in and token authentication: in this process by
 * default, in Redis when `TESSERA_REDIS_URL` is set so that every replica counts the same failures.
 *
 * @example
 * const limiter = createFailureLimiter(settings, { clock, logger });
 * await limiter.close?.();
 */
export function createFailureLimiter(
  settings: Pick<Settings, 'authFailureLimit' | 'authFailureWindowSeconds' | 'redisUrl' | 'externalUrl'>,
  options: { clock: Clock; logger: Logger },
): FailureLimiter {
  const limit = settings.authFailureLimit;
  const windowSeconds = settings.authFailureWindowSeconds;
  if (!settings.redisUrl) return new InProcessFailureLimiter({ limit, windowSeconds, clock: options.clock });
  return new RedisFailureLimiter({
    url: settings.redisUrl,
    limit,
    windowSeconds,
    keyPrefix: redisKeyPrefix(settings.externalUrl),
    // Only the message: an ioredis error can quote the URL, and with it a password.
    onError: (error) =>
      options.logger.warn(
        { error: redisErrorMessage(error) },
        'failure limiter: Redis unavailable, not counting',
      ),
  });
}
