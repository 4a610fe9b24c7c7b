import type { AccessToken, User } from '../../store/schema.ts';
import type { GranularScope } from './granular-scopes.ts';
import type { Clock } from '../../util/clock.ts';
import { registerEvictableCache, type CacheEviction, type EvictableCache } from '../cache-evictions.ts';

/** What a cache hit spares: the token row, its owner and its parsed scopes. */
export interface CachedAccessToken {
  token: AccessToken;
  owner: User;
  scopes: readonly string[];
  /** A fine-grained token's grants, parsed once; null for a classic token. */
  granular?: readonly GranularScope[] | null;
}

interface Entry extends CachedAccessToken {
  storedAt: number;
}

/** Longest time a revocation made by another replica can go unnoticed here, by default (`TESSERA_TOKEN_CACHE_TTL`). */
export const ACCESS_TOKEN_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * A short-lived, bounded cache of authenticated access tokens keyed by digest, so a busy client does
 * not cost a lookup per request. Revocation and rotation in this process call {@link forget}; another
 * replica's arrive through {@link evict} when Redis carries evictions, else the TTL bounds them. The
 * expiry, revocation and owner checks still run on every hit.
 */
export class AccessTokenCache implements EvictableCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = ACCESS_TOKEN_CACHE_TTL_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  get(digest: string): CachedAccessToken | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    const age = this.clock.now().getTime() - entry.storedAt;
    if (age >= this.ttlMs || age < 0) {
      this.#entries.delete(digest);
      return undefined;
    }
    return entry;
  }

  /**
   * Counts evictions. Read it before looking a token up and hand it to {@link set}: a token revoked
   * while its row was being read must not come back as a hit.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Stores a token read from the store, unless something was evicted since `generation` was read. */
  set(digest: string, value: CachedAccessToken, generation: number): void {
    if (generation !== this.#generation) return;
    this.#entries.delete(digest);
    // Oldest first out: Map keeps insertion order.
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(digest, { ...value, storedAt: this.clock.now().getTime() });
  }

  /** Replaces the cached row (after recording a use) without extending the entry's life. */
  refresh(digest: string, token: AccessToken): void {
    const entry = this.#entries.get(digest);
    if (entry) entry.token = token;
  }

  /** Drops a token: call it when the token is revoked or rotated. */
  forget(digest: string): void {
    this.#generation++;
    this.#entries.delete(digest);
  }

  /** Drops every token of a user: call it when the user is blocked or changes. */
  forgetOwner(userId: number): void {
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (entry.owner.id === userId) this.#entries.delete(digest);
    }
  }

  evict(eviction: CacheEviction): void {
    for (const digest of eviction.accessTokenDigests ?? []) this.forget(digest);
    const owners = new Set(eviction.userIds);
    if (owners.size === 0) return;
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (owners.has(entry.owner.id)) this.#entries.delete(digest);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, AccessTokenCache>();

/**
 * The one cache of the instance that owns `store`. Keyed by the store handle because the instance
 * context is built elsewhere, and several instances may share a process (tests, `serve all`).
 */
export function accessTokenCacheFor(
  store: object,
  clock: Clock,
  ttlMs = ACCESS_TOKEN_CACHE_TTL_MS,
): AccessTokenCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new AccessTokenCache(clock, ttlMs);
    caches.set(store, cache);
    registerEvictableCache(store, cache);
  }
  return cache;
}
