import type { JobSummary } from '../../store/ci-schema.ts';
import type { User } from '../../store/schema.ts';
import type { Clock } from '../../util/clock.ts';
import { registerEvictableCache, type CacheEviction, type EvictableCache } from '../cache-evictions.ts';

/** What a cache hit spares: the job a token belongs to and the user it acts as, as read from the store. */
export interface VerifiedJob {
  job: JobSummary;
  user: User;
}

interface Entry extends VerifiedJob {
  storedAt: number;
}

/**
 * Longest time another replica may go on accepting a job's token after the job ended elsewhere, by
 * default (`TESSERA_JOB_TOKEN_CACHE_TTL_MS`; 0 turns the cache off). In this process the end is exact.
 */
export const JOB_TOKEN_CACHE_TTL_MS = 2000;
const MAX_ENTRIES = 10_000;

/**
 * The verified-job cache: running jobs whose token was just looked up, keyed by the token's digest, so a
 * job script calling the API in a loop does not cost a store lookup per request. Its kill switch is
 * exact in process: whatever ends a job or drops its token ({@link forgetJob}) or blocks its user
 * ({@link forgetUser}) evicts it before that is acknowledged, and a lookup that raced such an eviction
 * is not stored ({@link generation}). Other replicas drop their entry when the eviction reaches them
 * ({@link evict}, through Redis when configured), and within the TTL in any case. The job's deadline
 * and the user's state are still checked on every hit.
 */
export class JobTokenCache implements EvictableCache {
  readonly #entries = new Map<string, Entry>();
  readonly #digestOfJob = new Map<number, string>();
  #generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = JOB_TOKEN_CACHE_TTL_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  get(digest: string): VerifiedJob | undefined {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    const age = this.clock.now().getTime() - entry.storedAt;
    if (age >= this.ttlMs || age < 0) {
      this.#delete(digest, entry);
      return undefined;
    }
    return entry;
  }

  /**
   * Counts evictions. Read it before looking a token up and hand it to {@link set}: a job that ended
   * while its row was being read must not come back as a hit.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Stores a running job read from the store, unless something was evicted since `generation` was read. */
  set(digest: string, value: VerifiedJob, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.#generation) return;
    const previous = this.#entries.get(digest);
    if (previous) this.#delete(digest, previous);
    // Oldest first out: Map keeps insertion order.
    while (this.#entries.size >= this.maxEntries) {
      const [oldest, entry] = this.#entries.entries().next().value ?? [];
      if (oldest === undefined || entry === undefined) break;
      this.#delete(oldest, entry);
    }
    this.#entries.set(digest, { ...value, storedAt: this.clock.now().getTime() });
    this.#digestOfJob.set(value.job.id, digest);
  }

  /** Drops a job: call it when the job ends or its token is dropped, before answering. */
  forgetJob(jobId: number): void {
    this.#generation++;
    const digest = this.#digestOfJob.get(jobId);
    const entry = digest === undefined ? undefined : this.#entries.get(digest);
    if (digest !== undefined && entry) this.#delete(digest, entry);
  }

  /** Drops every job acting as a user: call it when the user is blocked, deactivated or deleted. */
  forgetUser(userId: number): void {
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (entry.user.id === userId) this.#delete(digest, entry);
    }
  }

  evict(eviction: CacheEviction): void {
    for (const jobId of eviction.jobIds ?? []) this.forgetJob(jobId);
    const users = new Set(eviction.userIds);
    if (users.size === 0) return;
    this.#generation++;
    for (const [digest, entry] of this.#entries) {
      if (users.has(entry.user.id)) this.#delete(digest, entry);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#digestOfJob.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #delete(digest: string, entry: Entry): void {
    this.#entries.delete(digest);
    if (this.#digestOfJob.get(entry.job.id) === digest) this.#digestOfJob.delete(entry.job.id);
  }
}

const caches = new WeakMap<object, JobTokenCache>();

/**
 * The one verified-job cache of the instance that owns `store`, made by its job-token authenticator.
 * Keyed by the store handle because the authenticator and the services that end jobs are built from
 * the instance context in different places, and several instances may share a process (tests, `serve all`).
 */
export function jobTokenCacheFor(store: object, clock: Clock, ttlMs = JOB_TOKEN_CACHE_TTL_MS): JobTokenCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new JobTokenCache(clock, ttlMs);
    caches.set(store, cache);
    registerEvictableCache(store, cache);
  }
  return cache;
}

/** Evicts ended jobs (or jobs whose token was dropped) from the cache of `store`'s instance, if it has one. */
export function forgetEndedJobs(store: object, jobIds: Iterable<number>): void {
  const cache = caches.get(store);
  if (cache) for (const id of jobIds) cache.forgetJob(id);
}

/** Evicts the jobs acting as a user who can no longer act (blocked, deactivated, deleted). */
export function forgetJobsOfUser(store: object, userId: number): void {
  caches.get(store)?.forgetUser(userId);
}
