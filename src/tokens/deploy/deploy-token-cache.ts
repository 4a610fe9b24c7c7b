import type { DeployToken } from '../../store/schema.ts';
import type { Clock } from '../../util/clock.ts';
import { registerEvictableCache, type CacheEviction, type EvictableCache } from '../cache-evictions.ts';

interface Entry {
  token: DeployToken;
  storedAt: number;
}

const MAX_ENTRIES = 10_000;

/**
 * A short-lived, bounded cache of deploy token rows keyed by the digest presented, so a cluster
 * pulling in a loop does not cost a lookup per `/jwt/auth`. Revocation and rotation in this process
 * call {@link forgetToken}; another replica's arrive through {@link evict} when Redis carries
 * evictions, and are noticed within the TTL (`TESSERA_TOKEN_CACHE_TTL`, as for access tokens) in any
 * case. Expiry, revocation and the grace deadline are still checked on every hit.
 */
export class DeployTokenCache implements EvictableCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  get(digest: string): DeployToken | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    const age = this.clock.now().getTime() - entry.storedAt;
    if (age >= this.ttlMs || age < 0) {
      this.#entries.delete(digest);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Counts evictions. Read it before looking a token up and hand it to {@link set}: a token revoked
   * while its row was being read must not come back as a hit.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Stores a token read from the store, unless something was evicted since `generation` was read. */
  set(digest: string, token: DeployToken, generation: number): void {
    if (generation !== this.#generation) return;
    this.#entries.delete(digest);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(digest, { token, storedAt: this.clock.now().getTime() });
  }

  /** Replaces the cached row (after recording a use) without extending the entry's life. */
  refresh(digest: string, token: DeployToken): void {
    const entry = this.#entries.get(digest);
    if (entry) entry.token = token;
  }

  /** Drops every entry of a token (its current and its rotated-out secret): on revocation and rotation. */
  forgetToken(tokenId: number): void {
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (entry.token.id === tokenId) this.#entries.delete(digest);
    }
  }

  evict(eviction: CacheEviction): void {
    const ids = new Set(eviction.deployTokenIds);
    if (ids.size === 0) return;
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (ids.has(entry.token.id)) this.#entries.delete(digest);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

const caches = new WeakMap<object, DeployTokenCache>();

/** The one cache of the instance that owns `store` (several instances may share a process). */
export function deployTokenCacheFor(store: object, clock: Clock, ttlMs: number): DeployTokenCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new DeployTokenCache(clock, ttlMs);
    caches.set(store, cache);
    registerEvictableCache(store, cache);
  }
  return cache;
}
