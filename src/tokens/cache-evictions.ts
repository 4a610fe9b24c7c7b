/**
 * What a revocation takes out of the token caches. Ids and keyed digests only, never a secret: an
 * eviction travels to the other replicas of the instance through its {@link EvictionFeed}.
 */
export interface CacheEviction {
  /** Keyed digests of access tokens (personal, project, group, impersonation) revoked or rotated. */
  accessTokenDigests?: readonly string[];
  /** Deploy tokens revoked, rotated or deleted. */
  deployTokenIds?: readonly number[];
  /** CI jobs that ended or lost their token. */
  jobIds?: readonly number[];
  /** Users who can no longer act (blocked, deactivated, deleted, a revoked token's bot): every cached token and job acting as them. */
  userIds?: readonly number[];
}

/** A cache of authenticated credentials that revocations must reach. */
export interface EvictableCache {
  evict(eviction: CacheEviction): void;
  /** Drops everything: evictions may have been missed while the feed was down. */
  clear(): void;
}

/** Carries evictions to the other replicas of the instance (Redis pub/sub when configured). */
export interface EvictionFeed {
  /** Never throws: a feed that cannot publish reports it, and the caches' TTL stays the bound. */
  publish(eviction: CacheEviction): Promise<void>;
}

interface StoreEvictions {
  caches: Set<EvictableCache>;
  feed: EvictionFeed | undefined;
}

/** Keyed by the store handle, as the caches are: several instances may share a process (tests, `serve all`). */
const byStore = new WeakMap<object, StoreEvictions>();

function evictionsOf(store: object): StoreEvictions {
  let evictions = byStore.get(store);
  if (!evictions) {
    evictions = { caches: new Set(), feed: undefined };
    byStore.set(store, evictions);
  }
  return evictions;
}

/** Makes `cache` reachable by evictions that arrive from other replicas of the instance owning `store`. */
export function registerEvictableCache(store: object, cache: EvictableCache): void {
  evictionsOf(store).caches.add(cache);
}

/** Sends this instance's evictions to its other replicas from now on (undefined: no longer). */
export function attachEvictionFeed(store: object, feed: EvictionFeed | undefined): void {
  evictionsOf(store).feed = feed;
}

/**
 * Tells the other replicas of `store`'s instance to drop what a committed revocation made stale. Call
 * it after the commit, next to the eviction from this process's own cache, and await it before
 * acknowledging the revocation: with a feed the other replicas refuse the credential about as soon as
 * the client hears it is revoked. Without a feed (no Redis) it does nothing and the TTLs are the bound.
 *
 * @example
 * deps.cache.forget(token.digest);
 * await publishEviction(deps.db, { accessTokenDigests: [token.digest] });
 */
export async function publishEviction(store: object, eviction: CacheEviction): Promise<void> {
  const feed = byStore.get(store)?.feed;
  if (feed && !isEmpty(eviction)) await feed.publish(eviction);
}

/** Applies an eviction that another replica published to this process's caches of `store`. */
export function applyEviction(store: object, eviction: CacheEviction): void {
  for (const cache of byStore.get(store)?.caches ?? []) cache.evict(eviction);
}

/** Empties this process's caches of `store`: the feed was down, so evictions may have been missed. */
export function clearEvictableCaches(store: object): void {
  for (const cache of byStore.get(store)?.caches ?? []) cache.clear();
}

function isEmpty(eviction: CacheEviction): boolean {
  return Object.values(eviction).every((values: readonly unknown[] | undefined) => !values?.length);
}
