import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import { redisErrorMessage, redisKeyPrefix } from '../security/redis-failure-limiter.ts';
import { decodeMessage, RedisChannel } from './redis-channel.ts';
import {
  applyEviction,
  attachEvictionFeed,
  clearEvictableCaches,
  type CacheEviction,
  type EvictionFeed,
} from '../tokens/cache-evictions.ts';

export interface RedisEvictionFeedOptions {
  /** `redis://…` of the server every replica shares. */
  url: string;
  /** The instance's key prefix ({@link redisKeyPrefix}): its replicas share the channel, no other instance does. */
  keyPrefix: string;
  /** A publish that failed or was skipped, a lost subscription, a malformed message: reported, never thrown. */
  onError: (error: Error) => void;
  /** Longest wait for one publish before giving up on it; default 500 ms. */
  publishTimeoutMs?: number;
}

/** What a replica does with the evictions of its peers. */
export interface EvictionSubscriber {
  onEviction(eviction: CacheEviction): void;
  /** Subscribed again after losing the connection: evictions published meanwhile never arrived. */
  onResubscribed(): void;
}

const ID_FIELDS = ['deployTokenIds', 'jobIds', 'userIds'] as const;
/** Far longer than any keyed digest; anything longer is not one of ours. */
const MAX_DIGEST_LENGTH = 256;

/**
 * The channel on which the replicas of one instance tell each other which cached credentials a
 * revocation made stale (Redis pub/sub, `<prefix>cache-evictions`, a {@link RedisChannel}). A message
 * names digests and ids, never a secret, and carries the sending process's random origin so a replica
 * skips its own.
 *
 * Pub/sub keeps nothing, so a replica whose subscription dropped empties its caches when it is back
 * ({@link EvictionSubscriber.onResubscribed}): the TTLs bound what it missed while it was away, and
 * nothing after. A publish that cannot reach Redis is reported and dropped; the revocation it follows
 * has already been committed.
 *
 * @example
 * const feed = new RedisEvictionFeed({ url, keyPrefix: redisKeyPrefix(externalUrl), onError });
 * await feed.subscribe({ onEviction: (e) => applyEviction(db, e), onResubscribed: () => clearEvictableCaches(db) });
 * await feed.publish({ accessTokenDigests: [digest] });
 */
export class RedisEvictionFeed implements EvictionFeed {
  readonly channel: string;
  readonly #channel: RedisChannel<CacheEviction>;

  constructor(options: RedisEvictionFeedOptions) {
    this.#channel = new RedisChannel({
      url: options.url,
      channel: `${options.keyPrefix}cache-evictions`,
      carries: 'cache eviction',
      decode: decodeEvictionFields,
      onError: options.onError,
      ...(options.publishTimeoutMs !== undefined ? { publishTimeoutMs: options.publishTimeoutMs } : {}),
    });
    this.channel = this.#channel.channel;
  }

  publish(eviction: CacheEviction): Promise<void> {
    return this.#channel.publish(eviction);
  }

  /**
   * Subscribes to the channel on a connection of its own, which ioredis re-opens after Redis restarts.
   * True once subscribed; false when the first subscription took longer than `waitMs` (it keeps trying).
   */
  subscribe(subscriber: EvictionSubscriber, waitMs = 2000): Promise<boolean> {
    return this.#channel.subscribe(
      {
        onMessage: (eviction) => subscriber.onEviction(eviction),
        onResubscribed: () => subscriber.onResubscribed(),
      },
      waitMs,
    );
  }

  /** Closes both connections (when they were opened). */
  close(): Promise<void> {
    return this.#channel.close();
  }
}

/** A message from the channel, or undefined when it is not one a replica of ours could have sent. */
export function decodeEviction(text: string): { origin: string; eviction: CacheEviction } | undefined {
  const decoded = decodeMessage(text, decodeEvictionFields);
  return decoded && { origin: decoded.origin, eviction: decoded.message };
}

function decodeEvictionFields(fields: Record<string, unknown>): CacheEviction | undefined {
  const eviction: { -readonly [K in keyof CacheEviction]: CacheEviction[K] } = {};
  const digests = fields.accessTokenDigests;
  if (digests !== undefined) {
    if (!isArrayOf(digests, (d) => typeof d === 'string' && d.length > 0 && d.length <= MAX_DIGEST_LENGTH))
      return undefined;
    eviction.accessTokenDigests = digests as string[];
  }
  for (const field of ID_FIELDS) {
    const ids = fields[field];
    if (ids === undefined) continue;
    if (!isArrayOf(ids, (id) => Number.isSafeInteger(id) && (id as number) > 0)) return undefined;
    eviction[field] = ids as number[];
  }
  return eviction;
}

function isArrayOf(value: unknown, valid: (item: unknown) => boolean): value is unknown[] {
  return Array.isArray(value) && value.every(valid);
}

/**
 * The instance's eviction feed when `TESSERA_REDIS_URL` is set, attached to its store so that every
 * revocation publishes through it; undefined (and nothing attached) without Redis.
 */
export function createEvictionFeed(
  settings: Pick<Settings, 'redisUrl' | 'externalUrl'>,
  store: object,
  logger: Logger,
): RedisEvictionFeed | undefined {
  if (!settings.redisUrl) return undefined;
  const feed = new RedisEvictionFeed({
    url: settings.redisUrl,
    keyPrefix: redisKeyPrefix(settings.externalUrl),
    onError: (error) =>
      logger.warn(
        { error: redisErrorMessage(error) },
        'cache evictions: Redis unavailable; other replicas rely on their cache TTL',
      ),
  });
  attachEvictionFeed(store, feed);
  return feed;
}

/**
 * Applies the evictions other replicas publish to this process's caches of `store`, and empties them
 * after an outage of the feed. Waits (boundedly) for the first subscription, so a replica that starts
 * with Redis up serves no request it could miss an eviction for.
 */
export async function subscribeToEvictions(
  feed: RedisEvictionFeed,
  store: object,
  logger: Logger,
): Promise<void> {
  const subscribed = await feed.subscribe({
    onEviction: (eviction) => applyEviction(store, eviction),
    onResubscribed: () => {
      clearEvictableCaches(store);
      logger.info('cache evictions: subscribed again; token caches emptied');
    },
  });
  if (!subscribed)
    logger.warn('cache evictions: not subscribed yet; still trying, the cache TTL is the bound meanwhile');
}
